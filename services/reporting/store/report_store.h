// The reporting service's SQL, and nothing else: writing the read models
// from events, and the aggregate queries behind each report. Every function
// runs in the caller's transaction. Time ranges are half-open [start, end)
// instants; bucket boundaries come from the domain (report_range.h), so the
// database never cuts days itself.
#ifndef STORE_SERVICES_REPORTING_STORE_REPORT_STORE_H_
#define STORE_SERVICES_REPORTING_STORE_REPORT_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/reporting/domain/report_range.h"
#include "services/reporting/domain/sales_rules.h"
#include "store/reporting/v1/report.pb.h"

namespace store::reporting {

// What a query covers: the currency and the instants of its buckets.
struct Window {
  std::string currency;
  absl::Time start;
  absl::Time end;
  // The buckets' start instants, in order (the first is `start`).
  std::vector<absl::Time> bucket_starts;
  // The same as days of the store's zone ("YYYY-MM-DD"): the first and last
  // day, and each bucket's first day.
  std::string first_day;
  std::string last_day;
  std::vector<std::string> bucket_days;
};

// Filters of a drill-down (empty = any).
struct OrderFilter {
  bool refunded = false;  // orders refunded in the window, not counted in it
  std::string status;
  std::string payment_method;
  std::string delivery_method;
  std::string sku;
  std::string customer_id;
};

struct CustomerRow {
  std::string customer_key;
  std::string customer_id;
  std::string group_id;  // "" unknown / none
  std::string country;   // of their latest order in the window
  int64_t orders = 0;
  int64_t total_sales = 0;
  std::string last_order_id;
  int64_t last_order_number = 0;
};

struct NewReturningRow {
  int bucket = 0;  // 0-based
  bool is_new = false;
  int64_t customers = 0;
  int64_t orders = 0;
  int64_t sales = 0;  // gross − discounts
};

struct PaymentSum {
  int bucket = 0;
  std::string method;
  std::string outcome;
  int64_t payments = 0;
  int64_t amount = 0;
};

class ReportStore {
 public:
  // --- Writing (event handlers) ---

  // Where an order's figures go in report_days: its currency and dimensions.
  struct SlotKey {
    std::string currency;
    std::string status;
    std::string payment_method;
    std::string delivery_method;
  };
  // What is stored of an order, locked; nullopt when new.
  struct OrderState {
    int64_t version = 0;
    std::optional<absl::Time> paid_at;
    std::optional<absl::Time> counted_at;
    SlotKey key;
    Figures figures;  // orders = 1
    std::string lines_digest;
  };
  static std::optional<OrderState> LockOrder(pqxx::transaction_base& tx,
                                             const std::string& order_id);
  // Replaces the order's row and lines. `counted_at` is the moment under the
  // active mode, `placed_count_at` and `paid_at` the moments under each.
  // The lines are rewritten only when their digest differs from
  // `stored_lines_digest` (the stored row's; "" for a new order).
  static void SaveOrder(pqxx::transaction_base& tx, const OrderFacts& order,
                        std::optional<absl::Time> placed_count_at,
                        std::optional<absl::Time> paid_at, std::optional<absl::Time> counted_at,
                        const std::string& stored_lines_digest);
  // The order's refunds: (time, amount).
  static std::vector<std::pair<absl::Time, int64_t>> RefundsOf(pqxx::transaction_base& tx,
                                                               const std::string& order_id);
  // Adds `delta` (negative to subtract) to the day row of `day`
  // ("YYYY-MM-DD" in the store's zone).
  static void AddToDay(pqxx::transaction_base& tx, const SlotKey& key, const std::string& day,
                       const Figures& delta);
  // report_days again from report_orders and report_refunds, in `zone` (an
  // IANA name), after a recount or a change of zone.
  static void RecomputeDays(pqxx::transaction_base& tx, const std::string& zone);
  // The time zone report_days was summed in, and recording it.
  static std::optional<std::string> DaysZone(pqxx::transaction_base& tx);
  static void SetDaysZone(pqxx::transaction_base& tx, const std::string& zone);
  // False when the refund is known already (nothing written).
  static bool AddRefund(pqxx::transaction_base& tx, const std::string& order_id,
                        const std::string& refund_id, int64_t amount, absl::Time refunded_at,
                        const std::vector<RefundLineFacts>& lines);
  static void SavePayment(pqxx::transaction_base& tx, const std::string& payment_id,
                          const std::string& order_id, const std::string& method,
                          const std::string& provider, const std::string& outcome,
                          const std::string& currency, int64_t amount, absl::Time at);
  static void SaveCustomer(pqxx::transaction_base& tx, const std::string& customer_id,
                           const std::string& group_id, const std::string& country,
                           int64_t version);
  static void DeleteCustomer(pqxx::transaction_base& tx, const std::string& customer_id);
  static void SaveCampaign(pqxx::transaction_base& tx, const v1::CampaignRow& campaign,
                           const std::string& currency);

  // For the statements of `tx` that go over every row (a recount, a
  // recompute, a rebuild's comparison): a statement timeout of 30 minutes
  // instead of the pool's.
  static void AllowLongStatements(pqxx::transaction_base& tx);

  // The REPORTING_COUNT_FROM counted_at was last computed for, and a
  // recount of every order for another mode.
  static std::optional<std::string> CountedFrom(pqxx::transaction_base& tx);
  static void Recount(pqxx::transaction_base& tx, CountFrom mode);

  // --- Reading (reports) ---

  // The day rows of the window summed per bucket and dimensions: the sales
  // report's one scan.
  struct SlotSum {
    int bucket = 0;
    std::string status;
    std::string payment_method;
    std::string delivery_method;
    Figures figures;
  };
  static std::vector<SlotSum> DaySums(pqxx::transaction_base& tx, const Window& window);

  // Every sku sold or refunded in the window (sorting is the caller's).
  static std::vector<v1::ProductRow> Products(pqxx::transaction_base& tx, const Window& window);

  static std::vector<NewReturningRow> NewAndReturning(pqxx::transaction_base& tx,
                                                      const Window& window);
  // Every customer with a counted order in the window.
  static std::vector<CustomerRow> Customers(pqxx::transaction_base& tx, const Window& window);

  static std::vector<PaymentSum> Payments(pqxx::transaction_base& tx, const Window& window);
  // Refunds per bucket of every order in the currency (money moved).
  static std::vector<std::pair<int64_t, int64_t>> RefundsByBucket(pqxx::transaction_base& tx,
                                                                  const Window& window);

  static std::vector<v1::CampaignRow> Campaigns(pqxx::transaction_base& tx, absl::Time start,
                                                absl::Time end);

  // Cohorts of customers whose first counted order falls in the window, by
  // month bucket (window.bucket_starts are month starts).
  static std::map<int, int64_t> CohortSizes(pqxx::transaction_base& tx, const Window& window);
  struct CohortSum {
    int cohort = 0;
    int month = 0;
    int64_t active_customers = 0;
    int64_t orders = 0;
    int64_t net_sales = 0;
  };
  static std::vector<CohortSum> CohortActivity(pqxx::transaction_base& tx, const Window& window);

  // Drill-down: a page of the orders behind a figure, by number, after
  // `after_number`; up to limit + 1 rows.
  static std::vector<v1::ReportOrder> Orders(pqxx::transaction_base& tx, const Window& window,
                                             const OrderFilter& filter, int64_t after_number,
                                             int limit);
  static int64_t CountOrders(pqxx::transaction_base& tx, const Window& window,
                             const OrderFilter& filter);
};

}  // namespace store::reporting

#endif  // STORE_SERVICES_REPORTING_STORE_REPORT_STORE_H_
