#include "libs/pg/values.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/time_util.h"

namespace store::pg {

using google::protobuf::util::TimeUtil;

std::string PgTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::string PgTime(const google::protobuf::Timestamp& ts) {
  return PgTime(absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(ts)));
}

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

google::protobuf::Timestamp TimestampFromMicros(int64_t micros) {
  return TimeUtil::MicrosecondsToTimestamp(micros);
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(ts));
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s.data(), s.size()); }

std::string FromBytes(const pqxx::field& f) {
  std::string out;
  FromBytes(f, &out);
  return out;
}

void FromBytes(const pqxx::field& f, std::string* out) {
  out->clear();
  if (f.is_null()) return;
  const char* text = f.c_str();
  const size_t size = f.size();
  // PostgreSQL's default bytea_output is hex: "\x" then two digits a byte.
  // Anything else (the old escape format) through libpq.
  auto unescape = [&] { *out = pqxx::binarystring(f).str(); };
  if (size < 2 || text[0] != '\\' || text[1] != 'x' || size % 2 != 0) {
    unescape();
    return;
  }
  // Each byte's value as a hex digit, -1 for the rest.
  static const auto* const kNibble = [] {
    auto* table = new std::array<int8_t, 256>;
    table->fill(-1);
    for (int c = 0; c < 10; ++c) (*table)['0' + c] = static_cast<int8_t>(c);
    for (int c = 0; c < 6; ++c) {
      (*table)['a' + c] = static_cast<int8_t>(10 + c);
      (*table)['A' + c] = static_cast<int8_t>(10 + c);
    }
    return table;
  }();
  out->resize((size - 2) / 2);
  char* dst = out->data();
  int bad = 0;
  for (size_t i = 2; i < size; i += 2) {
    const int hi = (*kNibble)[static_cast<unsigned char>(text[i])];
    const int lo = (*kNibble)[static_cast<unsigned char>(text[i + 1])];
    bad |= hi | lo;
    *dst++ = static_cast<char>(hi << 4 | lo);
  }
  if (bad < 0) unescape();
}

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<std::string> ParseTextArray(const pqxx::field& f) {
  std::vector<std::string> out;
  pqxx::array_parser parser = f.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) out.push_back(value);
  }
  return out;
}

std::string ContainsPattern(const std::string& text) {
  return absl::StrCat("%",
                      absl::StrReplaceAll(absl::AsciiStrToLower(text),
                                          {{"\\", "\\\\"}, {"%", "\\%"}, {"_", "\\_"}}),
                      "%");
}

}  // namespace store::pg
