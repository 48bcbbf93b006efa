#include "libs/core/csv.h"

#include "gtest/gtest.h"
#include "libs/core/paging.h"

namespace store {
namespace {

TEST(CsvTest, QuotesAndGuardsFormulas) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvField("+1"), "'+1");
  EXPECT_EQ(CsvField("-5"), "'-5");
  EXPECT_EQ(CsvField("@cmd"), "'@cmd");
  EXPECT_EQ(CsvRecord({"a", "b,c", ""}), "a,\"b,c\",\r\n");
}

TEST(PagingTest, TokensRoundTripAndAreBoundToTheirRequest) {
  KeysetCursor c{.sort_value = 1234, .id = "7d3c8a5e-0f5e-4c8e-9a51-7b1e8f2f2a10", .sort_text = ""};
  const std::string token = EncodePageToken(c, "f00d|1");
  auto back = DecodePageToken(token, "f00d|1");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->sort_value, 1234);
  EXPECT_EQ(back->id, c.id);
  EXPECT_FALSE(DecodePageToken(token, "beef|1").ok());
  EXPECT_FALSE(DecodePageToken("garbage!", "f00d|1").ok());
  EXPECT_EQ(*PageSize(0), 50);
  EXPECT_EQ(*PageSize(5000), 1000);
  EXPECT_FALSE(PageSize(-1).ok());
}

}  // namespace
}  // namespace store
