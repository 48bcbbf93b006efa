#include "services/reporting/domain/report_range.h"

#include <gtest/gtest.h>

namespace store::reporting {
namespace {

v1::ReportRange Range(const std::string& first, const std::string& last,
                      v1::Granularity granularity = v1::GRANULARITY_DAY) {
  v1::ReportRange r;
  r.set_start_date(first);
  r.set_end_date(last);
  r.set_granularity(granularity);
  return r;
}

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

TEST(ReportRangeTest, DaysAcrossDaylightSavingChangesLast23And25Hours) {
  const absl::TimeZone ny = Zone("America/New_York");
  auto spring = ParseRange("range", Range("2026-03-07", "2026-03-09"));
  ASSERT_TRUE(spring.ok());
  std::vector<Span> days = Buckets(*spring, ny);
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0].end - days[0].start, absl::Hours(24));
  EXPECT_EQ(days[1].end - days[1].start, absl::Hours(23));  // 8 March 2026
  EXPECT_EQ(days[2].end - days[2].start, absl::Hours(24));
  EXPECT_EQ(days[1].start,
            absl::FromCivil(absl::CivilSecond(2026, 3, 8, 5, 0, 0), absl::UTCTimeZone()));

  auto autumn = ParseRange("range", Range("2026-11-01", "2026-11-01"));
  ASSERT_TRUE(autumn.ok());
  days = Buckets(*autumn, ny);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].end - days[0].start, absl::Hours(25));
  EXPECT_EQ(ToProto(days[0]).start_date(), "2026-11-01");
}

TEST(ReportRangeTest, ADayWhoseMidnightIsSkippedStartsAtTheChange) {
  // Santiago moves clocks from 24:00 to 01:00 in September.
  const absl::TimeZone santiago = Zone("America/Santiago");
  const absl::Time start = StartOfDay(absl::CivilDay(2026, 9, 6), santiago);
  EXPECT_EQ(santiago.At(start).cs, absl::CivilSecond(2026, 9, 6, 1, 0, 0));
  auto range = ParseRange("range", Range("2026-09-06", "2026-09-06"));
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(Buckets(*range, santiago)[0].end - start, absl::Hours(23));
}

TEST(ReportRangeTest, WeeksStartOnMondayAndAreCutToTheRange) {
  // 2026-12-02 is a Wednesday; 2026-12-20 a Sunday.
  auto range = ParseRange("range", Range("2026-12-02", "2026-12-20", v1::GRANULARITY_WEEK));
  ASSERT_TRUE(range.ok());
  std::vector<Span> weeks = Buckets(*range, absl::UTCTimeZone());
  ASSERT_EQ(weeks.size(), 3u);
  EXPECT_EQ(weeks[0].first_day, absl::CivilDay(2026, 12, 2));
  EXPECT_EQ(weeks[0].end - weeks[0].start, absl::Hours(24 * 5));
  EXPECT_EQ(weeks[1].first_day, absl::CivilDay(2026, 12, 7));
  EXPECT_EQ(weeks[2].first_day, absl::CivilDay(2026, 12, 14));
  EXPECT_EQ(weeks[2].end, absl::FromCivil(absl::CivilDay(2026, 12, 21), absl::UTCTimeZone()));
}

TEST(ReportRangeTest, MonthsInAZoneEndAtLocalMidnight) {
  const absl::TimeZone tokyo = Zone("Asia/Tokyo");
  auto range = ParseRange("range", Range("2026-01-15", "2026-03-31", v1::GRANULARITY_MONTH));
  ASSERT_TRUE(range.ok());
  std::vector<Span> months = Buckets(*range, tokyo);
  ASSERT_EQ(months.size(), 3u);
  EXPECT_EQ(months[0].first_day, absl::CivilDay(2026, 1, 15));
  EXPECT_EQ(months[1].first_day, absl::CivilDay(2026, 2, 1));
  EXPECT_EQ(months[1].start,
            absl::FromCivil(absl::CivilSecond(2026, 1, 31, 15, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(months[1].end - months[1].start, absl::Hours(24 * 28));
  EXPECT_EQ(RangeSpan(*range, tokyo).end, months[2].end);
}

TEST(ReportRangeTest, ComparisonRanges) {
  auto range = ParseRange("range", Range("2028-02-01", "2028-02-29"));
  ASSERT_TRUE(range.ok());
  DayRange previous = ComparisonRange(*range, v1::COMPARISON_PREVIOUS_PERIOD);
  EXPECT_EQ(previous.first, absl::CivilDay(2028, 1, 3));
  EXPECT_EQ(previous.last, absl::CivilDay(2028, 1, 31));
  DayRange last_year = ComparisonRange(*range, v1::COMPARISON_PREVIOUS_YEAR);
  EXPECT_EQ(last_year.first, absl::CivilDay(2027, 2, 1));
  EXPECT_EQ(last_year.last, absl::CivilDay(2027, 2, 28));
}

TEST(ReportRangeTest, BadRangesNameTheField) {
  EXPECT_EQ(ParseRange("range", Range("2026-13-01", "2026-12-31")).status().message(),
            "range.start_date: must be a date YYYY-MM-DD, got \"2026-13-01\"");
  EXPECT_EQ(ParseRange("range", Range("2026-01-01", "")).status().message(),
            "range.end_date: must be a date YYYY-MM-DD, got \"\"");
  EXPECT_EQ(ParseRange("range", Range("2026-02-01", "2026-01-31")).status().message(),
            "range.end_date: must not be before start_date");
  EXPECT_FALSE(ParseRange("range", Range("2020-01-01", "2026-01-31")).ok());
  EXPECT_FALSE(ParseRange("range", Range("2026-1-01", "2026-01-31")).ok());
  EXPECT_EQ(
      ParseRange("range", Range("2026-01-01", "2026-01-31", v1::Granularity(9))).status().message(),
      "range.granularity: must be GRANULARITY_DAY, GRANULARITY_WEEK or GRANULARITY_MONTH");
}

}  // namespace
}  // namespace store::reporting
