#include "services/reporting/domain/report_range.h"

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"

namespace store::reporting {
namespace {

absl::StatusOr<absl::CivilDay> ParseDay(absl::string_view field, absl::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || FormatDay(day) != text) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be a date YYYY-MM-DD, got \"", text.substr(0, 40), "\""));
  }
  return day;
}

absl::CivilDay WeekStart(absl::CivilDay day) {
  const int since_monday =
      (static_cast<int>(absl::GetWeekday(day)) - static_cast<int>(absl::Weekday::monday) + 7) % 7;
  return day - since_monday;
}

absl::CivilDay NextBucketStart(absl::CivilDay day, v1::Granularity granularity) {
  switch (granularity) {
    case v1::GRANULARITY_WEEK:
      return WeekStart(day) + 7;
    case v1::GRANULARITY_MONTH:
      return absl::CivilDay(absl::CivilMonth(day) + 1);
    default:
      return day + 1;
  }
}

absl::CivilDay SameDayYearBefore(absl::CivilDay day) {
  // CivilDay normalises 29 February of a common year to 1 March; keep the
  // month instead.
  const absl::CivilDay same(day.year() - 1, day.month(), day.day());
  if (same.month() != day.month()) return absl::CivilDay(day.year() - 1, day.month(), 28);
  return same;
}

}  // namespace

std::string FormatDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string FormatMonth(absl::CivilMonth month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}

absl::StatusOr<DayRange> ParseRange(absl::string_view field, const v1::ReportRange& range) {
  DayRange out;
  absl::StatusOr<absl::CivilDay> first =
      ParseDay(absl::StrCat(field, ".start_date"), range.start_date());
  if (!first.ok()) return first.status();
  absl::StatusOr<absl::CivilDay> last =
      ParseDay(absl::StrCat(field, ".end_date"), range.end_date());
  if (!last.ok()) return last.status();
  if (*last < *first) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".end_date: must not be before start_date"));
  }
  if (*last - *first >= kMaxRangeDays) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".end_date: a range holds at most ", kMaxRangeDays, " days"));
  }
  switch (range.granularity()) {
    case v1::GRANULARITY_UNSPECIFIED:
    case v1::GRANULARITY_DAY:
      out.granularity = v1::GRANULARITY_DAY;
      break;
    case v1::GRANULARITY_WEEK:
    case v1::GRANULARITY_MONTH:
      out.granularity = range.granularity();
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ".granularity: must be GRANULARITY_DAY, GRANULARITY_WEEK or "
                       "GRANULARITY_MONTH"));
  }
  out.first = *first;
  out.last = *last;
  return out;
}

v1::ReportRange ToProto(const DayRange& range) {
  v1::ReportRange out;
  out.set_start_date(FormatDay(range.first));
  out.set_end_date(FormatDay(range.last));
  out.set_granularity(range.granularity);
  return out;
}

absl::Time StartOfDay(absl::CivilDay day, absl::TimeZone zone) {
  const absl::TimeZone::TimeInfo info = zone.At(absl::CivilSecond(day));
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

Span RangeSpan(const DayRange& range, absl::TimeZone zone) {
  return Span{range.first, StartOfDay(range.first, zone), StartOfDay(range.last + 1, zone)};
}

std::vector<Span> Buckets(const DayRange& range, absl::TimeZone zone) {
  std::vector<Span> out;
  for (absl::CivilDay day = range.first; day <= range.last;) {
    const absl::CivilDay next = std::min(NextBucketStart(day, range.granularity), range.last + 1);
    out.push_back(Span{day, StartOfDay(day, zone), StartOfDay(next, zone)});
    day = next;
  }
  return out;
}

DayRange ComparisonRange(const DayRange& range, v1::Comparison comparison) {
  DayRange out = range;
  if (comparison == v1::COMPARISON_PREVIOUS_YEAR) {
    out.first = SameDayYearBefore(range.first);
    out.last = SameDayYearBefore(range.last);
  } else {
    const absl::civil_diff_t days = range.last - range.first + 1;
    out.first = range.first - days;
    out.last = range.first - 1;
  }
  return out;
}

v1::Bucket ToProto(const Span& span) {
  v1::Bucket out;
  out.set_start_date(FormatDay(span.first_day));
  *out.mutable_start_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(span.start));
  *out.mutable_end_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(span.end));
  return out;
}

}  // namespace store::reporting
