#include "services/order/app/cart_app.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/link_token.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/pg/values.h"
#include "services/order/store/cart_store.h"
#include "services/order/store/settings_store.h"
#include "store/topics.h"

namespace store::order {
namespace {

using google::protobuf::util::TimeUtil;

absl::Status CheckId(absl::string_view field, const std::string& id, absl::string_view what) {
  if (!IsUuid(id)) return InvalidField(field, absl::StrCat("must be a ", what, " id (a UUID)"));
  return absl::OkStatus();
}

int64_t ItemsSubtotal(const v1::Cart& cart) {
  int64_t sum = 0;
  for (const v1::CartLine& line : cart.lines()) {
    sum += line.unit_price().amount_minor() * line.quantity();
  }
  return sum;
}

// How `code` is used by `cart` now, read in `tx`.
CodeUse UseOf(pqxx::transaction_base& tx, const v1::DiscountCode& code, const v1::Cart& cart,
              absl::Time now) {
  CodeUse use;
  use.items_subtotal = ItemsSubtotal(cart);
  use.currency = cart.currency_code();
  use.now = now;
  use.customer_id = cart.customer_id();
  use.times_used = code.times_used();
  use.times_used_by_shopper =
      CartStore::CountShopperUses(tx, code.id(), ShopperKey(cart.customer_id(), cart.email()));
  return use;
}

// A save at `now`: the next version, and the expiry the retention setting
// gives from now.
void Stamp(v1::Cart* cart, absl::Time now, const v1::OrderSettings& settings) {
  cart->set_version(cart->version() + 1);
  *cart->mutable_update_time() = pg::ToTimestamp(now);
  *cart->mutable_expire_time() = pg::ToTimestamp(now + CartRetention(settings));
}

}  // namespace

absl::Status CartApp::Price(pqxx::transaction_base& tx, v1::Cart* cart, bool strict) {
  std::vector<v1::Discount> discounts;
  if (!cart->discount_code().empty()) {
    std::optional<v1::DiscountCode> code = CartStore::FindCode(tx, cart->discount_code(), false);
    absl::StatusOr<v1::Discount> d =
        code.has_value() ? DiscountFor(*code, UseOf(tx, *code, *cart, clock_.Now()))
                         : absl::StatusOr<v1::Discount>(UnknownDiscountCode(cart->discount_code()));
    if (d.ok()) {
      discounts.push_back(*std::move(d));
    } else if (strict) {
      return d.status();
    }
  }
  return PriceCart(cart, discounts);
}

absl::StatusOr<v1::Cart> CartApp::CreateCart(const v1::CreateCartRequest& request) {
  if (!IsUuid(request.request_id())) {
    return InvalidField("request_id",
                        "must be a UUID chosen by the caller (it makes retries safe); or send "
                        "an Idempotency-Key");
  }
  const std::string request_id = absl::AsciiStrToLower(request.request_id());
  STORE_ASSIGN_OR_RETURN(v1::Cart cart, BuildNewCart(request.cart(), options_.store_currency,
                                                     [] { return NewUuid(); }));
  v1::CreateCartRequest fingerprinted = request;
  fingerprinted.clear_request_id();
  const std::string hash = Fingerprint(fingerprinted);
  v1::Cart result;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    auto replay = [&](const CartStore::ByRequest& stored) -> absl::Status {
      if (stored.request_hash != hash) {
        return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id",
                         "request_id was already used for a different cart");
      }
      result = stored.cart;
      return absl::OkStatus();
    };
    if (auto stored = CartStore::FindByRequestId(tx, request_id); stored.has_value()) {
      return replay(*stored);
    }
    const absl::Time now = pg::TruncateToMicros(clock_.Now());
    result = cart;
    result.set_id(NewUuid());
    *result.mutable_create_time() = pg::ToTimestamp(now);
    Stamp(&result, now, SettingsStore::Load(tx));
    STORE_RETURN_IF_ERROR(Price(tx, &result, /*strict=*/true));
    if (!CartStore::Insert(tx, result, request_id, hash)) {
      // A concurrent retry stored it first.
      auto stored = CartStore::FindByRequestId(tx, request_id);
      if (!stored.has_value()) return absl::AbortedError("concurrent cart creation, retry");
      return replay(*stored);
    }
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<v1::Cart> CartApp::GetCart(const std::string& id, const std::string& owner) {
  STORE_RETURN_IF_ERROR(CheckId("id", id, "cart"));
  std::optional<v1::Cart> cart;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    cart = CartStore::Load(tx, absl::AsciiStrToLower(id), false);
    return absl::OkStatus();
  }));
  if (!cart.has_value() || (!owner.empty() && cart->customer_id() != owner)) {
    return NotFound("cart", id);
  }
  return *cart;
}

