// Writing CSV (RFC 4180) for exports.
#ifndef STORE_LIBS_CORE_CSV_H_
#define STORE_LIBS_CORE_CSV_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/core/download.h"

namespace store {

// One CSV field: quoted when it holds a comma, quote, CR or LF; a field
// starting with = + - @ (or a tab or CR) gets a leading apostrophe so a
// spreadsheet does not run it as a formula (CSV injection).
std::string CsvField(absl::string_view value);

// A record: the fields joined with commas, ending in CRLF.
std::string CsvRecord(const std::vector<std::string>& fields);

// Appends one field (as CsvField) to `out`.
void AppendCsvField(std::string* out, absl::string_view value);

// A streamed CSV download: records go to the sink in chunks of about
// kDownloadChunkBytes, never the whole file at once. The sink returns false when
// the reader has gone (the call is then CANCELLED).
class CsvStream {
 public:
  using Sink = DownloadSink;

  explicit CsvStream(Sink sink) : sink_(std::move(sink)) {}

  // A whole record.
  absl::Status Row(const std::vector<std::string>& fields);
  // Or field by field (no vector per row), then EndRow.
  void Field(absl::string_view value);
  absl::Status EndRow();
  // Sends what is buffered; call once at the end.
  absl::Status Flush();

 private:
  Sink sink_;
  std::string buffer_;
  bool row_started_ = false;
};

}  // namespace store

#endif  // STORE_LIBS_CORE_CSV_H_
