#include "libs/core/csv_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/core/status.h"

namespace store {
namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr int kBomSize = 3;

bool IsLineBreak(char c) { return c == '\r' || c == '\n'; }

// Bytes that end a run of plain field data.
bool IsSpecial(char c) { return c == ',' || c == '"' || c == '\r' || c == '\n' || c == '\0'; }

}  // namespace

CsvReader::CsvReader(Options options) : options_(options) {}

void CsvReader::Feed(absl::string_view bytes) {
  // The byte order mark may itself arrive split; hold its prefix until decided.
  while (!bom_decided_ && !bytes.empty()) {
    if (bytes.front() == kBom[bom_matched_]) {
      bytes.remove_prefix(1);
      if (++bom_matched_ == kBomSize) bom_decided_ = true;  // skipped
    } else {
      bom_decided_ = true;
      FeedBytes(absl::string_view(kBom, bom_matched_));  // not a BOM after all
    }
  }
  FeedBytes(bytes);
}

void CsvReader::FeedBytes(absl::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (state_ == State::kUnquoted || state_ == State::kQuoted) {
      size_t end = i;
      while (end < bytes.size() && !IsSpecial(bytes[end])) ++end;
      if (end > i) {
        AppendRun(bytes.substr(i, end - i));
        last_byte_ = bytes[end - 1];
        i = end;
        continue;
      }
    }
    FeedByte(bytes[i]);
    ++i;
  }
}

void CsvReader::FeedByte(char c) {
  const bool line_break = IsLineBreak(c);
  // CR, LF and CRLF each count as one line break, inside quotes too.
  const bool new_line = c == '\r' || (c == '\n' && last_byte_ != '\r');
  if (state_ == State::kRecordStart) {
    if (!line_break) {
      StartRecord();
      state_ = State::kFieldStart;
      StartField();
    }
    // else: a blank line, or the LF of a CRLF that ended the last record.
  }
  // Every byte of the record counts, except the line break that ends it.
  if (state_ != State::kRecordStart && (state_ == State::kQuoted || !line_break)) {
    if (++raw_bytes_ > options_.max_record_bytes) SetRecordTooLong();
  }
  switch (state_) {
    case State::kRecordStart:
      break;
    case State::kFieldStart:
      if (c == '"') {
        state_ = State::kQuoted;
      } else if (c == ',') {
        StartField();
      } else if (line_break) {
        EndRecord();
      } else {
        AppendByte(c);
        state_ = State::kUnquoted;
      }
      break;
    case State::kUnquoted:
      if (c == ',') {
        state_ = State::kFieldStart;
        StartField();
      } else if (line_break) {
        EndRecord();
      } else if (c == '"') {
        SetFieldError("stray quote");
      } else {
        AppendByte(c);
      }
      break;
    case State::kQuoted:
      if (c == '"') {
        state_ = State::kQuotedQuote;
      } else {
        AppendByte(c);
      }
      break;
    case State::kQuotedQuote:
      if (c == '"') {
        AppendByte('"');
        state_ = State::kQuoted;
      } else if (c == ',') {
        state_ = State::kFieldStart;
        StartField();
      } else if (line_break) {
        EndRecord();
      } else {
        SetFieldError("text after the closing quote");
        state_ = State::kUnquoted;
      }
      break;
  }
  if (new_line) ++line_;
  last_byte_ = c;
}

void CsvReader::AppendRun(absl::string_view run) {
  if (!error_.empty()) {
    raw_bytes_ += run.size();
    return;
  }
  // The first byte that would break a limit decides which error is reported,
  // as if the run came byte by byte (the record limit is checked first).
  const size_t raw_room = options_.max_record_bytes - raw_bytes_;
  std::string& field = fields_.back();
  const size_t field_room =
      options_.max_field_bytes > field.size() ? options_.max_field_bytes - field.size() : 0;
  if (raw_room < run.size() || field_room < run.size()) {
    raw_bytes_ += run.size();
    if (raw_room <= field_room) {
      SetRecordTooLong();
    } else {
      SetFieldTooLong();
    }
    return;
  }
  raw_bytes_ += run.size();
  field.append(run.data(), run.size());
  current_bytes_ += run.size();
}

void CsvReader::AppendByte(char c) {
  if (!error_.empty()) return;
  if (c == '\0') {
    SetFieldError("NUL byte");
    return;
  }
  std::string& field = fields_.back();
  if (field.size() >= options_.max_field_bytes) {
    SetFieldTooLong();
    return;
  }
  field.push_back(c);
  ++current_bytes_;
}

void CsvReader::StartRecord() {
  record_line_ = line_;
  field_count_ = 0;
  raw_bytes_ = 0;
}

