#include "services/order/domain/order_export.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "libs/core/money.h"
#include "services/order/domain/order_state.h"

namespace store::order {
namespace {

// "card" from PAYMENT_METHOD_CARD.
std::string PaymentMethodName(v1::PaymentMethod method) {
  std::string name = v1::PaymentMethod_Name(method);
  constexpr absl::string_view kPrefix = "PAYMENT_METHOD_";
  if (absl::StartsWith(name, kPrefix)) name = name.substr(kPrefix.size());
  return absl::AsciiStrToLower(name);
}

}  // namespace

std::string ExportTime(const google::protobuf::Timestamp& ts, const absl::TimeZone& zone) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  const absl::TimeZone::CivilInfo at = zone.At(absl::FromUnixSeconds(ts.seconds()));
  const int offset_minutes = at.offset / 60;
  const int abs_minutes = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", at.cs.year(), at.cs.month(),
                         at.cs.day(), at.cs.hour(), at.cs.minute(), at.cs.second(),
                         offset_minutes < 0 ? '-' : '+', abs_minutes / 60, abs_minutes % 60);
}

namespace {

void Money(CsvStream& csv, const common::v1::Money& m, absl::string_view currency) {
  csv.Field(FormatDecimal(m.amount_minor(), currency));
}

void Address(CsvStream& csv, const common::v1::Address& a) {
  for (const std::string* f : {&a.name(), &a.company(), &a.line1(), &a.line2(), &a.city(),
                               &a.region(), &a.postal_code(), &a.country_code(), &a.phone()}) {
    csv.Field(*f);
  }
}

const char* const kAddressParts[] = {"name",   "company",     "line1",   "line2", "city",
                                     "region", "postal_code", "country", "phone"};

}  // namespace

std::vector<std::string> OrderExportHeader(v1::OrderExportLayout layout) {
  if (layout == v1::ORDER_EXPORT_LAYOUT_PRODUCTS) {
    return {"sku",
            "name",
            "quantity_sold",
            "quantity_refunded",
            "quantity_returned",
            "net_quantity",
            "net_sales",
            "currency",
            "orders",
            "order_numbers"};
  }
  std::vector<std::string> h = {"order_number",   "order_id",    "created_at", "updated_at",
                                "status",         "customer_id", "email",      "customer_name",
                                "customer_phone", "guest"};
  for (const char* part : kAddressParts) h.push_back(absl::StrCat("shipping_", part));
  for (const char* part : kAddressParts) h.push_back(absl::StrCat("billing_", part));
  for (const char* col :
       {"billing_vat_id", "payment_method", "delivery_method", "delivery_name", "discount_codes",
        "currency", "subtotal", "discount", "shipping", "tax", "total", "paid", "refunded",
        "carrier", "tracking_number", "shipped_at", "customer_note"}) {
    h.push_back(col);
  }
  if (layout == v1::ORDER_EXPORT_LAYOUT_LINES) {
    for (const char* col : {"line_no", "sku", "name", "quantity", "quantity_refunded",
                            "quantity_returned", "unit_price", "line_subtotal", "line_discount",
                            "line_tax", "line_total", "tax_rate_percent"}) {
      h.push_back(col);
    }
  }
  return h;
}

void WriteOrderFields(const v1::Order& o, const absl::TimeZone& zone, CsvStream& csv) {
  const std::string& cur = o.currency_code();
  csv.Field(absl::StrCat(o.number()));
  csv.Field(o.id());
  csv.Field(ExportTime(o.create_time(), zone));
  csv.Field(ExportTime(o.update_time(), zone));
  csv.Field(StatusName(o.status()));
  csv.Field(o.customer().customer_id());
  csv.Field(o.customer().email());
  csv.Field(o.customer().name());
  csv.Field(o.customer().phone());
  csv.Field(o.customer().guest() ? "yes" : "no");
  Address(csv, o.shipping_address());
  Address(csv, o.billing_address());
  csv.Field(o.billing_address().vat_id());
  csv.Field(PaymentMethodName(o.payment_method()));
  csv.Field(o.delivery_method().code());
  csv.Field(o.delivery_method().name());
  std::vector<std::string> codes;
  for (const v1::Discount& d : o.discounts()) {
    if (!d.code().empty()) codes.push_back(d.code());
  }
  csv.Field(absl::StrJoin(codes, " "));
  csv.Field(cur);
  const v1::OrderTotals& t = o.totals();
  for (const common::v1::Money* m : {&t.subtotal(), &t.discount(), &t.shipping(), &t.tax(),
                                     &t.total(), &t.paid(), &t.refunded()}) {
    Money(csv, *m, cur);
  }
  csv.Field(o.shipment().carrier());
  csv.Field(o.shipment().tracking_number());
  csv.Field(ExportTime(o.shipment().shipped_at(), zone));
  csv.Field(o.customer_note());
}

