// Error helpers shared by every layer below the gRPC edge. An error carries a
// machine-readable store.common.v1.ErrorInfo (reason, field, metadata) as an
// absl::Status payload; the edge turns it into gRPC status details.
#ifndef STORE_LIBS_CORE_STATUS_H_
#define STORE_LIBS_CORE_STATUS_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/common/v1/error.pb.h"

namespace store {

inline constexpr absl::string_view kErrorInfoTypeUrl =
    "type.googleapis.com/store.common.v1.ErrorInfo";

using ErrorMetadata = std::initializer_list<std::pair<absl::string_view, std::string>>;

// Builds a status with the given code and an ErrorInfo payload.
absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view field,
                       absl::string_view message, ErrorMetadata metadata = {});

// INVALID_ARGUMENT naming the field: "items[0].quantity: must be 1..10000".
absl::Status InvalidField(absl::string_view field, absl::string_view message);

// FAILED_PRECONDITION with a reason such as "ILLEGAL_TRANSITION".
absl::Status Precondition(absl::string_view reason, absl::string_view message,
                          ErrorMetadata metadata = {});

// NOT_FOUND for "<kind> <id> not found".
absl::Status NotFound(absl::string_view kind, absl::string_view id);

// The same error about a field of a nested or repeated message: its field
// and message get `prefix` ("shipments[2]" + "carrier" ->
// "shipments[2].carrier"). Other statuses pass unchanged.
absl::Status WithFieldPrefix(absl::string_view prefix, const absl::Status& status);

// The ErrorInfo attached to `status`, if any.
std::optional<common::v1::ErrorInfo> GetErrorInfo(const absl::Status& status);

// An error as a message (code, message, ErrorInfo), for an answer that
// carries an outcome per item (and for the edge's status trailer); OK gives
// an empty message.
common::v1::StatusDetails ToStatusDetails(const absl::Status& status);

// Returns from the enclosing function when `expr` (an absl::Status) fails.
#define STORE_RETURN_IF_ERROR(expr)                \
  do {                                             \
    if (absl::Status _st = (expr); !_st.ok()) {    \
      return _st;                                  \
    }                                              \
  } while (0)

#define STORE_CONCAT_INNER_(a, b) a##b
#define STORE_CONCAT_(a, b) STORE_CONCAT_INNER_(a, b)
// Assigns the value of an absl::StatusOr expression or returns its error.
#define STORE_ASSIGN_OR_RETURN(lhs, expr) \
  STORE_ASSIGN_OR_RETURN_IMPL_(STORE_CONCAT_(_statusor_, __LINE__), lhs, expr)
#define STORE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

}  // namespace store

#endif  // STORE_LIBS_CORE_STATUS_H_
