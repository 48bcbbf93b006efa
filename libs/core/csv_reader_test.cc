#include "libs/core/csv_reader.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store {

void PrintTo(const CsvReader::Record& r, std::ostream* os) {
  *os << "{line " << r.line << ", #" << r.number << ", ";
  if (r.ok()) {
    *os << "[" << absl::StrJoin(r.fields, "|") << "] (" << r.fields.size() << " fields)}";
  } else {
    *os << "error \"" << r.error << "\"}";
  }
}

namespace {

using Record = CsvReader::Record;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Record Ok(int64_t line, int64_t number, std::vector<std::string> fields) {
  Record r;
  r.fields = std::move(fields);
  r.line = line;
  r.number = number;
  return r;
}

Record Err(int64_t line, int64_t number, std::string error) {
  Record r;
  r.line = line;
  r.number = number;
  r.error = std::move(error);
  return r;
}

// Feeds `input` in chunks of `chunk` bytes (0: all at once), draining after
// each Feed, then finishes.
std::vector<Record> ReadAll(absl::string_view input, CsvReader::Options options = {},
                            size_t chunk = 0) {
  CsvReader reader(options);
  std::vector<Record> out;
  Record r;
  auto drain = [&] {
    while (reader.Next(r)) out.push_back(std::move(r));
  };
  if (chunk == 0) chunk = input.size() + 1;
  for (size_t i = 0; i < input.size(); i += chunk) {
    reader.Feed(input.substr(i, chunk));
    drain();
  }
  reader.Finish();
  drain();
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  return out;
}

TEST(CsvReaderTest, ReadsRecordsEndingInCrlfLfOrNothing) {
  EXPECT_THAT(ReadAll("name,email\r\nAda,ada@example.com\nBob,bob@example.com"),
              ElementsAre(Ok(1, 1, {"name", "email"}), Ok(2, 2, {"Ada", "ada@example.com"}),
                          Ok(3, 3, {"Bob", "bob@example.com"})));
  EXPECT_THAT(ReadAll("a\n"), ElementsAre(Ok(1, 1, {"a"})));
  EXPECT_THAT(ReadAll(""), ElementsAre());
}

TEST(CsvReaderTest, NothingIsReadyBeforeTheRecordEnds) {
  CsvReader reader;
  Record r;
  reader.Feed("a,b");
  EXPECT_FALSE(reader.Next(r));
  reader.Feed("\r");
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(r, Ok(1, 1, {"a", "b"}));
  reader.Feed("\nc");
  EXPECT_FALSE(reader.Next(r));
  reader.Finish();
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(r, Ok(2, 2, {"c"}));
  EXPECT_FALSE(reader.Next(r));
}

TEST(CsvReaderTest, SkipsAByteOrderMarkAtTheStartOnly) {
  EXPECT_THAT(ReadAll("\xEF\xBB\xBFname\n\xEF\xBB\xBFx\n"),
              ElementsAre(Ok(1, 1, {"name"}), Ok(2, 2, {"\xEF\xBB\xBFx"})));
  EXPECT_THAT(ReadAll("\xEF\xBB\xBF"), ElementsAre());
  // A prefix of a BOM is data.
  EXPECT_THAT(ReadAll("\xEF\xBBx,y"), ElementsAre(Ok(1, 1, {"\xEF\xBBx", "y"})));
  EXPECT_THAT(ReadAll("\xEF"), ElementsAre(Ok(1, 1, {"\xEF"})));
  EXPECT_THAT(ReadAll("\xEF\xBB\xBF\"q\"", {}, 1), ElementsAre(Ok(1, 1, {"q"})));
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  const std::string input =
      "id,note\n"
      "1,\"a, b\"\n"
      "2,\"say \"\"hi\"\"\"\n"
      "3,\"multi\nline\r\ntext\",end\n"
      "4,\"\"\"\"\n"
      "5,x\n";
  EXPECT_THAT(
      ReadAll(input),
      ElementsAre(Ok(1, 1, {"id", "note"}), Ok(2, 2, {"1", "a, b"}), Ok(3, 3, {"2", "say \"hi\""}),
                  Ok(4, 4, {"3", "multi\nline\r\ntext", "end"}),  // lines 4-6
                  Ok(7, 5, {"4", "\""}), Ok(8, 6, {"5", "x"})));
}

TEST(CsvReaderTest, EmptyFields) {
  EXPECT_THAT(ReadAll(",,\n"), ElementsAre(Ok(1, 1, {"", "", ""})));
  EXPECT_THAT(ReadAll("a,b,\n"), ElementsAre(Ok(1, 1, {"a", "b", ""})));
  EXPECT_THAT(ReadAll("a,b,"), ElementsAre(Ok(1, 1, {"a", "b", ""})));
  EXPECT_THAT(ReadAll("\"\"\n"), ElementsAre(Ok(1, 1, {""})));
  EXPECT_THAT(ReadAll("a,\"\""), ElementsAre(Ok(1, 1, {"a", ""})));
  EXPECT_THAT(ReadAll("\"\",x"), ElementsAre(Ok(1, 1, {"", "x"})));
  EXPECT_THAT(ReadAll(" \n"), ElementsAre(Ok(1, 1, {" "})));  // not blank: a space
}

TEST(CsvReaderTest, SkipsBlankLinesButCountsThem) {
  EXPECT_THAT(ReadAll("\n\na\r\n\r\n\nb\n\n"), ElementsAre(Ok(3, 1, {"a"}), Ok(6, 2, {"b"})));
  EXPECT_THAT(ReadAll("\r\n\r\n"), ElementsAre());
}

TEST(CsvReaderTest, LoneCrEndsALine) {
  EXPECT_THAT(ReadAll("a\rb\r\nc\r\rd"),
              ElementsAre(Ok(1, 1, {"a"}), Ok(2, 2, {"b"}), Ok(3, 3, {"c"}), Ok(5, 4, {"d"})));
  EXPECT_THAT(ReadAll("\"x\ry\"\nz"), ElementsAre(Ok(1, 1, {"x\ry"}), Ok(3, 2, {"z"})));
}

TEST(CsvReaderTest, StrayQuoteIsAnErrorRecordAndTheNextRecordIsFine) {
  EXPECT_THAT(ReadAll("1,ab\"c,3\n2,ok\n"),
              ElementsAre(Err(1, 1, "field 2: stray quote"), Ok(2, 2, {"2", "ok"})));
  // Spaces before a quote make it a stray quote too (RFC 4180).
  EXPECT_THAT(ReadAll("a, \"b\"\nc"),
              ElementsAre(Err(1, 1, "field 2: stray quote"), Ok(2, 2, {"c"})));
  // The stray quote does not open a quoted field; a later quoted field still
  // keeps its line break.
  EXPECT_THAT(ReadAll("a\"b,\"x\ny\"\nc\n"),
              ElementsAre(Err(1, 1, "field 1: stray quote"), Ok(3, 2, {"c"})));
}

TEST(CsvReaderTest, TextAfterAClosingQuoteIsAnErrorRecord) {
  EXPECT_THAT(ReadAll("\"ab\"c,d\nok\n"),
              ElementsAre(Err(1, 1, "field 1: text after the closing quote"), Ok(2, 2, {"ok"})));
  EXPECT_THAT(ReadAll("x,\"ab\" \n"),
              ElementsAre(Err(1, 1, "field 2: text after the closing quote")));
}

TEST(CsvReaderTest, NulByteIsAnErrorRecord) {
  using namespace std::string_literals;
  EXPECT_THAT(ReadAll("a\0b,c\nok"s),
              ElementsAre(Err(1, 1, "field 1: NUL byte"), Ok(2, 2, {"ok"})));
  EXPECT_THAT(ReadAll("a,\"\0\"\nok"s),
              ElementsAre(Err(1, 1, "field 2: NUL byte"), Ok(2, 2, {"ok"})));
}

TEST(CsvReaderTest, UnterminatedQuoteAtEndOfInputIsAnErrorRecord) {
  EXPECT_THAT(
      ReadAll("ok\nx,\"abc\ndef"),
      ElementsAre(Ok(1, 1, {"ok"}), Err(2, 2, "field 2: quoted field not closed at end of input")));
  // A closed quoted field at the end is fine.
  EXPECT_THAT(ReadAll("\"abc\""), ElementsAre(Ok(1, 1, {"abc"})));
}

TEST(CsvReaderTest, LimitsMakeErrorRecordsAndReadingGoesOn) {
  CsvReader::Options options{.max_field_bytes = 4, .max_fields = 3, .max_record_bytes = 12};
  EXPECT_THAT(
      ReadAll("abcd,x\nabcde,x\n\"ab\"\"cd\"\na,b,c\na,b,c,d\n123456,123456\n1234,1234,12\nok\n",
              options),
      ElementsAre(Ok(1, 1, {"abcd", "x"}),
                  Err(2, 2, "field 1: longer than 4 bytes (max_field_bytes)"),
                  Err(3, 3, "field 1: longer than 4 bytes (max_field_bytes)"),
                  Ok(4, 4, {"a", "b", "c"}), Err(5, 5, "more than 3 fields (max_fields)"),
                  Err(6, 6, "field 1: longer than 4 bytes (max_field_bytes)"),
                  Ok(7, 7, {"1234", "1234", "12"}), Ok(8, 8, {"ok"})));
  EXPECT_THAT(
      ReadAll("1234,1234,123\nok", options),
      ElementsAre(Err(1, 1, "record longer than 12 bytes (max_record_bytes)"), Ok(2, 2, {"ok"})));
}

TEST(CsvReaderTest, AnOverlongRecordIsDroppedAsItComes) {
  CsvReader::Options options{.max_field_bytes = 1000, .max_fields = 10, .max_record_bytes = 4096};
  CsvReader reader(options);
  const std::string chunk(1000, 'x');
  reader.Feed("\"");  // a quoted field that never closes: 10 MB of it
  for (int i = 0; i < 10'000; ++i) {
    reader.Feed(chunk);
    reader.Feed(",\n");
    ASSERT_LE(reader.buffered_bytes(), 4096u);
  }
  Record r;
  EXPECT_FALSE(reader.Next(r));
  reader.Feed("\"\nafter\n");
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(r, Err(1, 1, "field 1: longer than 1000 bytes (max_field_bytes)"));
  ASSERT_TRUE(reader.Next(r));
  EXPECT_EQ(r, Ok(10'002, 2, {"after"}));
}

// A sample with every construct; each chunking must give the same records.
constexpr absl::string_view kTricky =
    "\xEF\xBB\xBF"
    "id,Name ,note\r\n"
    "1,\"a,\"\"b\"\"\r\nc\",\r\n"
    "\r\n"
    "2,x\"y,z\n"
    "3,\"q\"r,\"\"\n"
    "\r"
    "4,\"\",\"\"\"\"\r"
    "5,,\n"
    "6,abcdefghijkl,\"\"\"\"\"\"\"\"\"\"\n"
    "7,\"unterminated\r\n";

TEST(CsvReaderTest, EveryChunkingGivesTheSameRecords) {
  for (CsvReader::Options options :
       {CsvReader::Options{},
        CsvReader::Options{.max_field_bytes = 8, .max_fields = 3, .max_record_bytes = 24}}) {
    const std::vector<Record> whole = ReadAll(kTricky, options);
    ASSERT_EQ(whole.size(), 8u);
    EXPECT_EQ(ReadAll(kTricky, options, 1), whole);
    for (size_t i = 0; i <= kTricky.size(); ++i) {
      for (size_t j = i; j <= kTricky.size(); ++j) {
        CsvReader reader(options);
        std::vector<Record> got;
        Record r;
        for (absl::string_view part :
             {kTricky.substr(0, i), kTricky.substr(i, j - i), kTricky.substr(j)}) {
          reader.Feed(part);
          while (reader.Next(r)) got.push_back(r);
        }
        reader.Finish();
        while (reader.Next(r)) got.push_back(r);
        ASSERT_EQ(got, whole) << "split at " << i << " and " << j;
      }
    }
  }
  EXPECT_THAT(
      ReadAll(kTricky),
      ElementsAre(Ok(1, 1, {"id", "Name ", "note"}), Ok(2, 2, {"1", "a,\"b\"\r\nc", ""}),
                  Err(5, 3, "field 2: stray quote"),
                  Err(6, 4, "field 2: text after the closing quote"), Ok(8, 5, {"4", "", "\""}),
                  Ok(9, 6, {"5", "", ""}), Ok(10, 7, {"6", "abcdefghijkl", "\"\"\"\""}),
                  Err(11, 8, "field 2: quoted field not closed at end of input")));
}

TEST(CsvReaderTest, AMillionRowsStreamWithBoundedMemory) {
  constexpr int kRows = 1'000'000;
  CsvReader reader;
  Record r;
  int64_t count = 0;
  size_t max_buffered = 0;
  std::string chunk;
  auto drain = [&] {
    while (reader.Next(r)) {
      ++count;
      if (count > 1) {
        ASSERT_TRUE(r.ok()) << r.error;
        ASSERT_EQ(r.fields.size(), 4u);
        ASSERT_EQ(r.fields[0], absl::StrCat(count - 1));
        ASSERT_EQ(r.line, count);
      }
    }
    max_buffered = std::max(max_buffered, reader.buffered_bytes());
  };
  chunk = "id,email,name,note\r\n";
  for (int i = 1; i <= kRows; ++i) {
    absl::StrAppend(&chunk, i, ",user", i, "@example.com,\"Name, ", i, "\",");
    if (i % 7 == 0) chunk += "\"quoted \"\"note\"\"\"";
    chunk += "\r\n";
    if (chunk.size() >= 8191) {  // an odd size: records and CRLFs get split
      reader.Feed(absl::string_view(chunk).substr(0, 8191));
      chunk.erase(0, 8191);
      drain();
    }
  }
  reader.Feed(chunk);
  reader.Finish();
  drain();
  EXPECT_EQ(count, kRows + 1);
  // Only the record in progress is held after draining: one row at most.
  EXPECT_LT(max_buffered, 100u);
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

// --------------------------------------------------------------------------
// CsvHeader

constexpr absl::string_view kRequired[] = {"email", "name"};
constexpr absl::string_view kAllowed[] = {"phone", "Note"};

TEST(CsvHeaderTest, MapsColumnsCaseInsensitivelyAndTrimmed) {
  absl::StatusOr<CsvHeader> header =
      CsvHeader::Parse(Ok(1, 1, {" Name", "EMAIL ", "note"}), kRequired, kAllowed);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_THAT(header->columns(), ElementsAre("name", "email", "note"));
  const Record row = Ok(2, 2, {"Ada", "ada@example.com", "vip"});
  EXPECT_EQ(header->Get(row, "email"), "ada@example.com");
  EXPECT_EQ(header->Get(row, "Name"), "Ada");
  EXPECT_EQ(header->Get(row, "NOTE"), "vip");
  EXPECT_EQ(header->Get(row, "phone"), std::nullopt);                // allowed but absent
  EXPECT_EQ(header->Get(Ok(3, 3, {"Bob"}), "email"), std::nullopt);  // short row
  EXPECT_EQ(header->Index("email"), 1u);
}

void ExpectHeaderError(const Record& header, absl::string_view column, absl::string_view message) {
  absl::StatusOr<CsvHeader> parsed = CsvHeader::Parse(header, kRequired, kAllowed);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr(message));
  std::optional<common::v1::ErrorInfo> info = GetErrorInfo(parsed.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CSV_INVALID");
  EXPECT_EQ(info->field(), "header");
  EXPECT_EQ(info->metadata().at("column"), column);
}

TEST(CsvHeaderTest, RejectsUnknownDuplicateMissingAndEmptyColumns) {
  ExpectHeaderError(Ok(1, 1, {"email", "name", "fax"}), "fax",
                    "header: unknown column \"fax\" (column 3; known: email, name, phone, Note)");
  ExpectHeaderError(Ok(1, 1, {"email", "name", " Email"}), "email",
                    "header: duplicate column \"email\" (columns 1 and 3)");
  ExpectHeaderError(Ok(1, 1, {"email", "phone"}), "name",
                    "header: missing required column \"name\"");
  ExpectHeaderError(Ok(1, 1, {"email", "name", " "}), "", "header: column 3 has no name");
  ExpectHeaderError(Err(1, 1, "field 1: stray quote"), "", "header: line 1: field 1: stray quote");
}

}  // namespace
}  // namespace store
