#include "services/reporting/domain/sales_rules.h"

#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/money.h"
#include "services/reporting/domain/report_range.h"

namespace store::reporting {
namespace {

using google::protobuf::util::TimeUtil;

// The enum value's name without its type prefix ("ORDER_STATUS_").
template <typename Enum>
std::string ShortName(const google::protobuf::EnumDescriptor* descriptor, Enum value,
                      absl::string_view prefix) {
  const google::protobuf::EnumValueDescriptor* v = descriptor->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(static_cast<int>(value));
  absl::string_view name = v->name();
  if (absl::StartsWith(name, prefix)) name.remove_prefix(prefix.size());
  return std::string(name);
}

}  // namespace

absl::StatusOr<CountFrom> ParseCountFrom(absl::string_view text) {
  if (text == "placed") return CountFrom::kPlaced;
  if (text == "paid") return CountFrom::kPaid;
  return absl::InvalidArgumentError("must be \"placed\" or \"paid\"");
}

absl::string_view CountFromName(CountFrom mode) {
  return mode == CountFrom::kPaid ? "paid" : "placed";
}

std::string StatusName(order::v1::OrderStatus status) {
  return ShortName(order::v1::OrderStatus_descriptor(), status, "ORDER_STATUS_");
}
std::string PaymentMethodName(order::v1::PaymentMethod method) {
  return ShortName(order::v1::PaymentMethod_descriptor(), method, "PAYMENT_METHOD_");
}
std::string OutcomeName(order::v1::PaymentOutcome outcome) {
  return ShortName(order::v1::PaymentOutcome_descriptor(), outcome, "PAYMENT_OUTCOME_");
}

OrderFacts FactsOf(const order::v1::Order& order, const std::string& guest_key) {
  OrderFacts f;
  f.order_id = order.id();
  f.number = order.number();
  f.version = order.version();
  f.status = StatusName(order.status());
  f.currency = order.currency_code();
  f.customer_id = order.customer().customer_id();
  f.customer_key = f.customer_id.empty() ? guest_key : f.customer_id;
  f.payment_method = PaymentMethodName(order.payment_method());
  f.delivery_method = order.delivery_method().code();
  f.country = order.shipping_address().country_code();
  f.placed_at = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(order.create_time()));
  f.any_payment = order.totals().paid().amount_minor() > 0;
  f.shipping = order.totals().shipping().amount_minor();
  f.tax = order.totals().tax().amount_minor();
  for (const order::v1::OrderItem& item : order.items()) {
    LineFacts line;
    line.sku = item.sku();
    line.name = item.name();
    line.quantity = item.quantity();
    line.gross = item.unit_price().amount_minor() * item.quantity();
    line.discount = item.discount().amount_minor();
    f.gross += line.gross;
    f.discount += line.discount;
    f.units += line.quantity;
    f.lines.push_back(std::move(line));
  }
  return f;
}

std::optional<absl::Time> CountedAt(CountFrom mode, const OrderFacts& order,
                                    std::optional<absl::Time> paid_at) {
  if (mode == CountFrom::kPaid) return paid_at;
  const bool voided = order.status == "CANCELLED" || order.status == "REJECTED";
  if (voided && !order.any_payment) return std::nullopt;
  return order.placed_at;
}

std::vector<RefundLineFacts> AttributeRefund(const OrderFacts& order,
                                             const order::v1::Refund& refund) {
  std::vector<RefundLineFacts> out;
  std::vector<int64_t> weights;
  auto net_per_unit_times = [](const LineFacts& line, int64_t units) {
    return line.quantity == 0 ? 0
                              : DivideRounded((line.gross - line.discount) * units, line.quantity);
  };
  auto add = [&](const std::string& sku, int64_t quantity, int64_t weight) {
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].sku == sku) {
        out[i].quantity += quantity;
        weights[i] += weight;
        return;
      }
    }
    out.push_back(RefundLineFacts{sku, quantity, 0});
    weights.push_back(weight);
  };
  for (const order::v1::RefundLine& named : refund.lines()) {
    int64_t weight = 0;
    for (const LineFacts& line : order.lines) {
      if (line.sku == named.sku()) {
        weight = net_per_unit_times(line, named.quantity());
        break;
      }
    }
    add(named.sku(), named.quantity(), weight);
  }
  if (out.empty()) {
    for (const LineFacts& line : order.lines) add(line.sku, 0, line.gross - line.discount);
  }
  if (out.empty()) add("", 0, 0);
  const std::vector<int64_t> shares =
      AllocateProportionally(refund.amount().amount_minor(), weights);
  for (size_t i = 0; i < out.size(); ++i) out[i].amount = shares[i];
  return out;
}