void WriteLineFields(const v1::Order& o, int line_no, CsvStream& csv) {
  const v1::OrderItem& item = o.items(line_no - 1);
  const std::string& cur = o.currency_code();
  csv.Field(absl::StrCat(line_no));
  csv.Field(item.sku());
  csv.Field(item.name());
  csv.Field(absl::StrCat(item.quantity()));
  csv.Field(absl::StrCat(item.refunded_quantity()));
  csv.Field(absl::StrCat(item.returned_quantity()));
  for (const common::v1::Money* m :
       {&item.unit_price(), &item.subtotal(), &item.discount(), &item.tax(), &item.total()}) {
    Money(csv, *m, cur);
  }
  // Basis points as a percentage with two decimals (1900 -> 19.00).
  csv.Field(absl::StrFormat("%d.%02d", item.tax_rate_bp() / 100, item.tax_rate_bp() % 100));
}

int64_t LineNetSales(const v1::OrderItem& item) {
  const int64_t net = item.subtotal().amount_minor() - item.discount().amount_minor();
  if (item.quantity() <= 0 || item.refunded_quantity() <= 0) return net;
  const int64_t refunded = std::min<int64_t>(item.refunded_quantity(), item.quantity());
  // Half up, in integers: (2 * net * r + q) / (2 * q).
  const int64_t share = (2 * net * refunded + item.quantity()) / (2 * item.quantity());
  return net - share;
}

bool CountsAsSold(const v1::Order& order, const v1::OrderFilter& filter) {
  if (order.status() != v1::ORDER_STATUS_CANCELLED && order.status() != v1::ORDER_STATUS_REJECTED) {
    return true;
  }
  return std::find(filter.statuses().begin(), filter.statuses().end(), order.status()) !=
         filter.statuses().end();
}

void OrderedProducts::Add(const v1::Order& order) {
  for (const v1::OrderItem& item : order.items()) {
    Row& row = rows_[{item.sku(), order.currency_code()}];
    if (row.sku.empty()) {
      row.sku = item.sku();
      row.currency = order.currency_code();
      row.name = item.name();
    }
    row.sold += item.quantity();
    row.refunded += std::min(item.refunded_quantity(), item.quantity());
    row.returned += std::min(item.returned_quantity(), item.quantity());
    row.net_sales += LineNetSales(item);
    // An order with the sku on two lines counts once.
    if (row.numbers.empty() || row.numbers.back() != order.number()) {
      row.numbers.push_back(order.number());
    }
  }
}

std::vector<OrderedProducts::Row> OrderedProducts::Rows() const {
  std::vector<Row> out;
  out.reserve(rows_.size());
  for (const auto& [key, row] : rows_) out.push_back(row);
  std::stable_sort(out.begin(), out.end(), [](const Row& a, const Row& b) {
    return a.sold - a.refunded > b.sold - b.refunded;
  });
  return out;
}

absl::Status OrderedProducts::Write(CsvStream& csv) const {
  for (const Row& r : Rows()) {
    csv.Field(r.sku);
    csv.Field(r.name);
    csv.Field(absl::StrCat(r.sold));
    csv.Field(absl::StrCat(r.refunded));
    csv.Field(absl::StrCat(r.returned));
    csv.Field(absl::StrCat(r.sold - r.refunded));
    csv.Field(FormatDecimal(r.net_sales, r.currency));
    csv.Field(r.currency);
    csv.Field(absl::StrCat(r.numbers.size()));
    csv.Field(absl::StrJoin(r.numbers, " "));
    if (absl::Status s = csv.EndRow(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace store::order
