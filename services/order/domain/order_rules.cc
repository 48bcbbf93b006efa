#include "services/order/domain/order_rules.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/money.h"
#include "libs/core/status.h"

namespace store::order {

using common::v1::Money;

Money MakeMoney(int64_t amount, const std::string& currency) {
  Money m;
  m.set_amount_minor(amount);
  m.set_currency_code(currency);
  return m;
}

absl::Status CheckMoney(absl::string_view field, const Money& m, const std::string& currency,
                        bool allow_zero) {
  if (!m.currency_code().empty() && m.currency_code() != currency) {
    return InvalidField(absl::StrCat(field, ".currency_code"),
                        absl::StrCat("must be the order currency ", currency, ", not ",
                                     m.currency_code()));
  }
  if (m.amount_minor() < 0 || (!allow_zero && m.amount_minor() == 0)) {
    return InvalidField(absl::StrCat(field, ".amount_minor"),
                        allow_zero ? "must not be negative" : "must be positive");
  }
  if (m.amount_minor() > kMaxAmountMinor) {
    return InvalidField(absl::StrCat(field, ".amount_minor"), "is too large");
  }
  return absl::OkStatus();
}

absl::Status CheckAddress(absl::string_view field, common::v1::Address* a) {
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".name"), a->name(), 1, 200));
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".company"), a->company(), 0, 200));
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".line1"), a->line1(), 1, 200));
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".line2"), a->line2(), 0, 200));
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".city"), a->city(), 1, 100));
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".region"), a->region(), 0, 100));
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".postal_code"), a->postal_code(), 0, 20));
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".vat_id"), a->vat_id(), 0, 32));
  for (char c : a->vat_id()) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.' && c != ' ') {
      return InvalidField(absl::StrCat(field, ".vat_id"), "may contain only letters, digits, spaces, - and .");
    }
  }
  const std::string country = absl::AsciiStrToUpper(a->country_code());
  if (country.size() != 2 || !absl::ascii_isalpha(country[0]) || !absl::ascii_isalpha(country[1])) {
    return InvalidField(absl::StrCat(field, ".country_code"),
                        "must be an ISO 3166-1 alpha-2 code such as US or KW");
  }
  a->set_country_code(country);
  if (!a->phone().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string phone,
                           NormalizePhone(absl::StrCat(field, ".phone"), a->phone()));
    a->set_phone(phone);
  }
  return absl::OkStatus();
}

absl::Status ValidateReason(absl::string_view field, absl::string_view reason) {
  return ValidateText(field, reason, 1, 500);
}

absl::Status CheckPercent(absl::string_view field, int32_t percent_bp) {
  if (percent_bp <= 0 || percent_bp > 10000) {
    return InvalidField(field, "must be 1..10000 (basis points)");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::OrderItem> CheckItem(absl::string_view f, const v1::OrderItem& src,
                                        const std::string& currency) {
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(f, ".sku"), src.sku(), 1, 64));
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(f, ".name"), src.name(), 1, 200));
  if (src.quantity() < 1 || src.quantity() > kMaxQuantity) {
    return InvalidField(absl::StrCat(f, ".quantity"),
                        absl::StrCat("must be 1..", kMaxQuantity, ", got ", src.quantity()));
  }
  if (!src.has_unit_price()) return InvalidField(absl::StrCat(f, ".unit_price"), "is required");
  STORE_RETURN_IF_ERROR(CheckMoney(absl::StrCat(f, ".unit_price"), src.unit_price(), currency,
                                   /*allow_zero=*/true));
  if (src.tax_rate_bp() < 0 || src.tax_rate_bp() > 10000) {
    return InvalidField(absl::StrCat(f, ".tax_rate_bp"), "must be 0..10000 (basis points)");
  }
  v1::OrderItem item;
  item.set_sku(src.sku());
  item.set_name(src.name());
  item.set_quantity(src.quantity());
  *item.mutable_unit_price() = MakeMoney(src.unit_price().amount_minor(), currency);
  item.set_tax_rate_bp(src.tax_rate_bp());
  return item;
}

