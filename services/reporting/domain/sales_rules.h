// The definitions of the reports (REP-09), as pure functions: what an order
// contributes, when it counts, how a refund is attributed to skus, and how
// the derived figures follow from the summed ones. The README's
// "Definitions" section says the same in words.
#ifndef STORE_SERVICES_REPORTING_DOMAIN_SALES_RULES_H_
#define STORE_SERVICES_REPORTING_DOMAIN_SALES_RULES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "store/order/v1/order.pb.h"
#include "store/reporting/v1/report.pb.h"

namespace store::reporting {

// From which moment an order counts (REPORTING_COUNT_FROM).
enum class CountFrom {
  // Its placement, unless it was cancelled or rejected before any money
  // was paid.
  kPlaced,
  // The payment that made it fully paid.
  kPaid,
};
absl::StatusOr<CountFrom> ParseCountFrom(absl::string_view text);
absl::string_view CountFromName(CountFrom mode);

// One order line as the reports see it.
struct LineFacts {
  std::string sku;
  std::string name;
  int64_t quantity = 0;
  int64_t gross = 0;     // unit price × quantity
  int64_t discount = 0;  // the line's share of the order discounts
};

// What an order contributes, from its latest snapshot.
struct OrderFacts {
  std::string order_id;
  int64_t number = 0;
  int64_t version = 0;
  std::string status;  // "PROCESSING"
  std::string currency;
  // The customer id, or for a guest "guest:" + SHA-256 hex of the email
  // (`guest_key`, computed by the caller): never the email itself.
  std::string customer_key;
  std::string customer_id;
  std::string payment_method;   // "CARD"
  std::string delivery_method;  // "express"
  std::string country;          // shipping country
  absl::Time placed_at;
  bool any_payment = false;  // some money was paid
  int64_t gross = 0;
  int64_t discount = 0;
  int64_t shipping = 0;
  int64_t tax = 0;
  int64_t units = 0;
  std::vector<LineFacts> lines;
};

// A stable digest (FNV-1a, hex) of the order's lines as the reports keep
// them: equal digests, equal lines.
std::string LinesDigest(const OrderFacts& order);

// "PROCESSING" for ORDER_STATUS_PROCESSING, "CARD" for PAYMENT_METHOD_CARD.
std::string StatusName(order::v1::OrderStatus status);
std::string PaymentMethodName(order::v1::PaymentMethod method);
std::string OutcomeName(order::v1::PaymentOutcome outcome);

OrderFacts FactsOf(const order::v1::Order& order, const std::string& guest_key);

// When the order counts, or nullopt when it does not (yet): `paid_at` is the
// moment it became fully paid, if it did.
std::optional<absl::Time> CountedAt(CountFrom mode, const OrderFacts& order,
                                    std::optional<absl::Time> paid_at);

// A refund's amount attributed to skus: to the lines it names in proportion
// to the value of the units refunded (line net of discount per unit), or,
// when it names none (an amount-only refund), to every line of the order in
// proportion to its net value. The amounts add up to the refund's amount
// exactly, so the products report sums to the sales report.
struct RefundLineFacts {
  std::string sku;
  int64_t quantity = 0;
  int64_t amount = 0;
};
std::vector<RefundLineFacts> AttributeRefund(const OrderFacts& order,
                                             const order::v1::Refund& refund);

// Summed figures of a set of orders and refunds, and what derives from them.
struct Figures {
  int64_t orders = 0;
  int64_t units = 0;
  int64_t gross = 0;
  int64_t discounts = 0;
  int64_t returns = 0;
  int64_t shipping = 0;
  int64_t taxes = 0;

  int64_t Net() const { return gross - discounts - returns; }
  int64_t Total() const { return Net() + shipping + taxes; }
  // (gross − discounts) / orders, rounded half away from zero.
  int64_t AverageOrderValue() const;
  bool IsZero() const {
    return orders == 0 && units == 0 && gross == 0 && discounts == 0 && returns == 0 &&
           shipping == 0 && taxes == 0;
  }
  Figures& operator+=(const Figures& other);
};
v1::SalesFigures ToProto(const Figures& figures, const std::string& currency);

// An amount of the report's currency.
common::v1::Money MoneyOf(int64_t amount_minor, const std::string& currency);

// a / b rounded half away from zero; 0 when b is 0.
int64_t DivideRounded(int64_t a, int64_t b);

// Cohorts (REP-08) from per-(cohort month, activity month) sums.
struct CohortCell {
  absl::CivilMonth cohort;
  absl::CivilMonth month;
  int64_t active_customers = 0;
  int64_t orders = 0;
  int64_t net_sales = 0;
};
// `sizes`: customers per cohort month. Cohorts come oldest first, each with
// one month per offset from 0 to `last` (zeros where nobody bought), and a
// lifetime value of its net sales per customer.
std::vector<v1::Cohort> BuildCohorts(const std::map<absl::CivilMonth, int64_t>& sizes,
                                     const std::vector<CohortCell>& cells, absl::CivilMonth last,
                                     const std::string& currency);

}  // namespace store::reporting

#endif  // STORE_SERVICES_REPORTING_DOMAIN_SALES_RULES_H_
