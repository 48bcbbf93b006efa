#include "services/order/domain/cart_rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/money.h"
#include "libs/core/status.h"
#include "services/order/domain/order_rules.h"

namespace store::order {
namespace {

using google::protobuf::FieldMask;
using google::protobuf::util::TimeUtil;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

v1::OrderItem ToItem(const v1::CartLine& line) {
  v1::OrderItem item;
  item.set_sku(line.sku());
  item.set_name(line.name());
  item.set_quantity(line.quantity());
  if (line.has_unit_price()) *item.mutable_unit_price() = line.unit_price();
  item.set_tax_rate_bp(line.tax_rate_bp());
  return item;
}

v1::CartLine* FindLine(v1::Cart* cart, absl::string_view id) {
  for (v1::CartLine& line : *cart->mutable_lines()) {
    if (line.id() == id) return &line;
  }
  return nullptr;
}

absl::Status CheckNote(absl::string_view field, absl::string_view note) {
  return ValidateMultilineText(field, note, 0, 2000);
}

absl::StatusOr<std::string> CheckEmail(absl::string_view field, absl::string_view email) {
  if (email.empty()) return std::string();
  return NormalizeEmail(field, email);
}

absl::Status CheckCustomerId(absl::string_view field, const std::string& id) {
  if (!id.empty() && !IsUuid(id)) return InvalidField(field, "must be a customer id (a UUID)");
  return absl::OkStatus();
}

absl::Status CheckAddressInto(absl::string_view field, const common::v1::Address& in,
                              common::v1::Address* out) {
  common::v1::Address a = in;
  STORE_RETURN_IF_ERROR(CheckAddress(field, &a));
  *out = std::move(a);
  return absl::OkStatus();
}

absl::Status CheckTime(absl::string_view field, const google::protobuf::Timestamp& t) {
  if (t.seconds() < TimeUtil::kTimestampMinSeconds ||
      t.seconds() > TimeUtil::kTimestampMaxSeconds || t.nanos() < 0 || t.nanos() > 999999999) {
    return InvalidField(field, "is not a valid time");
  }
  return absl::OkStatus();
}

// Checks a code's fields (all but code, times_used and the output ones).
absl::Status CheckDiscountCode(v1::DiscountCode* c, const std::string& store_currency) {
  STORE_RETURN_IF_ERROR(ValidateText("discount_code.description", c->description(), 0, 200));
  switch (c->value_case()) {
    case v1::DiscountCode::kPercentBp:
      STORE_RETURN_IF_ERROR(CheckPercent("discount_code.percent_bp", c->percent_bp()));
      break;
    case v1::DiscountCode::kAmount: {
      std::string currency = c->amount().currency_code();
      if (currency.empty()) currency = store_currency;
      STORE_RETURN_IF_ERROR(ValidateCurrency("discount_code.amount.currency_code", currency));
      STORE_RETURN_IF_ERROR(CheckMoney("discount_code.amount", c->amount(), currency, false));
      c->mutable_amount()->set_currency_code(currency);
      break;
    }
    default:
      return InvalidField("discount_code", "needs percent_bp or amount");
  }
  if (c->has_minimum_subtotal()) {
    std::string currency = c->minimum_subtotal().currency_code();
    if (currency.empty()) currency = store_currency;
    STORE_RETURN_IF_ERROR(
        ValidateCurrency("discount_code.minimum_subtotal.currency_code", currency));
    STORE_RETURN_IF_ERROR(
        CheckMoney("discount_code.minimum_subtotal", c->minimum_subtotal(), currency, true));
    c->mutable_minimum_subtotal()->set_currency_code(currency);
  }
  if (c->has_start_time())
    STORE_RETURN_IF_ERROR(CheckTime("discount_code.start_time", c->start_time()));
  if (c->has_end_time()) STORE_RETURN_IF_ERROR(CheckTime("discount_code.end_time", c->end_time()));
  if (c->has_start_time() && c->has_end_time() && !(c->start_time() < c->end_time())) {
    return InvalidField("discount_code.end_time", "must be after start_time");
  }
  if (c->usage_limit() < 0)
    return InvalidField("discount_code.usage_limit", "must be 0 (no limit) or more");
  if (c->usage_limit_per_customer() < 0) {
    return InvalidField("discount_code.usage_limit_per_customer", "must be 0 (no limit) or more");
  }
  if (!c->customer_group_id().empty() && !IsUuid(c->customer_group_id())) {
    return InvalidField("discount_code.customer_group_id", "must be a customer group id (a UUID)");
  }
  c->set_customer_group_id(absl::AsciiStrToLower(c->customer_group_id()));
  return absl::OkStatus();
}

absl::Status CodeRefused(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason, "discount_code", message);
}

}  // namespace

