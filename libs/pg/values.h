// Passing values to and from PostgreSQL as every store does: timestamps as
// RFC 3339 text to the microsecond, bytes as bytea, text arrays as array
// literals, LIKE patterns that match text literally.
#ifndef STORE_LIBS_PG_VALUES_H_
#define STORE_LIBS_PG_VALUES_H_

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace store::pg {

// "2026-01-02T03:04:05.123456Z": the text form timestamps are passed in.
std::string PgTime(absl::Time t);
std::string PgTime(const google::protobuf::Timestamp& ts);
// Times are kept to the microsecond, as PostgreSQL stores them.
absl::Time TruncateToMicros(absl::Time t);
// From `(extract(epoch FROM x) * 1000000)::bigint`, which STORE_PG_MICROS
// writes for a column (a string literal, for statement text).
#define STORE_PG_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
google::protobuf::Timestamp TimestampFromMicros(int64_t micros);
// An instant as a proto Timestamp, to the microsecond, and back.
google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time TimeOf(const google::protobuf::Timestamp& ts);

// A bytea parameter, and a bytea column's bytes ("" for NULL).
pqxx::binarystring Bytes(const std::string& s);
std::string FromBytes(const pqxx::field& f);
// A bytea column's bytes into `*out` (its buffer reused: no allocation per
// row once it is large enough); "" for NULL.
void FromBytes(const pqxx::field& f, std::string* out);

// A text[] (or uuid[]) literal of `values`, each quoted and escaped.
std::string TextArray(const std::vector<std::string>& values);
// The elements of a text[] column.
std::vector<std::string> ParseTextArray(const pqxx::field& f);

// A LIKE pattern matching lower-cased `text` literally anywhere (% _ \ escaped).
std::string ContainsPattern(const std::string& text);

}  // namespace store::pg

#endif  // STORE_LIBS_PG_VALUES_H_