absl::StatusOr<v1::ListCartsResponse> CartApp::ListCarts(const v1::ListCartsRequest& req) {
  STORE_ASSIGN_OR_RETURN(const int size, PageSize(req.page_size()));
  v1::CartFilter f = req.filter();
  if (!f.customer_id().empty()) {
    STORE_RETURN_IF_ERROR(CheckId("filter.customer_id", f.customer_id(), "customer"));
    f.set_customer_id(absl::AsciiStrToLower(f.customer_id()));
  }
  if (!f.email().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail("filter.email", f.email()));
    f.set_email(email);
  }
  for (int i = 0; i < f.states_size(); ++i) {
    if (f.states(i) == v1::CART_STATE_UNSPECIFIED || !v1::CartState_IsValid(f.states(i))) {
      return InvalidField(absl::StrCat("filter.states[", i, "]"), "is not a cart state");
    }
  }
  const std::string binding = ListBinding(req);
  std::optional<KeysetCursor> after;
  if (!req.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(after, DecodePageToken(req.page_token(), binding));
  }
  std::vector<v1::Cart> rows;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    rows = CartStore::List(tx, f, after, size);
    return absl::OkStatus();
  }));
  v1::ListCartsResponse resp;
  const bool more = static_cast<int>(rows.size()) > size;
  if (more) rows.resize(size);
  for (auto& c : rows) *resp.add_carts() = std::move(c);
  if (more) {
    const v1::Cart& last = resp.carts(resp.carts_size() - 1);
    KeysetCursor c;
    c.id = last.id();
    c.sort_value = TimeUtil::TimestampToMicroseconds(last.update_time());
    resp.set_next_page_token(EncodePageToken(c, binding));
  }
  return resp;
}

absl::StatusOr<v1::Cart> CartApp::Mutate(const std::string& id, const std::string& owner,
                                         bool code_changed, const CartChange& change) {
  v1::Cart result;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<CartStore::ForSave> loaded =
        CartStore::LoadForSave(tx, absl::AsciiStrToLower(id));
    if (!loaded.has_value() || (!owner.empty() && loaded->cart.customer_id() != owner)) {
      return NotFound("cart", id);
    }
    v1::Cart& cart = loaded->cart;
    const absl::Time now = pg::TruncateToMicros(clock_.Now());
    STORE_RETURN_IF_ERROR(CheckCartOpen(cart, now));
    STORE_RETURN_IF_ERROR(change(cart));
    STORE_RETURN_IF_ERROR(
        Price(tx, &cart, /*strict=*/code_changed && !cart.discount_code().empty()));
    Stamp(&cart, now, loaded->settings);
    CartStore::Update(tx, cart);
    result = std::move(cart);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<v1::Cart> CartApp::AddLine(const v1::AddCartLineRequest& request) {
  STORE_RETURN_IF_ERROR(CheckId("cart_id", request.cart_id(), "cart"));
  return Mutate(request.cart_id(), "", false, [&](v1::Cart& cart) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::CartLine line,
                           CheckCartLine("line", request.line(), cart.currency_code()));
    return AddCartLine(&cart, line, NewUuid());
  });
}

absl::StatusOr<v1::Cart> CartApp::UpdateLine(const v1::UpdateCartLineRequest& request) {
  STORE_RETURN_IF_ERROR(CheckId("cart_id", request.cart_id(), "cart"));
  return Mutate(request.cart_id(), "", false, [&](v1::Cart& cart) {
    return UpdateCartLine(&cart, request.line(), request.update_mask());
  });
}

absl::StatusOr<v1::Cart> CartApp::RemoveLine(const v1::RemoveCartLineRequest& request) {
  STORE_RETURN_IF_ERROR(CheckId("cart_id", request.cart_id(), "cart"));
  return Mutate(request.cart_id(), "", false,
                [&](v1::Cart& cart) { return RemoveCartLine(&cart, request.line_id()); });
}

