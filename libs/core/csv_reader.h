// Reading CSV (RFC 4180) incrementally, for imports of files too large to hold
// in memory: the bytes are fed in chunks of any size (e.g. as they arrive in
// gRPC stream messages) and complete records are popped as soon as they end.
#ifndef STORE_LIBS_CORE_CSV_READER_H_
#define STORE_LIBS_CORE_CSV_READER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace store {

// An incremental RFC 4180 parser. A record, a CRLF or a "" escape may be split
// across chunks anywhere: feeding the same bytes in any chunking yields the same
// records.
//
// Dialect:
//  - fields are separated by ',' and records end with CRLF, LF or a lone CR
//    (old Mac files); the last record needs no line break;
//  - a UTF-8 byte order mark at the very start of the input is skipped;
//  - empty lines are skipped (they do not count as records); a line holding
//    only spaces is a record with one field;
//  - a field that starts with '"' is quoted: it may hold commas, line breaks
//    (line numbers keep counting inside it) and "" for one quote;
//  - spaces are data: `a, "b"` is not a quoted second field.
//
// A problem is reported on its record (Record::error, fields empty), never for
// the whole input, so one bad row does not cost the good ones: the parser
// skips to the record's end, i.e. the next line break outside a quoted field.
// The problems:
//  - "field N: stray quote" — a '"' inside an unquoted field;
//  - "field N: text after the closing quote" — e.g. `"ab"c`;
//  - "field N: NUL byte";
//  - "field N: quoted field not closed at end of input";
//  - "field N: longer than <max_field_bytes> bytes (max_field_bytes)",
//    "more than <max_fields> fields (max_fields)",
//    "record longer than <max_record_bytes> bytes (max_record_bytes)".
// A quoted field left open by mistake runs to the end of the input (as RFC
// 4180 reads it); the limits then turn it into one error record.
//
// Memory: the record being read holds at most max_record_bytes (the bytes of an
// over-long record are dropped as they come); records ready but not yet popped
// hold at most the bytes fed since Next() last drained them. Feed a chunk, drain
// Next(), feed the next: buffered_bytes() then stays at most max_record_bytes
// whatever the size of the input; the chunk itself is never kept.
class CsvReader {
 public:
  struct Options {
    size_t max_field_bytes = 64 * 1024;  // after unescaping
    size_t max_fields = 256;
    size_t max_record_bytes = 1 << 20;  // raw bytes, quotes and separators included
  };

  struct Record {
    std::vector<std::string> fields;  // empty when error is set
    int64_t line = 0;                 // 1-based physical line where the record starts
    int64_t number = 0;  // 1-based record index (the header is 1); blank lines do not count
    std::string error;   // empty when the record is fine

    bool ok() const { return error.empty(); }
    friend bool operator==(const Record&, const Record&) = default;
  };

  CsvReader() : CsvReader(Options()) {}
  explicit CsvReader(Options options);

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Parses `bytes`; the records completed by them become available via Next().
  // Nothing of `bytes` is referenced after the call.
  void Feed(absl::string_view bytes);

  // End of input: completes the last record (no trailing line break needed). A
  // quoted field still open becomes an error record.
  void Finish();

  // Moves the next complete record into `out`; false if none is ready.
  bool Next(Record& out);

  // Bytes of field data held: the record being read plus the records ready.
  size_t buffered_bytes() const { return current_bytes_ + ready_bytes_; }

  const Options& options() const { return options_; }

 private:
  enum class State { kRecordStart, kFieldStart, kUnquoted, kQuoted, kQuotedQuote };

  void FeedByte(char c);
  void FeedBytes(absl::string_view bytes);
  // Appends a run of ordinary bytes (no ',', '"', CR, LF, NUL) to the current field.
  void AppendRun(absl::string_view run);
  void AppendByte(char c);
  void StartRecord();
  void StartField();
  void EndRecord();
  void SetError(std::string message);
  void SetFieldError(absl::string_view message);
  void SetFieldTooLong();
  void SetRecordTooLong();

  Options options_;
  State state_ = State::kRecordStart;
  // Bytes of a possible byte order mark seen at the start (0-3), until decided.
  int bom_matched_ = 0;
  bool bom_decided_ = false;
  int64_t line_ = 1;       // line of the next byte
  char last_byte_ = '\0';  // to count CRLF as one line break
  int64_t records_ = 0;    // records completed so far

  // The record being read.
  std::vector<std::string> fields_;
  size_t field_count_ = 0;  // fields started (also counted once in error)
  size_t raw_bytes_ = 0;    // raw bytes of the record so far
  size_t current_bytes_ = 0;
  int64_t record_line_ = 0;
  std::string error_;

  std::deque<Record> ready_;
  size_t ready_bytes_ = 0;
};

// The header record of a CSV import: maps column names (trimmed, compared
// case-insensitively) to positions.
class CsvHeader {
 public:
  // Checks the header: every name in `required_columns` present, every column
  // one of `required_columns` or `allowed_columns`, no column twice, no empty
  // name. Errors are INVALID_ARGUMENT (reason CSV_INVALID, field "header",
  // metadata "column") naming the column.
  static absl::StatusOr<CsvHeader> Parse(const CsvReader::Record& header,
                                         absl::Span<const absl::string_view> required_columns,
                                         absl::Span<const absl::string_view> allowed_columns);

  // Position of `column` (any case), if the header has it.
  std::optional<size_t> Index(absl::string_view column) const;

  // The field of `record` under `column`; nullopt if the header has no such
  // column or the record is shorter.
  std::optional<absl::string_view> Get(const CsvReader::Record& record,
                                       absl::string_view column) const;

  // Column names, lower-cased and trimmed, in file order.
  const std::vector<std::string>& columns() const { return columns_; }
  size_t size() const { return columns_.size(); }

 private:
  std::vector<std::string> columns_;
};

}  // namespace store

#endif  // STORE_LIBS_CORE_CSV_READER_H_