absl::StatusOr<v1::CartLine> CheckCartLine(absl::string_view field, const v1::CartLine& line,
                                           const std::string& currency) {
  STORE_ASSIGN_OR_RETURN(v1::OrderItem item, CheckItem(field, ToItem(line), currency));
  v1::CartLine out;
  out.set_sku(item.sku());
  out.set_name(item.name());
  out.set_quantity(item.quantity());
  *out.mutable_unit_price() = item.unit_price();
  out.set_tax_rate_bp(item.tax_rate_bp());
  return out;
}

absl::StatusOr<v1::Cart> BuildNewCart(const v1::Cart& in, const std::string& store_currency,
                                      const std::function<std::string()>& new_id) {
  v1::Cart cart;
  const std::string currency = in.currency_code().empty() ? store_currency : in.currency_code();
  STORE_RETURN_IF_ERROR(ValidateCurrency("cart.currency_code", currency));
  cart.set_currency_code(currency);
  STORE_RETURN_IF_ERROR(CheckCustomerId("cart.customer_id", in.customer_id()));
  cart.set_customer_id(absl::AsciiStrToLower(in.customer_id()));
  STORE_ASSIGN_OR_RETURN(std::string email, CheckEmail("cart.email", in.email()));
  cart.set_email(email);
  if (in.lines_size() > kMaxCartLines) {
    return InvalidField("cart.lines", absl::StrCat("has more than ", kMaxCartLines, " lines"));
  }
  std::set<std::string> skus;
  for (int i = 0; i < in.lines_size(); ++i) {
    const std::string f = absl::StrCat("cart.lines[", i, "]");
    STORE_ASSIGN_OR_RETURN(v1::CartLine line, CheckCartLine(f, in.lines(i), currency));
    if (!skus.insert(line.sku()).second) {
      return InvalidField(absl::StrCat(f, ".sku"), "appears twice; give one line its quantity");
    }
    line.set_id(new_id());
    *cart.add_lines() = std::move(line);
  }
  if (in.has_shipping_address()) {
    STORE_RETURN_IF_ERROR(CheckAddressInto("cart.shipping_address", in.shipping_address(),
                                           cart.mutable_shipping_address()));
  }
  if (in.has_billing_address()) {
    STORE_RETURN_IF_ERROR(CheckAddressInto("cart.billing_address", in.billing_address(),
                                           cart.mutable_billing_address()));
  }
  if (in.has_delivery_method()) {
    STORE_ASSIGN_OR_RETURN(
        *cart.mutable_delivery_method(),
        CheckDeliveryMethod("cart.delivery_method", in.delivery_method(), currency));
  }
  if (!in.discount_code().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string code,
                           NormalizeDiscountCode("cart.discount_code", in.discount_code()));
    cart.set_discount_code(code);
  }
  STORE_RETURN_IF_ERROR(CheckNote("cart.note", in.note()));
  cart.set_note(in.note());
  cart.set_state(v1::CART_STATE_OPEN);
  return cart;
}