std::string LinesDigest(const OrderFacts& order) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](absl::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0x1f;
    h *= 1099511628211ULL;
  };
  for (const LineFacts& l : order.lines) {
    mix(l.sku);
    mix(l.name);
    mix(absl::StrCat(l.quantity, "/", l.gross, "/", l.discount));
  }
  return absl::StrCat(absl::Hex(h, absl::kZeroPad16));
}

common::v1::Money MoneyOf(int64_t amount_minor, const std::string& currency) {
  common::v1::Money m;
  m.set_amount_minor(amount_minor);
  m.set_currency_code(currency);
  return m;
}

int64_t DivideRounded(int64_t a, int64_t b) {
  if (b == 0) return 0;
  const int64_t q = a / b;
  const int64_t r = a % b;
  if (2 * std::llabs(r) >= std::llabs(b)) return q + (((a < 0) != (b < 0)) ? -1 : 1);
  return q;
}

int64_t Figures::AverageOrderValue() const { return DivideRounded(gross - discounts, orders); }

Figures& Figures::operator+=(const Figures& other) {
  orders += other.orders;
  units += other.units;
  gross += other.gross;
  discounts += other.discounts;
  returns += other.returns;
  shipping += other.shipping;
  taxes += other.taxes;
  return *this;
}

v1::SalesFigures ToProto(const Figures& figures, const std::string& currency) {
  v1::SalesFigures out;
  out.set_orders(figures.orders);
  out.set_units(figures.units);
  *out.mutable_gross_sales() = MoneyOf(figures.gross, currency);
  *out.mutable_discounts() = MoneyOf(figures.discounts, currency);
  *out.mutable_returns() = MoneyOf(figures.returns, currency);
  *out.mutable_net_sales() = MoneyOf(figures.Net(), currency);
  *out.mutable_shipping() = MoneyOf(figures.shipping, currency);
  *out.mutable_taxes() = MoneyOf(figures.taxes, currency);
  *out.mutable_total_sales() = MoneyOf(figures.Total(), currency);
  *out.mutable_average_order_value() = MoneyOf(figures.AverageOrderValue(), currency);
  return out;
}

std::vector<v1::Cohort> BuildCohorts(const std::map<absl::CivilMonth, int64_t>& sizes,
                                     const std::vector<CohortCell>& cells, absl::CivilMonth last,
                                     const std::string& currency) {
  std::vector<v1::Cohort> out;
  for (const auto& [month, customers] : sizes) {
    v1::Cohort cohort;
    cohort.set_cohort_month(FormatMonth(month));
    cohort.set_customers(customers);
    const int64_t offsets = last >= month ? last - month + 1 : 0;
    int64_t net = 0;
    for (int64_t i = 0; i < offsets; ++i) {
      v1::CohortMonth* m = cohort.add_months();
      m->set_month_offset(static_cast<int32_t>(i));
      *m->mutable_net_sales() = MoneyOf(0, currency);
    }
    for (const CohortCell& cell : cells) {
      if (cell.cohort != month || cell.month < month || cell.month > last) continue;
      v1::CohortMonth* m = cohort.mutable_months(static_cast<int>(cell.month - month));
      m->set_active_customers(m->active_customers() + cell.active_customers);
      m->set_orders(m->orders() + cell.orders);
      m->mutable_net_sales()->set_amount_minor(m->net_sales().amount_minor() + cell.net_sales);
      net += cell.net_sales;
    }
    *cohort.mutable_net_sales() = MoneyOf(net, currency);
    *cohort.mutable_lifetime_value() = MoneyOf(DivideRounded(net, customers), currency);
    out.push_back(std::move(cohort));
  }
  return out;
}

}  // namespace store::reporting