absl::StatusOr<v1::DeliveryMethod> CheckDeliveryMethod(absl::string_view f,
                                                       const v1::DeliveryMethod& dm,
                                                       const std::string& currency) {
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(f, ".code"), dm.code(), 1, 64));
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(f, ".name"), dm.name(), 0, 200));
  STORE_RETURN_IF_ERROR(CheckMoney(absl::StrCat(f, ".fee"), dm.fee(), currency, true));
  if (dm.tax_rate_bp() < 0 || dm.tax_rate_bp() > 10000) {
    return InvalidField(absl::StrCat(f, ".tax_rate_bp"), "must be 0..10000 (basis points)");
  }
  v1::DeliveryMethod delivery;
  delivery.set_code(dm.code());
  delivery.set_name(dm.name());
  *delivery.mutable_fee() = MakeMoney(dm.fee().amount_minor(), currency);
  delivery.set_tax_rate_bp(dm.tax_rate_bp());
  return delivery;
}

absl::StatusOr<v1::Discount> CheckDiscount(absl::string_view field, const v1::Discount& src,
                                           const std::string& currency) {
  STORE_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".code"), src.code(), 0, 64));
  STORE_RETURN_IF_ERROR(
      ValidateText(absl::StrCat(field, ".description"), src.description(), 0, 200));
  v1::Discount d;
  d.set_code(src.code());
  d.set_description(src.description());
  switch (src.value_case()) {
    case v1::Discount::kPercentBp:
      STORE_RETURN_IF_ERROR(CheckPercent(absl::StrCat(field, ".percent_bp"), src.percent_bp()));
      d.set_percent_bp(src.percent_bp());
      break;
    case v1::Discount::kAmount:
      STORE_RETURN_IF_ERROR(
          CheckMoney(absl::StrCat(field, ".amount"), src.amount(), currency, false));
      *d.mutable_amount() = MakeMoney(src.amount().amount_minor(), currency);
      break;
    default:
      return InvalidField(field, "needs percent_bp or amount");
  }
  return d;
}

