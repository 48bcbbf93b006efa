// Segments (CUS-08) and live membership (CUS-17). Membership is stored
// (segment_members) so joins and leaves can be published: a customer's
// segments are re-evaluated in the transaction of every change to their
// profile, facts or wallet, and the scheduler re-evaluates whole segments
// whose rules depend on the time ("within 30 days").
#ifndef STORE_SERVICES_CUSTOMER_APP_SEGMENT_APP_H_
#define STORE_SERVICES_CUSTOMER_APP_SEGMENT_APP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "services/customer/app/customer_options.h"
#include "store/customer/v1/customer.pb.h"
#include "store/customer/v1/customer_service.pb.h"

namespace store::customer {

class SegmentApp {
 public:
  SegmentApp(pg::Pool& pool, const Clock& clock, CustomerOptions options = {})
      : pool_(pool), clock_(clock), options_(std::move(options)) {}

  absl::StatusOr<v1::Segment> Create(const v1::Segment& segment);
  absl::StatusOr<v1::Segment> Update(const v1::Segment& segment);
  absl::Status Delete(const std::string& id);
  absl::StatusOr<v1::Segment> Get(const std::string& id);
  absl::StatusOr<std::vector<v1::Segment>> List();
  absl::StatusOr<int64_t> Count(const v1::CountSegmentMembersRequest& request);
  absl::StatusOr<v1::ListSegmentMembersResponse> Members(
      const v1::ListSegmentMembersRequest& request);

  // Re-evaluates every segment (or only time-relative ones) over all
  // customers, publishing joins and leaves. Returns the number of changes.
  absl::StatusOr<int64_t> RefreshAll(bool time_relative_only);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
  CustomerOptions options_;
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_APP_SEGMENT_APP_H_
