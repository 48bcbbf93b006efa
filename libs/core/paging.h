// List paging as every List method does it (AIP-158): page_size 0 means 50,
// at most 1000; page tokens are opaque keyset cursors bound to the request's
// filter and sort, so a token reused with another filter is refused.
#ifndef STORE_LIBS_CORE_PAGING_H_
#define STORE_LIBS_CORE_PAGING_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace store {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// The page size to use for a requested one; INVALID_ARGUMENT when negative.
absl::StatusOr<int> PageSize(int requested);

// The position after the last row of a page: its sort key and its id.
struct KeysetCursor {
  int64_t sort_value = 0;
  std::string id;
  // For text sort keys (names): the last row's key; empty otherwise.
  std::string sort_text;
};

// `binding` is anything that must be the same on the next request (e.g.
// Fingerprint(filter) + sort).
std::string EncodePageToken(const KeysetCursor& cursor, absl::string_view binding);
absl::StatusOr<KeysetCursor> DecodePageToken(absl::string_view token, absl::string_view binding);

// The page token after a row of a newest-first listing sorted by
// (create_time, id).
std::string TokenAfterRow(const google::protobuf::Timestamp& create_time, std::string id,
                          absl::string_view binding);

// A stable 64-bit fingerprint (hex) of a message's deterministic
// serialization: to bind tokens and to tell a retry from another request.
std::string Fingerprint(const google::protobuf::Message& message);

// The binding of a List request whose filter fields sit beside its
// page_size and page_token: the request's fingerprint without those two.
template <typename Request>
std::string ListBinding(const Request& request) {
  Request copy = request;
  copy.clear_page_token();
  copy.clear_page_size();
  return Fingerprint(copy);
}

}  // namespace store

#endif  // STORE_LIBS_CORE_PAGING_H_