absl::StatusOr<v1::Cart> CartApp::UpdateCart(const v1::UpdateCartRequest& request,
                                             const std::string& owner) {
  STORE_RETURN_IF_ERROR(CheckId("cart.id", request.cart().id(), "cart"));
  bool code_changed = false;
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "discount_code") code_changed = true;
  }
  return Mutate(request.cart().id(), owner, code_changed, [&](v1::Cart& cart) {
    return ApplyCartUpdate(&cart, request.cart(), request.update_mask(),
                           owner.empty() ? CartCaller::kTrusted : CartCaller::kCustomer);
  });
}

absl::StatusOr<v1::Order> CartApp::Checkout(const v1::CheckoutCartRequest& request,
                                            const std::string& owner, const std::string& actor) {
  STORE_RETURN_IF_ERROR(CheckId("cart_id", request.cart_id(), "cart"));
  const std::string cart_id = absl::AsciiStrToLower(request.cart_id());
  const std::string request_id = absl::AsciiStrToLower(request.request_id());
  const absl::Time now = clock_.Now();
  v1::Cart cart;
  std::string converted_by;
  std::optional<v1::DiscountCode> code;
  CodeUse use;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Cart> loaded = CartStore::Load(tx, cart_id, false);
    if (!loaded.has_value() || (!owner.empty() && loaded->customer_id() != owner)) {
      return NotFound("cart", request.cart_id());
    }
    cart = *std::move(loaded);
    // Checked once the cart is known to be the caller's (someone else's
    // cart is NOT_FOUND whatever the request says).
    if (!IsUuid(request.request_id())) {
      return InvalidField("request_id",
                          "must be a UUID chosen by the caller (it makes retries safe); or "
                          "send an Idempotency-Key");
    }
    if (cart.state() == v1::CART_STATE_CONVERTED) {
      converted_by = CartStore::CheckoutRequestId(tx, cart_id);
      return absl::OkStatus();
    }
    if (!cart.discount_code().empty()) {
      code = CartStore::FindCode(tx, cart.discount_code(), false);
      if (!code.has_value()) return UnknownDiscountCode(cart.discount_code());
      use = UseOf(tx, *code, cart, now);
    }
    return absl::OkStatus();
  }));
  if (cart.state() == v1::CART_STATE_CONVERTED && converted_by == request_id) {
    return orders_.GetOrder(cart.order_id());  // a retry of this checkout
  }
  STORE_RETURN_IF_ERROR(CheckCartOpen(cart, now));
  std::vector<v1::Discount> discounts;
  if (code.has_value()) {
    STORE_ASSIGN_OR_RETURN(v1::Discount d, DiscountFor(*code, use));
    discounts.push_back(std::move(d));
  }
  STORE_ASSIGN_OR_RETURN(v1::PlaceOrderRequest place, CheckoutRequest(cart, request, discounts));
  place.set_request_id(request_id);

  std::string group_id;
  PlacementHooks hooks;
  hooks.cart_id = cart.id();
  hooks.after_check = [&](const CheckoutDecision& decision) -> absl::Status {
    group_id = decision.group_id;
    if (!code.has_value() || code->customer_group_id().empty()) return absl::OkStatus();
    CodeUse with_group = use;
    with_group.group_id = decision.group_id;
    return DiscountFor(*code, with_group).status();
  };
  hooks.in_transaction = [&](pqxx::work& tx, const v1::Order& order,
                             absl::Time at) -> absl::Status {
    std::optional<CartStore::ForSave> loaded = CartStore::LoadForSave(tx, cart.id());
    if (!loaded.has_value()) return NotFound("cart", cart.id());
    v1::Cart* locked = &loaded->cart;
    STORE_RETURN_IF_ERROR(CheckCartOpen(*locked, at));
    if (locked->version() != cart.version()) {
      return Precondition("CART_CHANGED",
                          "the cart changed during checkout; read it again and check out again");
    }
    if (code.has_value()) {
      // The code's row is locked until commit: concurrent checkouts with
      // the same code count their uses one at a time.
      std::optional<v1::DiscountCode> fresh = CartStore::FindCode(tx, code->code(), true);
      if (!fresh.has_value()) return UnknownDiscountCode(code->code());
      CodeUse now_use = UseOf(tx, *fresh, *locked, at);
      now_use.group_id = group_id;
      if (fresh->customer_group_id().empty()) now_use.group_id.reset();
      STORE_RETURN_IF_ERROR(DiscountFor(*fresh, now_use).status());
      CartStore::Redeem(tx, fresh->id(), order.id(),
                        ShopperKey(locked->customer_id(), locked->email()), at);
    }
    locked->set_state(v1::CART_STATE_CONVERTED);
    locked->set_order_id(order.id());
    Stamp(locked, at, loaded->settings);  // kept for the retention, then purged
    CartStore::Update(tx, *locked, request_id);
    if (locked->has_abandon_time()) {
      v1::CartRecovered recovered;
      recovered.set_cart_id(locked->id());
      recovered.set_order_id(order.id());
      recovered.set_via_link(locked->recovered_via_link());
      recovered.set_email(order.customer().email());
      recovered.set_customer_id(order.customer().customer_id());
      *recovered.mutable_order_total() = order.totals().total();
      events::AppendToOutbox(
          tx, order::v1::kCartsTopic,
          events::MakeEnvelope(recovered, locked->id(), locked->version(), kSource, at));
    }
    return absl::OkStatus();
  };
  return orders_.PlaceOrder(place, actor, hooks);
}