absl::Status AddCartLine(v1::Cart* cart, const v1::CartLine& line, const std::string& new_id) {
  for (v1::CartLine& existing : *cart->mutable_lines()) {
    if (existing.sku() != line.sku()) continue;
    const int64_t quantity = static_cast<int64_t>(existing.quantity()) + line.quantity();
    if (quantity > kMaxQuantity) {
      return InvalidField("line.quantity", absl::StrCat("the cart would hold ", quantity, " of ",
                                                        line.sku(), "; at most ", kMaxQuantity));
    }
    const std::string id = existing.id();
    existing = line;
    existing.set_id(id);
    existing.set_quantity(static_cast<int32_t>(quantity));
    return absl::OkStatus();
  }
  if (cart->lines_size() >= kMaxCartLines) {
    return InvalidField("line", absl::StrCat("the cart already holds ", kMaxCartLines, " lines"));
  }
  v1::CartLine* added = cart->add_lines();
  *added = line;
  added->set_id(new_id);
  return absl::OkStatus();
}

absl::Status UpdateCartLine(v1::Cart* cart, const v1::CartLine& line, const FieldMask& mask) {
  v1::CartLine* target = FindLine(cart, line.id());
  if (target == nullptr) {
    return InvalidField("line.id", absl::StrCat("'", line.id(), "' is not a line of this cart"));
  }
  std::vector<std::string> paths(mask.paths().begin(), mask.paths().end());
  if (paths.empty()) {
    if (line.quantity() != 0) paths.push_back("quantity");
    if (!line.name().empty()) paths.push_back("name");
    if (line.has_unit_price()) paths.push_back("unit_price");
    if (line.tax_rate_bp() != 0) paths.push_back("tax_rate_bp");
    if (paths.empty()) return InvalidField("update_mask", "names nothing to change");
  }
  v1::CartLine changed = *target;
  for (const std::string& path : paths) {
    if (path == "quantity") {
      changed.set_quantity(line.quantity());
    } else if (path == "name") {
      changed.set_name(line.name());
    } else if (path == "unit_price") {
      *changed.mutable_unit_price() = line.unit_price();
    } else if (path == "tax_rate_bp") {
      changed.set_tax_rate_bp(line.tax_rate_bp());
    } else {
      return InvalidField("update_mask",
                          absl::StrCat("'", path,
                                       "' cannot be changed; use quantity, name, unit_price or "
                                       "tax_rate_bp"));
    }
  }
  if (changed.quantity() == 0) {
    return InvalidField("line.quantity", "must be 1..10000; remove the line to drop it");
  }
  STORE_ASSIGN_OR_RETURN(v1::CartLine checked,
                         CheckCartLine("line", changed, cart->currency_code()));
  checked.set_id(target->id());
  *target = std::move(checked);
  return absl::OkStatus();
}

absl::Status RemoveCartLine(v1::Cart* cart, const std::string& line_id) {
  auto* lines = cart->mutable_lines();
  for (int i = 0; i < lines->size(); ++i) {
    if (lines->Get(i).id() == line_id) {
      lines->erase(lines->begin() + i);
      return absl::OkStatus();
    }
  }
  return InvalidField("line_id", absl::StrCat("'", line_id, "' is not a line of this cart"));
}

