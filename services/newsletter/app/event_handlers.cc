// NewsletterApp: the consumer of the order, cart and customer topics
// (notices, consent, conversions).
#include <prometheus/counter.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/auth/digest.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/money.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/pg/values.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/app/newsletter_app_internal.h"
#include "services/newsletter/domain/notices.h"
#include "services/newsletter/store/campaign_store.h"
#include "services/newsletter/store/newsletter_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/order/v1/cart.pb.h"
#include "store/order/v1/events.pb.h"

namespace store::newsletter {
namespace {

using namespace internal;  // NOLINT: this service's own helpers

// An edit's changes as the customer reads them, one per line.
std::string DescribeEdit(const ov1::OrderEdited& e) {
  std::vector<std::string> lines;
  auto name_of = [&](const std::string& sku) {
    for (const ov1::OrderItem& item : e.order().items()) {
      if (item.sku() == sku) return item.name();
    }
    return sku;
  };
  for (const ov1::OrderEditChange& c : e.changes()) {
    switch (c.change_case()) {
      case ov1::OrderEditChange::kAddItem:
        lines.push_back(
            absl::StrCat("- added: ", c.add_item().quantity(), " x ", c.add_item().name()));
        break;
      case ov1::OrderEditChange::kSetQuantity:
        lines.push_back(c.set_quantity().quantity() == 0
                            ? absl::StrCat("- removed: ", c.set_quantity().sku())
                            : absl::StrCat("- ", name_of(c.set_quantity().sku()), ": now ",
                                           c.set_quantity().quantity()));
        break;
      case ov1::OrderEditChange::kRemoveSku:
        lines.push_back(absl::StrCat("- removed: ", c.remove_sku()));
        break;
      case ov1::OrderEditChange::kShippingAddress:
        lines.push_back(absl::StrCat("- new shipping address: ", c.shipping_address().line1(), ", ",
                                     c.shipping_address().city()));
        break;
      case ov1::OrderEditChange::kAddDiscount:
        lines.push_back(absl::StrCat("- discount added: ", c.add_discount().code().empty()
                                                               ? c.add_discount().description()
                                                               : c.add_discount().code()));
        break;
      case ov1::OrderEditChange::kRemoveDiscountCode:
        lines.push_back(absl::StrCat("- discount removed: ", c.remove_discount_code()));
        break;
      default:
        break;
    }
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace

// ---------------------------------------------------------------------------
// Events

absl::Status NewsletterApp::HandleEvent(pqxx::work& tx, const common::v1::EventEnvelope& env) {
  const absl::Time now = TruncateToMicros(clock_.Now());
  if (absl::StartsWith(env.type(), "store.order.v1.")) return HandleOrderEvent(tx, env, now);
  if (absl::StartsWith(env.type(), "store.customer.v1.")) return HandleCustomerEvent(tx, env, now);
  return absl::OkStatus();  // not ours to act on
}

absl::Status NewsletterApp::HandleOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& env,
                                             absl::Time now) {
  const std::string& type = env.type();
  const std::string origin = absl::StrCat("event:", env.event_id());
  auto notice = [&](v1::NoticeType notice_type, const ov1::Order& order,
                    std::map<std::string, std::string> values) {
    auto [first, last] = SplitName(order.customer().name());
    values["order_number"] = absl::StrCat(order.number());
    values["order_total"] = Money(order.totals().total());
    values["order_url"] = Link(options_.store_url, absl::StrCat("/account/orders/", order.id()));
    QueueNotice(tx, notice_type, {order.customer().email(), first, last}, std::move(values),
                absl::StrCat("notice:", NoticeName(notice_type), ":", env.event_id()), origin, "",
                now);
  };
  if (type == "store.order.v1.CartAbandoned") {
    ov1::CartAbandoned e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    const ov1::Cart& cart = e.cart();
    if (!e.send_reminder() || cart.email().empty()) return absl::OkStatus();
    std::optional<SubscriberRow> subscriber =
        NewsletterStore::SubscriberByEmail(tx, absl::AsciiStrToLower(cart.email()), false);
    if (e.audience() == ov1::REMINDER_AUDIENCE_MARKETING_CONSENT &&
        (!subscriber.has_value() ||
         subscriber->subscriber.status() != v1::SUBSCRIBER_STATUS_SUBSCRIBED)) {
      MailsQueued()
          .Add({{"kind", "transactional"}, {"notice", "abandoned_cart"}, {"result", "no_consent"}})
          .Increment();
      return absl::OkStatus();
    }
    std::string items;
    for (const ov1::CartLine& line : cart.lines()) {
      absl::StrAppend(&items, line.quantity(), " x ", line.name(), "  ", Money(line.total()), "\n");
    }
    std::string first, last;
    if (subscriber.has_value()) {
      first = subscriber->subscriber.first_name();
      last = subscriber->subscriber.last_name();
    }
    // Keyed by the cart: one reminder per cart whatever is redelivered.
    QueueNotice(tx, v1::NOTICE_TYPE_ABANDONED_CART, {cart.email(), first, last},
                {{"cart_url", e.recovery_url().empty() ? options_.store_url : e.recovery_url()},
                 {"cart_total", Money(cart.totals().total())},
                 {"cart_items", items}},
                absl::StrCat("notice:abandoned_cart:", cart.id()), origin,
                subscriber.has_value() ? subscriber->subscriber.id() : "", now);
  } else if (type == "store.order.v1.OrderPlaced") {
    ov1::OrderPlaced e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    notice(v1::NOTICE_TYPE_ORDER_RECEIVED, e.order(), {});
    if (!e.order().customer().email().empty()) {
      // NEW-06: the latest campaign mail to the buyer within the window.
      CampaignStore::RecordConversion(
          tx, e.order().id(), auth::Sha256Hex(absl::AsciiStrToLower(e.order().customer().email())),
          e.order().totals().total().amount_minor(), e.order().currency_code(), now,
          options_.conversion_window);
    }
  } else if (type == "store.order.v1.OrderPaid") {
    ov1::OrderPaid e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    if (e.fully_paid()) {
      notice(v1::NOTICE_TYPE_PAYMENT_RECEIVED, e.order(),
             {{"amount_paid", Money(e.payment().amount())}});
    }
  } else if (type == "store.order.v1.OrderShipped") {
    ov1::OrderShipped e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    const ov1::Shipment& s = e.shipment().carrier().empty() ? e.order().shipment() : e.shipment();
    notice(v1::NOTICE_TYPE_ORDER_SHIPPED, e.order(),
           {{"carrier", s.carrier()},
            {"tracking_number", s.tracking_number()},
            {"tracking_url", s.tracking_url()}});
  } else if (type == "store.order.v1.OrderStatusChanged") {
    ov1::OrderStatusChanged e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    const ov1::OrderStatus to = e.status_change().to_status();
    if (to == ov1::ORDER_STATUS_COMPLETED) {
      notice(v1::NOTICE_TYPE_ORDER_COMPLETED, e.order(), {});
    } else if (to == ov1::ORDER_STATUS_CANCELLED || to == ov1::ORDER_STATUS_REJECTED) {
      notice(v1::NOTICE_TYPE_ORDER_CANCELLED, e.order(),
             {{"reason", e.status_change().reason().empty() ? "no reason given"
                                                            : e.status_change().reason()}});
    }
  } else if (type == "store.order.v1.OrderEdited") {
    ov1::OrderEdited e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    std::string balance = "What you paid stays as it is.";
    if (e.amount_due().amount_minor() > 0) {
      balance = absl::StrCat("Still to pay: ", Money(e.amount_due()), ".");
    } else if (e.refundable().amount_minor() > 0) {
      balance = absl::StrCat("We will refund you ", Money(e.refundable()), ".");
    }
    notice(v1::NOTICE_TYPE_ORDER_UPDATED, e.order(),
           {{"changes", DescribeEdit(e)}, {"balance", balance}});
  } else if (type == "store.order.v1.OrderRefunded") {
    ov1::OrderRefunded e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    notice(v1::NOTICE_TYPE_ORDER_REFUNDED, e.order(),
           {{"refund_amount", Money(e.refund().amount())},
            {"reason", e.refund().reason().empty() ? "refund" : e.refund().reason()}});
  }
  return absl::OkStatus();
}

absl::Status NewsletterApp::HandleCustomerEvent(pqxx::work& tx,
                                                const common::v1::EventEnvelope& env,
                                                absl::Time now) {
  const std::string& type = env.type();
  const std::string origin = absl::StrCat("event:", env.event_id());
  auto key = [&](v1::NoticeType t) {
    return absl::StrCat("notice:", NoticeName(t), ":", env.event_id());
  };
  const std::string account_url = Link(options_.store_url, "/account");
  if (type == "store.customer.v1.EmailVerificationRequested") {
    cv1::EmailVerificationRequested e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    auto [first, last] = SplitName(e.name());
    QueueNotice(
        tx, v1::NOTICE_TYPE_EMAIL_VERIFICATION, {e.email(), first, last},
        {{"verification_url",
          Link(options_.store_url, absl::StrCat("/account/verify-email?token=", e.token()))},
         {"expire_time", HumanTime(TimeOf(e.expire_time()))}},
        key(v1::NOTICE_TYPE_EMAIL_VERIFICATION), origin, "", now);
  } else if (type == "store.customer.v1.PasswordResetRequested") {
    cv1::PasswordResetRequested e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    auto [first, last] = SplitName(e.name());
    QueueNotice(tx, v1::NOTICE_TYPE_PASSWORD_RESET, {e.email(), first, last},
                {{"reset_url", Link(options_.store_url,
                                    absl::StrCat("/account/reset-password?token=", e.token()))},
                 {"expire_time", HumanTime(TimeOf(e.expire_time()))}},
                key(v1::NOTICE_TYPE_PASSWORD_RESET), origin, "", now);
  } else if (type == "store.customer.v1.CustomerRegistered") {
    cv1::CustomerRegistered e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    if (e.send_welcome() || e.source() == "signup") {
      auto [first, last] = SplitName(e.customer().name());
      QueueNotice(tx, v1::NOTICE_TYPE_WELCOME, {e.customer().email(), first, last},
                  {{"account_url", account_url}}, key(v1::NOTICE_TYPE_WELCOME), origin, "", now);
    }
  } else if (type == "store.customer.v1.WalletChanged") {
    cv1::WalletChanged e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    if (e.notify_customer()) {
      std::string change = Money(e.entry().amount());
      if (e.entry().amount().amount_minor() > 0) change = absl::StrCat("+", change);
      QueueNotice(tx, v1::NOTICE_TYPE_WALLET_CHANGED, {e.email(), "", ""},
                  {{"wallet_change", change},
                   {"wallet_balance", Money(e.entry().balance_after())},
                   {"reason", e.entry().reason().empty() ? "store credit" : e.entry().reason()},
                   {"account_url", account_url}},
                  key(v1::NOTICE_TYPE_WALLET_CHANGED), origin, "", now);
    }
  } else if (type == "store.customer.v1.ConsentChanged") {
    return FollowConsent(tx, env, now);
  } else if (type == "store.customer.v1.CustomerErased") {
    return Erase(tx, env, now);
  }
  return absl::OkStatus();
}

// The customer service's email consent, followed here. Our own changes come
// back as ConsentChanged with actor newsletter-service: ignored, and no
// change means no event on either side, so the two never echo each other.
absl::Status NewsletterApp::FollowConsent(pqxx::work& tx, const common::v1::EventEnvelope& env,
                                          absl::Time now) {
  cv1::ConsentChanged e;
  STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
  const cv1::ConsentRecord& r = e.record();
  if (r.channel() != cv1::CONSENT_CHANNEL_EMAIL || r.actor() == kSource) return absl::OkStatus();
  absl::StatusOr<std::string> email = NormalizeEmail("email", e.email());
  if (!email.ok()) return absl::OkStatus();  // nothing we could mail anyway
  const Caller caller{r.actor().empty() ? "customer-service" : r.actor(), r.ip()};
  std::optional<SubscriberRow> row = NewsletterStore::SubscriberByEmail(tx, *email, true);
  if (!r.granted()) {
    if (row.has_value() && (row->subscriber.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED ||
                            row->subscriber.status() == v1::SUBSCRIBER_STATUS_PENDING)) {
      if (row->subscriber.customer_id().empty()) row->subscriber.set_customer_id(e.customer_id());
      MarkLeft(tx, row->subscriber, v1::SUBSCRIBER_STATUS_UNSUBSCRIBED, "customer-consent", caller,
               now);
    }
    return absl::OkStatus();
  }
  if (HardSuppressed(NewsletterStore::SuppressionsOf(tx, auth::Sha256Hex(*email)))) {
    return absl::OkStatus();
  }
  if (!row.has_value()) {
    SubscriberRow fresh;
    v1::Subscriber& s = fresh.subscriber;
    s.set_id(NewUuid());
    s.set_email(*email);
    s.set_customer_id(e.customer_id());
    s.set_status(v1::SUBSCRIBER_STATUS_PENDING);
    s.set_source(r.source().empty() ? "customer-consent" : r.source());
    s.set_consent_ip(r.ip());
    *s.mutable_consent_time() = ToTimestamp(now);
    s.set_version(1);
    *s.mutable_create_time() = ToTimestamp(now);
    *s.mutable_update_time() = ToTimestamp(now);
    NewsletterStore::InsertSubscriber(tx, fresh);
    NewsletterStore::AddConsentRecord(tx, s.id(), "requested", s.source(), r.ip(), caller.actor,
                                      now);
    row = fresh;
  }
  v1::Subscriber& s = row->subscriber;
  if (s.status() == v1::SUBSCRIBER_STATUS_SUBSCRIBED) return absl::OkStatus();
  s.set_customer_id(e.customer_id());
  if (r.level() == cv1::CONSENT_LEVEL_CONFIRMED_OPT_IN) {
    MarkSubscribed(tx, s, "subscribed", caller, now);
  } else {
    // A ticked box is single opt-in: the address confirms before it gets
    // marketing mail.
    if (s.status() != v1::SUBSCRIBER_STATUS_PENDING) {
      s.set_status(v1::SUBSCRIBER_STATUS_PENDING);
      s.set_source(r.source().empty() ? "customer-consent" : r.source());
      *s.mutable_consent_time() = ToTimestamp(now);
      NewsletterStore::AddConsentRecord(tx, s.id(), "requested", s.source(), r.ip(), caller.actor,
                                        now);
    }
    Save(tx, s, now);
    SendConfirmation(tx, s, now);
  }
  return absl::OkStatus();
}

}  // namespace store::newsletter
