// Ranges of days in the store's time zone and their buckets (REP-09): pure
// calendar arithmetic on absl civil time, no I/O.
#ifndef STORE_SERVICES_REPORTING_DOMAIN_REPORT_RANGE_H_
#define STORE_SERVICES_REPORTING_DOMAIN_REPORT_RANGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "store/reporting/v1/report.pb.h"

namespace store::reporting {

// The longest range a report covers (about three years).
inline constexpr int kMaxRangeDays = 3 * 366;

struct DayRange {
  absl::CivilDay first;
  absl::CivilDay last;  // included
  v1::Granularity granularity = v1::GRANULARITY_DAY;
};

// Validates `range` (the request field named `field`): both dates
// "YYYY-MM-DD", first <= last, at most kMaxRangeDays days; granularity
// defaults to days.
absl::StatusOr<DayRange> ParseRange(absl::string_view field, const v1::ReportRange& range);
v1::ReportRange ToProto(const DayRange& range);

// "YYYY-MM-DD" / "YYYY-MM".
std::string FormatDay(absl::CivilDay day);
std::string FormatMonth(absl::CivilMonth month);

// The instant a day starts in `zone`: its local midnight, or when midnight
// is skipped by a daylight-saving change, the moment of the change.
absl::Time StartOfDay(absl::CivilDay day, absl::TimeZone zone);

// [start, end) of the whole range in `zone`.
struct Span {
  absl::CivilDay first_day;
  absl::Time start;
  absl::Time end;
};
Span RangeSpan(const DayRange& range, absl::TimeZone zone);

// The buckets of the range: calendar days, ISO weeks (Monday first) or
// months, cut to the range (the first and last may be partial), each from
// the local start of its first day to the local start of the day after its
// last, so a day with a daylight-saving change lasts 23 or 25 hours.
std::vector<Span> Buckets(const DayRange& range, absl::TimeZone zone);

// The range a report is compared with: the same number of days just before,
// or the same dates a year earlier (29 February becomes 28 February).
DayRange ComparisonRange(const DayRange& range, v1::Comparison comparison);

v1::Bucket ToProto(const Span& span);

}  // namespace store::reporting

#endif  // STORE_SERVICES_REPORTING_DOMAIN_REPORT_RANGE_H_