absl::Status ApplyCartUpdate(v1::Cart* cart, const v1::Cart& in, const FieldMask& mask,
                             CartCaller caller) {
  if (mask.paths().empty()) {
    return InvalidField("update_mask",
                        "name the fields to change: email, shipping_address, billing_address, "
                        "discount_code, note, customer_id, delivery_method");
  }
  v1::Cart changed = *cart;
  for (const std::string& path : mask.paths()) {
    const bool trusted_only = path == "customer_id" || path == "delivery_method";
    if (trusted_only && caller != CartCaller::kTrusted) {
      return MakeError(absl::StatusCode::kPermissionDenied, "FIELD_NOT_ALLOWED", "update_mask",
                       absl::StrCat("a customer cannot change ", path, "; the storefront sets it"));
    }
    if (path == "email") {
      STORE_ASSIGN_OR_RETURN(std::string email, CheckEmail("cart.email", in.email()));
      changed.set_email(email);
    } else if (path == "shipping_address") {
      if (in.has_shipping_address()) {
        STORE_RETURN_IF_ERROR(CheckAddressInto("cart.shipping_address", in.shipping_address(),
                                               changed.mutable_shipping_address()));
      } else {
        changed.clear_shipping_address();
      }
    } else if (path == "billing_address") {
      if (in.has_billing_address()) {
        STORE_RETURN_IF_ERROR(CheckAddressInto("cart.billing_address", in.billing_address(),
                                               changed.mutable_billing_address()));
      } else {
        changed.clear_billing_address();
      }
    } else if (path == "discount_code") {
      std::string code;
      if (!in.discount_code().empty()) {
        STORE_ASSIGN_OR_RETURN(code,
                               NormalizeDiscountCode("cart.discount_code", in.discount_code()));
      }
      changed.set_discount_code(code);
    } else if (path == "note") {
      STORE_RETURN_IF_ERROR(CheckNote("cart.note", in.note()));
      changed.set_note(in.note());
    } else if (path == "customer_id") {
      STORE_RETURN_IF_ERROR(CheckCustomerId("cart.customer_id", in.customer_id()));
      changed.set_customer_id(absl::AsciiStrToLower(in.customer_id()));
    } else if (path == "delivery_method") {
      if (in.has_delivery_method()) {
        STORE_ASSIGN_OR_RETURN(*changed.mutable_delivery_method(),
                               CheckDeliveryMethod("cart.delivery_method", in.delivery_method(),
                                                   cart->currency_code()));
      } else {
        changed.clear_delivery_method();
      }
    } else {
      return InvalidField("update_mask",
                          absl::StrCat("'", path,
                                       "' cannot be changed here; lines change through the line "
                                       "methods, the rest is set by the service"));
    }
  }
  *cart = std::move(changed);
  return absl::OkStatus();
}

absl::Status CheckCartOpen(const v1::Cart& cart, absl::Time now) {
  if (cart.state() == v1::CART_STATE_CONVERTED) {
    return Precondition(
        "CART_CONVERTED",
        absl::StrCat("this cart was checked out (order ", cart.order_id(), "); start a new cart"),
        {{"order_id", cart.order_id()}});
  }
  if (cart.has_expire_time() && now >= FromProto(cart.expire_time())) {
    return Precondition("CART_EXPIRED", "this cart expired; start a new cart");
  }
  return absl::OkStatus();
}

absl::Status PriceCart(v1::Cart* cart, const std::vector<v1::Discount>& discounts) {
  v1::Order order;
  order.set_currency_code(cart->currency_code());
  for (const v1::CartLine& line : cart->lines()) *order.add_items() = ToItem(line);
  for (const v1::Discount& d : discounts) *order.add_discounts() = d;
  if (cart->has_delivery_method()) *order.mutable_delivery_method() = cart->delivery_method();
  STORE_RETURN_IF_ERROR(PriceOrder(&order));
  for (int i = 0; i < cart->lines_size(); ++i) {
    v1::CartLine* line = cart->mutable_lines(i);
    const v1::OrderItem& item = order.items(i);
    *line->mutable_subtotal() = item.subtotal();
    *line->mutable_discount() = item.discount();
    *line->mutable_tax() = item.tax();
    *line->mutable_total() = item.total();
  }
  *cart->mutable_discounts() = order.discounts();
  *cart->mutable_totals() = order.totals();
  cart->mutable_totals()->clear_paid();
  cart->mutable_totals()->clear_refunded();
  return absl::OkStatus();
}