absl::StatusOr<v1::Order> BuildNewOrder(const v1::PlaceOrderRequest& request) {
  if (!IsUuid(request.request_id())) {
    return InvalidField("request_id", "must be a UUID chosen by the caller (it makes retries safe)");
  }
  STORE_RETURN_IF_ERROR(ValidateCurrency("currency_code", request.currency_code()));
  const std::string& currency = request.currency_code();
  v1::Order order;
  order.set_currency_code(currency);

  // Customer: a registered customer id, or a guest with email and name.
  v1::OrderCustomer* customer = order.mutable_customer();
  const v1::OrderCustomer& in = request.customer();
  if (!in.customer_id().empty() && !IsUuid(in.customer_id())) {
    return InvalidField("customer.customer_id", "must be a UUID");
  }
  customer->set_customer_id(absl::AsciiStrToLower(in.customer_id()));
  customer->set_guest(in.customer_id().empty());
  if (customer->guest() || !in.email().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail("customer.email", in.email()));
    customer->set_email(email);
  }
  STORE_RETURN_IF_ERROR(ValidateText("customer.name", in.name(), customer->guest() ? 1 : 0, 200));
  customer->set_name(std::string(absl::StripAsciiWhitespace(in.name())));
  if (!in.phone().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string phone, NormalizePhone("customer.phone", in.phone()));
    customer->set_phone(phone);
  }

  if (request.items().empty()) return InvalidField("items", "must contain at least one item");
  if (request.items_size() > kMaxItems) {
    return InvalidField("items", absl::StrCat("has more than ", kMaxItems, " lines"));
  }
  for (int i = 0; i < request.items_size(); ++i) {
    STORE_ASSIGN_OR_RETURN(*order.add_items(),
                           CheckItem(absl::StrCat("items[", i, "]"), request.items(i), currency));
  }

  if (!request.has_shipping_address()) return InvalidField("shipping_address", "is required");
  *order.mutable_shipping_address() = request.shipping_address();
  STORE_RETURN_IF_ERROR(CheckAddress("shipping_address", order.mutable_shipping_address()));
  if (request.has_billing_address()) {
    *order.mutable_billing_address() = request.billing_address();
    STORE_RETURN_IF_ERROR(CheckAddress("billing_address", order.mutable_billing_address()));
  } else {
    *order.mutable_billing_address() = order.shipping_address();
  }

  STORE_ASSIGN_OR_RETURN(
      *order.mutable_delivery_method(),
      CheckDeliveryMethod("delivery_method", request.delivery_method(), currency));

  if (request.payment_method() == v1::PAYMENT_METHOD_UNSPECIFIED ||
      !v1::PaymentMethod_IsValid(request.payment_method())) {
    return InvalidField("payment_method",
                        "must be one of card, paypal, wire_transfer, cash_on_delivery, "
                        "store_credit");
  }
  order.set_payment_method(request.payment_method());
  if (request.payment_method() == v1::PAYMENT_METHOD_STORE_CREDIT && customer->guest()) {
    return InvalidField("payment_method", "store credit needs a registered customer");
  }

  if (request.discounts_size() > 20) return InvalidField("discounts", "has more than 20 entries");
  for (int i = 0; i < request.discounts_size(); ++i) {
    const v1::Discount& src = request.discounts(i);
    const std::string f = absl::StrCat("discounts[", i, "]");
    STORE_ASSIGN_OR_RETURN(*order.add_discounts(), CheckDiscount(f, src, currency));
  }
  STORE_RETURN_IF_ERROR(ValidateMultilineText("customer_note", request.customer_note(), 0, 2000));
  order.set_customer_note(request.customer_note());
  STORE_RETURN_IF_ERROR(PriceOrder(&order));
  return order;
}

absl::Status PriceOrder(v1::Order* order) {
  const std::string& currency = order->currency_code();
  std::vector<int64_t> line_subtotals;
  int64_t subtotal = 0;
  for (const v1::OrderItem& item : order->items()) {
    const int64_t line = item.unit_price().amount_minor() * item.quantity();
    line_subtotals.push_back(line);
    subtotal += line;
  }
  if (subtotal > kMaxAmountMinor) return InvalidField("items", "the order total is too large");
  // Discounts apply in order, each on what is left, never below zero.
  int64_t discount = 0;
  for (v1::Discount& d : *order->mutable_discounts()) {
    const int64_t left = subtotal - discount;
    int64_t off = d.value_case() == v1::Discount::kPercentBp
                      ? ApplyBasisPoints(left, d.percent_bp())
                      : d.amount().amount_minor();
    off = std::min(off, left);
    *d.mutable_applied() = MakeMoney(off, currency);
    discount += off;
  }
  const std::vector<int64_t> shares = AllocateProportionally(discount, line_subtotals);
  int64_t tax = 0;
  for (int i = 0; i < order->items_size(); ++i) {
    v1::OrderItem* item = order->mutable_items(i);
    const int64_t taxable = line_subtotals[i] - shares[i];
    const int64_t line_tax = ApplyBasisPoints(taxable, item->tax_rate_bp());
    *item->mutable_subtotal() = MakeMoney(line_subtotals[i], currency);
    *item->mutable_discount() = MakeMoney(shares[i], currency);
    *item->mutable_tax() = MakeMoney(line_tax, currency);
    *item->mutable_total() = MakeMoney(taxable + line_tax, currency);
    tax += line_tax;
  }
  const int64_t shipping = order->delivery_method().fee().amount_minor();
  tax += ApplyBasisPoints(shipping, order->delivery_method().tax_rate_bp());
  v1::OrderTotals* totals = order->mutable_totals();
  *totals->mutable_subtotal() = MakeMoney(subtotal, currency);
  *totals->mutable_discount() = MakeMoney(discount, currency);
  *totals->mutable_shipping() = MakeMoney(shipping, currency);
  *totals->mutable_tax() = MakeMoney(tax, currency);
  *totals->mutable_total() = MakeMoney(subtotal - discount + shipping + tax, currency);
  *totals->mutable_paid() = MakeMoney(totals->paid().amount_minor(), currency);
  *totals->mutable_refunded() = MakeMoney(totals->refunded().amount_minor(), currency);
  return absl::OkStatus();
}