void CsvReader::StartField() {
  ++field_count_;
  if (!error_.empty()) return;
  if (field_count_ > options_.max_fields) {
    SetError(absl::StrCat("more than ", options_.max_fields, " fields (max_fields)"));
    return;
  }
  fields_.emplace_back();
}

void CsvReader::EndRecord() {
  Record record;
  record.line = record_line_;
  record.number = ++records_;
  if (error_.empty()) {
    record.fields = std::move(fields_);
    ready_bytes_ += current_bytes_;
  } else {
    record.error = std::move(error_);
  }
  ready_.push_back(std::move(record));
  fields_.clear();
  error_.clear();
  current_bytes_ = 0;
  state_ = State::kRecordStart;
}

void CsvReader::SetError(std::string message) {
  if (!error_.empty()) return;
  error_ = std::move(message);
  fields_.clear();
  fields_.shrink_to_fit();
  current_bytes_ = 0;
}

void CsvReader::SetFieldError(absl::string_view message) {
  if (!error_.empty()) return;
  SetError(absl::StrCat("field ", field_count_, ": ", message));
}

void CsvReader::SetFieldTooLong() {
  SetFieldError(absl::StrCat("longer than ", options_.max_field_bytes, " bytes (max_field_bytes)"));
}

void CsvReader::SetRecordTooLong() {
  if (!error_.empty()) return;
  SetError(
      absl::StrCat("record longer than ", options_.max_record_bytes, " bytes (max_record_bytes)"));
}

void CsvReader::Finish() {
  if (!bom_decided_) {
    bom_decided_ = true;
    FeedBytes(absl::string_view(kBom, bom_matched_));
  }
  switch (state_) {
    case State::kRecordStart:
      return;
    case State::kQuoted:
      SetFieldError("quoted field not closed at end of input");
      break;
    case State::kFieldStart:  // after a trailing comma: one more empty field
    case State::kUnquoted:
    case State::kQuotedQuote:
      break;
  }
  EndRecord();
}

bool CsvReader::Next(Record& out) {
  if (ready_.empty()) return false;
  out = std::move(ready_.front());
  ready_.pop_front();
  for (const std::string& field : out.fields) ready_bytes_ -= field.size();
  return true;
}

// --------------------------------------------------------------------------
// CsvHeader

namespace {

absl::Status HeaderError(absl::string_view column, std::string message) {
  return MakeError(absl::StatusCode::kInvalidArgument, "CSV_INVALID", "header",
                   absl::StrCat("header: ", message), {{"column", std::string(column)}});
}

std::string Canonical(absl::string_view name) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
}

bool Contains(absl::Span<const absl::string_view> names, absl::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [&](absl::string_view n) { return absl::EqualsIgnoreCase(n, name); });
}

}  // namespace

absl::StatusOr<CsvHeader> CsvHeader::Parse(const CsvReader::Record& header,
                                           absl::Span<const absl::string_view> required_columns,
                                           absl::Span<const absl::string_view> allowed_columns) {
  if (!header.ok()) return HeaderError("", absl::StrCat("line ", header.line, ": ", header.error));
  CsvHeader result;
  result.columns_.reserve(header.fields.size());
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = Canonical(header.fields[i]);
    if (name.empty()) {
      return HeaderError("", absl::StrCat("column ", i + 1, " has no name"));
    }
    if (!Contains(required_columns, name) && !Contains(allowed_columns, name)) {
      std::vector<absl::string_view> known(required_columns.begin(), required_columns.end());
      known.insert(known.end(), allowed_columns.begin(), allowed_columns.end());
      return HeaderError(name, absl::StrCat("unknown column \"", name, "\" (column ", i + 1,
                                            "; known: ", absl::StrJoin(known, ", "), ")"));
    }
    if (std::optional<size_t> first = result.Index(name)) {
      return HeaderError(name, absl::StrCat("duplicate column \"", name, "\" (columns ", *first + 1,
                                            " and ", i + 1, ")"));
    }
    result.columns_.push_back(std::move(name));
  }
  for (absl::string_view required : required_columns) {
    if (!result.Index(required)) {
      const std::string name = Canonical(required);
      return HeaderError(name, absl::StrCat("missing required column \"", name, "\""));
    }
  }
  return result;
}

std::optional<size_t> CsvHeader::Index(absl::string_view column) const {
  column = absl::StripAsciiWhitespace(column);
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (absl::EqualsIgnoreCase(columns_[i], column)) return i;
  }
  return std::nullopt;
}

std::optional<absl::string_view> CsvHeader::Get(const CsvReader::Record& record,
                                                absl::string_view column) const {
  std::optional<size_t> index = Index(column);
  if (!index || *index >= record.fields.size()) return std::nullopt;
  return absl::string_view(record.fields[*index]);
}

}  // namespace store