absl::StatusOr<v1::PlaceOrderRequest> CheckoutRequest(const v1::Cart& cart,
                                                      const v1::CheckoutCartRequest& request,
                                                      const std::vector<v1::Discount>& discounts) {
  if (cart.lines().empty()) return Precondition("CART_EMPTY", "the cart has no lines");
  auto incomplete = [](absl::string_view field, absl::string_view what) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "CHECKOUT_INCOMPLETE", field,
                     absl::StrCat("set the cart's ", what, " before checking out"));
  };
  if (cart.customer_id().empty() && cart.email().empty()) {
    return incomplete("cart.email", "email (a guest's order confirmation goes there)");
  }
  if (!cart.has_shipping_address()) return incomplete("cart.shipping_address", "shipping address");
  if (!cart.has_delivery_method()) return incomplete("cart.delivery_method", "delivery method");
  v1::PlaceOrderRequest place;
  place.set_request_id(request.request_id());
  place.set_currency_code(cart.currency_code());
  v1::OrderCustomer* buyer = place.mutable_customer();
  buyer->set_customer_id(cart.customer_id());
  buyer->set_email(cart.email());
  buyer->set_name(request.customer_name().empty() ? cart.shipping_address().name()
                                                  : request.customer_name());
  buyer->set_phone(request.customer_phone().empty() ? cart.shipping_address().phone()
                                                    : request.customer_phone());
  for (const v1::CartLine& line : cart.lines()) *place.add_items() = ToItem(line);
  *place.mutable_shipping_address() = cart.shipping_address();
  if (cart.has_billing_address()) *place.mutable_billing_address() = cart.billing_address();
  *place.mutable_delivery_method() = cart.delivery_method();
  place.set_payment_method(request.payment_method());
  for (const v1::Discount& d : discounts) {
    v1::Discount* out = place.add_discounts();
    *out = d;
    out->clear_applied();
  }
  place.set_customer_note(cart.note());
  return place;
}

// ---- Store settings ----

v1::OrderSettings DefaultOrderSettings() {
  v1::OrderSettings s;
  s.set_abandoned_cart_delay_minutes(60);
  s.set_reminder_audience(v1::REMINDER_AUDIENCE_EVERYONE_WITH_EMAIL);
  s.set_cart_retention_days(90);
  return s;
}

absl::Status ApplySettingsUpdate(v1::OrderSettings* settings, const v1::OrderSettings& in,
                                 const FieldMask& mask) {
  if (mask.paths().empty()) {
    return InvalidField("update_mask",
                        "name the fields to change: abandoned_cart_delay_minutes, "
                        "reminder_audience, cart_retention_days, order_number_start");
  }
  v1::OrderSettings changed = *settings;
  for (const std::string& path : mask.paths()) {
    if (path == "abandoned_cart_delay_minutes") {
      if (in.abandoned_cart_delay_minutes() < 30 || in.abandoned_cart_delay_minutes() > 180) {
        return InvalidField("settings.abandoned_cart_delay_minutes", "must be 30..180 minutes");
      }
      changed.set_abandoned_cart_delay_minutes(in.abandoned_cart_delay_minutes());
    } else if (path == "reminder_audience") {
      if (in.reminder_audience() == v1::REMINDER_AUDIENCE_UNSPECIFIED ||
          !v1::ReminderAudience_IsValid(in.reminder_audience())) {
        return InvalidField("settings.reminder_audience",
                            "must be REMINDER_AUDIENCE_EVERYONE_WITH_EMAIL or "
                            "REMINDER_AUDIENCE_MARKETING_CONSENT");
      }
      changed.set_reminder_audience(in.reminder_audience());
    } else if (path == "cart_retention_days") {
      if (in.cart_retention_days() < 1 || in.cart_retention_days() > 730) {
        return InvalidField("settings.cart_retention_days", "must be 1..730 days");
      }
      changed.set_cart_retention_days(in.cart_retention_days());
    } else if (path == "order_number_start") {
      if (in.order_number_start() < 1) {
        return InvalidField("settings.order_number_start", "must be a positive number");
      }
      changed.set_order_number_start(in.order_number_start());
    } else {
      return InvalidField("update_mask", absl::StrCat("'", path, "' is not a setting"));
    }
  }
  *settings = std::move(changed);
  return absl::OkStatus();
}

absl::Duration CartRetention(const v1::OrderSettings& settings) {
  return absl::Hours(24) * settings.cart_retention_days();
}