absl::Status ApplyGroupDiscount(int32_t percent_bp, absl::string_view group_name,
                                v1::Order* order) {
  if (percent_bp <= 0 || order->customer().customer_id().empty()) return absl::OkStatus();
  v1::Discount* d = order->add_discounts();
  d->set_code(kGroupDiscountCode);
  d->set_description(group_name.empty() ? "Group discount"
                                        : absl::StrCat(group_name, " group discount"));
  d->set_percent_bp(std::min(percent_bp, 10000));
  return PriceOrder(order);
}

namespace {
constexpr absl::string_view kErasedName = "Erased customer";
constexpr absl::string_view kErasedEmailPrefix = "erased+";
constexpr absl::string_view kErasedEmailDomain = "@invalid";

void AnonymiseAddress(common::v1::Address* a) {
  a->set_name(std::string(kErasedName));
  a->clear_company();
  a->clear_line1();
  a->clear_line2();
  a->clear_city();
  a->clear_postal_code();
  a->clear_phone();
  a->clear_vat_id();
}
}  // namespace

void AnonymiseOrder(v1::Order* order) {
  v1::OrderCustomer* c = order->mutable_customer();
  const std::string& source = c->customer_id().empty() ? order->id() : c->customer_id();
  c->set_name(std::string(kErasedName));
  c->set_email(absl::StrCat(kErasedEmailPrefix, source.substr(0, 8), kErasedEmailDomain));
  c->clear_phone();
  if (order->has_shipping_address()) AnonymiseAddress(order->mutable_shipping_address());
  if (order->has_billing_address()) AnonymiseAddress(order->mutable_billing_address());
  order->clear_customer_note();
}

bool IsAnonymised(const v1::Order& order) {
  const v1::OrderCustomer& c = order.customer();
  return c.name() == kErasedName && c.phone().empty() && order.customer_note().empty() &&
         absl::StartsWith(c.email(), kErasedEmailPrefix) &&
         absl::EndsWith(c.email(), kErasedEmailDomain) &&
         order.shipping_address().line1().empty() && order.billing_address().line1().empty();
}

std::string TrackingUrl(absl::string_view carrier, absl::string_view tracking_number) {
  const std::string c = absl::AsciiStrToLower(carrier);
  const std::string n(tracking_number);
  if (c == "ups") return absl::StrCat("https://www.ups.com/track?tracknum=", n);
  if (c == "fedex") return absl::StrCat("https://www.fedex.com/fedextrack/?trknbr=", n);
  if (c == "usps") return absl::StrCat("https://tools.usps.com/go/TrackConfirmAction?tLabels=", n);
  if (c == "dhl") return absl::StrCat("https://www.dhl.com/en/express/tracking.html?AWB=", n);
  if (c == "aramex") return absl::StrCat("https://www.aramex.com/track/results?ShipmentNumber=", n);
  if (c == "royal_mail" || c == "royalmail") {
    return absl::StrCat("https://www.royalmail.com/track-your-item#/tracking-results/", n);
  }
  if (c == "dpd") return absl::StrCat("https://tracking.dpd.de/status/en_US/parcel/", n);
  return "";
}

