#include "libs/core/paging.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"

namespace store {

absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0) return InvalidField("page_size", "must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

std::string EncodePageToken(const KeysetCursor& cursor, absl::string_view binding) {
  if (!cursor.sort_text.empty()) {
    return absl::WebSafeBase64Escape(absl::StrCat("v2|", cursor.sort_value, "|", cursor.id, "|",
                                                  absl::WebSafeBase64Escape(cursor.sort_text), "|",
                                                  binding));
  }
  return absl::WebSafeBase64Escape(
      absl::StrCat("v1|", cursor.sort_value, "|", cursor.id, "|", binding));
}

absl::StatusOr<KeysetCursor> DecodePageToken(absl::string_view token, absl::string_view binding) {
  const absl::Status bad = InvalidField(
      "page_token", "is not a token returned by this method for the same filter and sort");
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return bad;
  KeysetCursor c;
  if (absl::StartsWith(raw, "v2|")) {
    std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('|', 4));
    if (parts.size() != 5 || !absl::SimpleAtoi(parts[1], &c.sort_value) || !IsUuid(parts[2]) ||
        !absl::WebSafeBase64Unescape(parts[3], &c.sort_text) || parts[4] != binding) {
      return bad;
    }
    c.id = parts[2];
    return c;
  }
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('|', 3));
  if (parts.size() != 4 || parts[0] != "v1" || !absl::SimpleAtoi(parts[1], &c.sort_value) ||
      !IsUuid(parts[2]) || parts[3] != binding) {
    return bad;
  }
  c.id = parts[2];
  return c;
}

std::string Fingerprint(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return absl::StrFormat("%016x", h);
}

std::string TokenAfterRow(const google::protobuf::Timestamp& create_time, std::string id,
                          absl::string_view binding) {
  KeysetCursor cursor;
  cursor.sort_value = google::protobuf::util::TimeUtil::TimestampToMicroseconds(create_time);
  cursor.id = std::move(id);
  return EncodePageToken(cursor, binding);
}

}  // namespace store