absl::Duration AbandonmentDelay(const v1::OrderSettings& settings) {
  return absl::Minutes(settings.abandoned_cart_delay_minutes());
}

// ---- Abandonment ----

std::vector<std::string> PlanReminders(const std::vector<AbandonCandidate>& candidates,
                                       const std::vector<std::string>& reminded_recently) {
  std::set<std::string> reminded(reminded_recently.begin(), reminded_recently.end());
  // The newest cart of each email.
  std::map<std::string, const AbandonCandidate*> newest;
  for (const AbandonCandidate& c : candidates) {
    const AbandonCandidate*& best = newest[c.email];
    if (best == nullptr || c.update_time > best->update_time ||
        (c.update_time == best->update_time && c.cart_id > best->cart_id)) {
      best = &c;
    }
  }
  std::vector<std::string> out;
  for (const auto& [email, c] : newest) {
    if (!reminded.count(email)) out.push_back(c->cart_id);
  }
  return out;
}

std::string RecoveryPayload(const std::string& cart_id, absl::Time expires) {
  return absl::StrCat(cart_id, ".", absl::ToUnixSeconds(expires));
}

absl::StatusOr<std::string> CartOfRecoveryPayload(absl::string_view payload, absl::Time now) {
  const size_t dot = payload.rfind('.');
  int64_t expires = 0;
  if (dot == absl::string_view::npos || !IsUuid(payload.substr(0, dot)) ||
      !absl::SimpleAtoi(payload.substr(dot + 1), &expires)) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_TOKEN", "token",
                     "this is not a cart recovery link");
  }
  if (now >= absl::FromUnixSeconds(expires)) {
    return MakeError(absl::StatusCode::kInvalidArgument, "LINK_EXPIRED", "token",
                     "this cart link has expired");
  }
  return std::string(payload.substr(0, dot));
}

// ---- Discount codes ----

absl::StatusOr<std::string> NormalizeDiscountCode(absl::string_view field, absl::string_view code) {
  const std::string c = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(code));
  if (c.size() < 3 || c.size() > 32) return InvalidField(field, "must be 3..32 characters");
  for (char ch : c) {
    if (!absl::ascii_isalnum(ch) && ch != '-' && ch != '_') {
      return InvalidField(field, "may contain only letters, digits, - and _");
    }
  }
  return c;
}

absl::StatusOr<v1::DiscountCode> BuildDiscountCode(const v1::DiscountCode& in,
                                                   const std::string& store_currency) {
  v1::DiscountCode code = in;
  code.clear_id();
  code.clear_times_used();
  code.clear_version();
  code.clear_create_time();
  code.clear_update_time();
  STORE_ASSIGN_OR_RETURN(std::string normalized,
                         NormalizeDiscountCode("discount_code.code", in.code()));
  code.set_code(normalized);
  STORE_RETURN_IF_ERROR(CheckDiscountCode(&code, store_currency));
  return code;
}

absl::Status ApplyDiscountCodeUpdate(v1::DiscountCode* code, const v1::DiscountCode& in,
                                     const FieldMask& mask, const std::string& store_currency) {
  if (mask.paths().empty()) return InvalidField("update_mask", "names nothing to change");
  v1::DiscountCode changed = *code;
  for (const std::string& path : mask.paths()) {
    if (path == "description") {
      changed.set_description(in.description());
    } else if (path == "percent_bp") {
      changed.set_percent_bp(in.percent_bp());
    } else if (path == "amount") {
      *changed.mutable_amount() = in.amount();
    } else if (path == "minimum_subtotal") {
      if (in.has_minimum_subtotal()) {
        *changed.mutable_minimum_subtotal() = in.minimum_subtotal();
      } else {
        changed.clear_minimum_subtotal();
      }
    } else if (path == "start_time") {
      if (in.has_start_time()) {
        *changed.mutable_start_time() = in.start_time();
      } else {
        changed.clear_start_time();
      }
    } else if (path == "end_time") {
      if (in.has_end_time()) {
        *changed.mutable_end_time() = in.end_time();
      } else {
        changed.clear_end_time();
      }
    } else if (path == "usage_limit") {
      changed.set_usage_limit(in.usage_limit());
    } else if (path == "usage_limit_per_customer") {
      changed.set_usage_limit_per_customer(in.usage_limit_per_customer());
    } else if (path == "customer_group_id") {
      changed.set_customer_group_id(in.customer_group_id());
    } else if (path == "disabled") {
      changed.set_disabled(in.disabled());
    } else {
      return InvalidField(
          "update_mask", absl::StrCat("'", path, "' cannot be changed (the code itself is fixed)"));
    }
  }
  STORE_RETURN_IF_ERROR(CheckDiscountCode(&changed, store_currency));
  *code = std::move(changed);
  return absl::OkStatus();
}