absl::StatusOr<v1::Shipment> BuildShipment(const v1::ShipOrderRequest& request) {
  STORE_RETURN_IF_ERROR(ValidateText("carrier", request.carrier(), 1, 64));
  STORE_RETURN_IF_ERROR(ValidateText("tracking_number", request.tracking_number(), 1, 64));
  for (char c : request.tracking_number()) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') {
      return InvalidField("tracking_number", "may contain only letters, digits, - and _");
    }
  }
  v1::Shipment shipment;
  shipment.set_carrier(absl::AsciiStrToLower(request.carrier()));
  shipment.set_tracking_number(request.tracking_number());
  if (!request.tracking_url().empty()) {
    STORE_RETURN_IF_ERROR(ValidateText("tracking_url", request.tracking_url(), 1, 500));
    if (!absl::StartsWith(request.tracking_url(), "https://")) {
      return InvalidField("tracking_url", "must be an https:// URL");
    }
    shipment.set_tracking_url(request.tracking_url());
  } else {
    shipment.set_tracking_url(TrackingUrl(request.carrier(), request.tracking_number()));
  }
  return shipment;
}

absl::StatusOr<int64_t> ApplyRefund(const v1::RefundOrderRequest& request, v1::Order* order) {
  const std::string& currency = order->currency_code();
  STORE_RETURN_IF_ERROR(ValidateReason("reason", request.reason()));
  int64_t computed = 0;
  for (int i = 0; i < request.lines_size(); ++i) {
    const v1::RefundLine& line = request.lines(i);
    const std::string f = absl::StrCat("lines[", i, "]");
    v1::OrderItem* item = nullptr;
    for (v1::OrderItem& it : *order->mutable_items()) {
      if (it.sku() == line.sku()) item = &it;
    }
    if (item == nullptr) {
      return InvalidField(absl::StrCat(f, ".sku"), absl::StrCat("'", line.sku(), "' is not in this order"));
    }
    const int left = item->quantity() - item->refunded_quantity();
    if (line.quantity() < 1 || line.quantity() > left) {
      return InvalidField(absl::StrCat(f, ".quantity"),
                          absl::StrCat("must be 1..", left, " (units of ", line.sku(),
                                       " not refunded yet)"));
    }
    // Each unit's share of its line total (discount and tax included).
    computed += static_cast<int64_t>(static_cast<__int128>(item->total().amount_minor()) *
                                     line.quantity() / item->quantity());
    item->set_refunded_quantity(item->refunded_quantity() + line.quantity());
  }
  if (request.include_shipping()) {
    const int64_t shipping = order->totals().shipping().amount_minor();
    computed += shipping + ApplyBasisPoints(shipping, order->delivery_method().tax_rate_bp());
  }
  int64_t amount = computed;
  if (request.has_amount()) {
    STORE_RETURN_IF_ERROR(CheckMoney("amount", request.amount(), currency, false));
    amount = request.amount().amount_minor();
  } else if (amount == 0) {
    return InvalidField("amount", "is required when no lines (or shipping) are refunded");
  }
  const int64_t paid = order->totals().paid().amount_minor();
  const int64_t refunded = order->totals().refunded().amount_minor();
  if (paid == 0) {
    return Precondition("NOTHING_PAID", "nothing was paid for this order, so nothing can be refunded");
  }
  if (amount > paid - refunded) {
    return Precondition("REFUND_EXCEEDS_PAID",
                        absl::StrCat("a refund of ", FormatMoney(amount, currency),
                                     " exceeds what can still be refunded (",
                                     FormatMoney(paid - refunded, currency), " of ",
                                     FormatMoney(paid, currency), " paid)"),
                        {{"refundable_minor", absl::StrCat(paid - refunded)}});
  }
  order->mutable_totals()->mutable_refunded()->set_amount_minor(refunded + amount);
  return amount;
}

