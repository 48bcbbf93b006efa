// libFuzzer target for CsvReader (tools/dev fuzz). Input layout:
//   byte 0       limits: bit 0 picks small limits (so the limit paths run)
//   byte 1       n = number of chunk sizes that follow (mod 16)
//   bytes 2..n+1 chunk sizes (0 means 1), used in a cycle
//   the rest     the CSV bytes
// Checks: feeding the CSV in those chunks (draining Next() after each Feed)
// gives the same records as one Feed of the whole, and as one byte at a time;
// after draining, buffered_bytes() is at most max_record_bytes; every record
// respects the limits and numbering; the good records survive a round trip
// through an RFC 4180 writer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "libs/core/csv_reader.h"

namespace store {
namespace {

using Record = CsvReader::Record;

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

void Drain(CsvReader& reader, std::vector<Record>& out) {
  Record r;
  while (reader.Next(r)) out.push_back(std::move(r));
  FUZZ_CHECK(reader.buffered_bytes() <= reader.options().max_record_bytes);
}

std::vector<Record> ReadChunked(absl::string_view csv, const CsvReader::Options& options,
                                const std::vector<size_t>& sizes) {
  CsvReader reader(options);
  std::vector<Record> out;
  size_t k = 0;
  while (!csv.empty()) {
    const size_t n = std::min(csv.size(), sizes[k++ % sizes.size()]);
    reader.Feed(csv.substr(0, n));
    csv.remove_prefix(n);
    Drain(reader, out);
  }
  reader.Finish();
  Drain(reader, out);
  FUZZ_CHECK(reader.buffered_bytes() == 0);
  return out;
}

std::string Quote(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : fields[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += "\r\n";
  return out;
}

void Check(const uint8_t* data, size_t size) {
  if (size < 2) return;
  CsvReader::Options options;
  if (data[0] & 1) {
    options = {.max_field_bytes = 16, .max_fields = 6, .max_record_bytes = 64};
  }
  const size_t n = std::min<size_t>(data[1] % 16, size - 2);
  std::vector<size_t> sizes;
  for (size_t i = 0; i < n; ++i) sizes.push_back(data[2 + i] == 0 ? 1 : data[2 + i]);
  if (sizes.empty()) sizes.push_back(1);
  const absl::string_view csv(reinterpret_cast<const char*>(data) + 2 + n, size - 2 - n);

  const std::vector<Record> whole = ReadChunked(csv, options, {csv.size() + 1});
  FUZZ_CHECK(ReadChunked(csv, options, sizes) == whole);
  FUZZ_CHECK(ReadChunked(csv, options, {1}) == whole);

  int64_t last_line = 0;
  std::string rewritten;
  for (size_t i = 0; i < whole.size(); ++i) {
    const Record& r = whole[i];
    FUZZ_CHECK(r.number == static_cast<int64_t>(i) + 1);
    FUZZ_CHECK(r.line > last_line);
    last_line = r.line;
    if (!r.ok()) {
      FUZZ_CHECK(r.fields.empty());
      continue;
    }
    FUZZ_CHECK(!r.fields.empty());
    FUZZ_CHECK(r.fields.size() <= options.max_fields);
    size_t bytes = 0;
    for (const std::string& f : r.fields) {
      FUZZ_CHECK(f.size() <= options.max_field_bytes);
      FUZZ_CHECK(f.find('\0') == std::string::npos);
      bytes += f.size();
    }
    FUZZ_CHECK(bytes <= options.max_record_bytes);
    rewritten += Quote(r.fields);
  }

  // The good records, written back fully quoted, read back the same.
  const CsvReader::Options roomy{
      .max_field_bytes = 1 << 20, .max_fields = 1 << 16, .max_record_bytes = 8 << 20};
  const std::vector<Record> again = ReadChunked(rewritten, roomy, sizes);
  size_t j = 0;
  for (const Record& r : whole) {
    if (!r.ok()) continue;
    FUZZ_CHECK(j < again.size());
    FUZZ_CHECK(again[j].ok());
    FUZZ_CHECK(again[j].fields == r.fields);
    ++j;
  }
  FUZZ_CHECK(j == again.size());
}

}  // namespace
}  // namespace store

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  store::Check(data, size);
  return 0;
}