std::string CartApp::RecoveryUrl(const v1::Cart& cart) const {
  if (options_.recovery_secret.empty() || options_.recovery_url.empty()) return "";
  const absl::Time expires =
      absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(cart.expire_time()));
  return absl::StrCat(options_.recovery_url,
                      auth::SignLinkToken(options_.recovery_secret, kCartRecoveryPurpose,
                                          RecoveryPayload(cart.id(), expires)));
}

absl::StatusOr<v1::Cart> CartApp::Recover(const std::string& token) {
  if (options_.recovery_secret.empty()) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_TOKEN", "token",
                     "cart recovery links are not enabled");
  }
  STORE_ASSIGN_OR_RETURN(std::string payload, auth::VerifyLinkToken(options_.recovery_secret,
                                                                    kCartRecoveryPurpose, token));
  STORE_ASSIGN_OR_RETURN(std::string cart_id, CartOfRecoveryPayload(payload, clock_.Now()));
  v1::Cart result;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Cart> cart = CartStore::Load(tx, cart_id, true);
    if (!cart.has_value()) return NotFound("cart", cart_id);
    STORE_RETURN_IF_ERROR(CheckCartOpen(*cart, clock_.Now()));
    if (!cart->recovered_via_link()) {
      cart->set_recovered_via_link(true);
      cart->set_version(cart->version() + 1);
      CartStore::Update(tx, *cart);
    }
    result = *std::move(cart);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<int> CartApp::MarkAbandoned(int limit) {
  int marked = 0;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    marked = 0;
    const absl::Time now = pg::TruncateToMicros(clock_.Now());
    const v1::OrderSettings settings = SettingsStore::Load(tx);
    const absl::Duration delay = AbandonmentDelay(settings);
    std::vector<v1::Cart> carts = CartStore::LockAbandonCandidates(tx, now - delay, now, limit);
    if (carts.empty()) return absl::OkStatus();
    std::set<std::string> emails;
    std::vector<AbandonCandidate> candidates;
    for (const v1::Cart& cart : carts) {
      emails.insert(cart.email());
      candidates.push_back(
          {cart.id(), cart.email(),
           absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(cart.update_time()))});
    }
    // In a fixed order, so two sweeps never wait on each other in a cycle.
    for (const std::string& email : emails) CartStore::LockShopper(tx, email);
    const std::vector<std::string> reminded = CartStore::RemindedSince(
        tx, std::vector<std::string>(emails.begin(), emails.end()), now - delay);
    const std::vector<std::string> remind = PlanReminders(candidates, reminded);
    const std::set<std::string> remind_set(remind.begin(), remind.end());
    for (v1::Cart& cart : carts) {
      const bool send = remind_set.count(cart.id()) > 0;
      *cart.mutable_abandon_time() = pg::ToTimestamp(now);
      cart.set_reminder_state(send ? v1::CART_REMINDER_STATE_REQUESTED
                                   : v1::CART_REMINDER_STATE_SKIPPED);
      cart.set_version(cart.version() + 1);
      CartStore::Update(tx, cart);
      v1::CartAbandoned event;
      *event.mutable_cart() = cart;
      event.set_send_reminder(send);
      event.set_audience(settings.reminder_audience());
      event.set_recovery_url(RecoveryUrl(cart));
      *event.mutable_recovery_expire_time() = cart.expire_time();
      events::AppendToOutbox(tx, order::v1::kCartsTopic,
                             events::MakeEnvelope(event, cart.id(), cart.version(), kSource, now));
      ++marked;
    }
    return absl::OkStatus();
  }));
  return marked;
}

