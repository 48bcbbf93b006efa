#include "libs/core/csv.h"

namespace store {

void AppendCsvField(std::string* out, absl::string_view v) {
  const bool formula = !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' ||
                                      v[0] == '\t' || v[0] == '\r');
  bool quote = false;
  for (char c : v) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') {
      quote = true;
      break;
    }
  }
  if (quote) out->push_back('"');
  if (formula) out->push_back('\'');
  if (!quote) {
    out->append(v.data(), v.size());
    return;
  }
  for (char c : v) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

std::string CsvField(absl::string_view value) {
  std::string out;
  AppendCsvField(&out, value);
  return out;
}

std::string CsvRecord(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    AppendCsvField(&out, fields[i]);
  }
  out += "\r\n";
  return out;
}

absl::Status CsvStream::Row(const std::vector<std::string>& fields) {
  for (const std::string& f : fields) Field(f);
  return EndRow();
}

void CsvStream::Field(absl::string_view value) {
  if (row_started_) buffer_.push_back(',');
  row_started_ = true;
  AppendCsvField(&buffer_, value);
}

absl::Status CsvStream::EndRow() {
  buffer_ += "\r\n";
  row_started_ = false;
  if (buffer_.size() >= kDownloadChunkBytes) return Flush();
  return absl::OkStatus();
}

absl::Status CsvStream::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  if (!sink_(buffer_)) return absl::CancelledError("the download was cancelled by the client");
  buffer_.clear();
  return absl::OkStatus();
}

}  // namespace store