absl::Status ValidatePayment(const v1::RecordPaymentRequest& request, const v1::Order& order) {
  STORE_RETURN_IF_ERROR(ValidateText("provider", request.provider(), 1, 64));
  STORE_RETURN_IF_ERROR(ValidateText("reference", request.reference(), 1, 200));
  if (request.outcome() == v1::PAYMENT_OUTCOME_UNSPECIFIED ||
      !v1::PaymentOutcome_IsValid(request.outcome())) {
    return InvalidField("outcome", "must be succeeded, failed or pending_verification");
  }
  if (!request.has_amount()) return InvalidField("amount", "is required");
  STORE_RETURN_IF_ERROR(CheckMoney("amount", request.amount(), order.currency_code(), false));
  STORE_RETURN_IF_ERROR(ValidateText("failure_reason", request.failure_reason(), 0, 500));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ReturnLine>> ApplyReturn(const v1::RecordReturnRequest& request,
                                                        v1::Order* order) {
  if (!request.reason().empty()) STORE_RETURN_IF_ERROR(ValidateReason("reason", request.reason()));
  if (request.lines().empty()) return InvalidField("lines", "name at least one sku that came back");
  if (!order->has_shipment() || !order->shipment().has_shipped_at()) {
    return Precondition("NOT_SHIPPED", "the order has not shipped, so nothing can come back");
  }
  std::vector<v1::ReturnLine> lines;
  for (int i = 0; i < request.lines_size(); ++i) {
    const v1::ReturnLine& line = request.lines(i);
    const std::string f = absl::StrCat("lines[", i, "]");
    v1::OrderItem* item = nullptr;
    for (v1::OrderItem& it : *order->mutable_items()) {
      if (it.sku() == line.sku()) item = &it;
    }
    if (item == nullptr) {
      return InvalidField(absl::StrCat(f, ".sku"),
                          absl::StrCat("'", line.sku(), "' is not in this order"));
    }
    if (line.quantity_received() < 0) {
      return InvalidField(absl::StrCat(f, ".quantity_received"), "must not be negative");
    }
    if (line.quantity_damaged() < 0) {
      return InvalidField(absl::StrCat(f, ".quantity_damaged"), "must not be negative");
    }
    const int64_t back = static_cast<int64_t>(line.quantity_received()) + line.quantity_damaged();
    const int left = item->quantity() - item->returned_quantity();
    if (back < 1 || back > left) {
      return InvalidField(absl::StrCat(f, ".quantity_received"),
                          absl::StrCat("received plus damaged must be 1..", left, " (units of ",
                                       line.sku(), " shipped and not returned yet)"));
    }
    item->set_returned_quantity(item->returned_quantity() + static_cast<int>(back));
    lines.push_back(line);
  }
  return lines;
}

absl::Status ValidateOrderFilter(const v1::OrderFilter& f) {
  for (int i = 0; i < f.statuses_size(); ++i) {
    if (f.statuses(i) == v1::ORDER_STATUS_UNSPECIFIED || !v1::OrderStatus_IsValid(f.statuses(i))) {
      return InvalidField(absl::StrCat("filter.statuses[", i, "]"), "is not an order status");
    }
  }
  if (!f.customer_id().empty() && !IsUuid(f.customer_id())) {
    return InvalidField("filter.customer_id", "must be a UUID");
  }
  if (f.number() < 0) return InvalidField("filter.number", "must be positive");
  if (f.query().size() > 200) return InvalidField("filter.query", "is longer than 200 characters");
  if (f.has_create_time_from() && f.has_create_time_to() &&
      (f.create_time_from().seconds() > f.create_time_to().seconds() ||
       (f.create_time_from().seconds() == f.create_time_to().seconds() &&
        f.create_time_from().nanos() > f.create_time_to().nanos()))) {
    return InvalidField("filter.create_time_to", "is before create_time_from");
  }
  return absl::OkStatus();
}

}  // namespace store::order