absl::StatusOr<v1::Discount> DiscountFor(const v1::DiscountCode& code, const CodeUse& use) {
  if (code.disabled()) return CodeRefused("DISCOUNT_CODE_DISABLED", "this code is not active");
  if (code.has_start_time() && use.now < FromProto(code.start_time())) {
    return CodeRefused("DISCOUNT_CODE_NOT_STARTED", "this code is not valid yet");
  }
  if (code.has_end_time() && use.now >= FromProto(code.end_time())) {
    return CodeRefused("DISCOUNT_CODE_EXPIRED", "this code has expired");
  }
  if (code.value_case() == v1::DiscountCode::kAmount &&
      code.amount().currency_code() != use.currency) {
    return CodeRefused("DISCOUNT_CODE_CURRENCY",
                       absl::StrCat("this code is for ", code.amount().currency_code(), " carts"));
  }
  if (code.has_minimum_subtotal()) {
    if (code.minimum_subtotal().currency_code() != use.currency) {
      return CodeRefused(
          "DISCOUNT_CODE_CURRENCY",
          absl::StrCat("this code is for ", code.minimum_subtotal().currency_code(), " carts"));
    }
    if (use.items_subtotal < code.minimum_subtotal().amount_minor()) {
      return CodeRefused(
          "DISCOUNT_CODE_MINIMUM_NOT_MET",
          absl::StrCat("this code needs a subtotal of at least ",
                       FormatMoney(code.minimum_subtotal().amount_minor(), use.currency)));
    }
  }
  if (!code.customer_group_id().empty()) {
    // A guest is in no group; a registered shopper's group is known at
    // checkout (before that, the code is shown as applying).
    const bool member = !use.customer_id.empty() &&
                        (!use.group_id.has_value() || *use.group_id == code.customer_group_id());
    if (!member) {
      return CodeRefused("DISCOUNT_CODE_GROUP_ONLY",
                         "this code is only for members of a customer group");
    }
  }
  if (code.usage_limit() > 0 && use.times_used >= code.usage_limit()) {
    return CodeRefused("DISCOUNT_CODE_USED_UP", "this code has been used up");
  }
  if (code.usage_limit_per_customer() > 0 &&
      use.times_used_by_shopper >= code.usage_limit_per_customer()) {
    return CodeRefused("DISCOUNT_CODE_USED_UP", "this code was already used as often as it may be");
  }
  v1::Discount d;
  d.set_code(code.code());
  d.set_description(code.description());
  if (code.value_case() == v1::DiscountCode::kPercentBp) {
    d.set_percent_bp(code.percent_bp());
  } else {
    *d.mutable_amount() = code.amount();
  }
  return d;
}

absl::Status UnknownDiscountCode(absl::string_view code) {
  return CodeRefused("DISCOUNT_CODE_UNKNOWN", absl::StrCat("there is no discount code ", code));
}

std::string ShopperKey(const std::string& customer_id, const std::string& email) {
  return customer_id.empty() ? absl::StrCat("email:", absl::AsciiStrToLower(email)) : customer_id;
}

}  // namespace store::order