absl::StatusOr<int64_t> CartApp::PurgeExpired(int limit) {
  int64_t purged = 0;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    purged = CartStore::Purge(tx, pg::TruncateToMicros(clock_.Now()), limit);
    return absl::OkStatus();
  }));
  return purged;
}

absl::Status CartApp::Sweep() {
  STORE_ASSIGN_OR_RETURN(int marked, MarkAbandoned());
  STORE_ASSIGN_OR_RETURN(int64_t purged, PurgeExpired());
  if (marked > 0 || purged > 0) {
    log::Info("cart sweep",
              {{"abandoned", absl::StrCat(marked)}, {"purged", absl::StrCat(purged)}});
  }
  return absl::OkStatus();
}

// ---- Discount codes ----

absl::StatusOr<v1::DiscountCode> CartApp::CreateCode(const v1::CreateDiscountCodeRequest& request) {
  STORE_ASSIGN_OR_RETURN(v1::DiscountCode code,
                         BuildDiscountCode(request.discount_code(), options_.store_currency));
  const absl::Time now = pg::TruncateToMicros(clock_.Now());
  code.set_id(NewUuid());
  code.set_version(1);
  *code.mutable_create_time() = pg::ToTimestamp(now);
  *code.mutable_update_time() = pg::ToTimestamp(now);
  bool inserted = false;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    inserted = CartStore::InsertCode(tx, code);
    return absl::OkStatus();
  }));
  if (!inserted) {
    return MakeError(absl::StatusCode::kAlreadyExists, "DISCOUNT_CODE_EXISTS", "discount_code.code",
                     absl::StrCat("the code ", code.code(), " exists"));
  }
  return code;
}

absl::StatusOr<v1::DiscountCode> CartApp::GetCode(const std::string& id) {
  STORE_RETURN_IF_ERROR(CheckId("id", id, "discount code"));
  std::optional<v1::DiscountCode> code;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    code = CartStore::LoadCode(tx, absl::AsciiStrToLower(id), false);
    return absl::OkStatus();
  }));
  if (!code.has_value()) return NotFound("discount code", id);
  return *code;
}

absl::StatusOr<v1::ListDiscountCodesResponse> CartApp::ListCodes(
    const v1::ListDiscountCodesRequest& req) {
  STORE_ASSIGN_OR_RETURN(const int size, PageSize(req.page_size()));
  const std::string binding = ListBinding(req);
  std::string after;
  if (!req.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(KeysetCursor c, DecodePageToken(req.page_token(), binding));
    after = c.sort_text;
  }
  std::vector<v1::DiscountCode> rows;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    rows = CartStore::ListCodes(tx, req.include_disabled(), after, size);
    return absl::OkStatus();
  }));
  v1::ListDiscountCodesResponse resp;
  const bool more = static_cast<int>(rows.size()) > size;
  if (more) rows.resize(size);
  for (auto& c : rows) *resp.add_discount_codes() = std::move(c);
  if (more) {
    KeysetCursor c;
    c.id = resp.discount_codes(resp.discount_codes_size() - 1).id();
    c.sort_text = resp.discount_codes(resp.discount_codes_size() - 1).code();
    resp.set_next_page_token(EncodePageToken(c, binding));
  }
  return resp;
}

absl::StatusOr<v1::DiscountCode> CartApp::UpdateCode(const v1::UpdateDiscountCodeRequest& request) {
  const std::string& id = request.discount_code().id();
  STORE_RETURN_IF_ERROR(CheckId("discount_code.id", id, "discount code"));
  v1::DiscountCode result;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::DiscountCode> code = CartStore::LoadCode(tx, absl::AsciiStrToLower(id), true);
    if (!code.has_value()) return NotFound("discount code", id);
    STORE_RETURN_IF_ERROR(ApplyDiscountCodeUpdate(&*code, request.discount_code(),
                                                  request.update_mask(), options_.store_currency));
    code->set_version(code->version() + 1);
    *code->mutable_update_time() = pg::ToTimestamp(pg::TruncateToMicros(clock_.Now()));
    CartStore::UpdateCode(tx, *code);
    result = *std::move(code);
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace store::order
