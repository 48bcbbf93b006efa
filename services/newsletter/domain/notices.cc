#include "services/newsletter/domain/notices.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/core/status.h"
#include "services/newsletter/domain/template.h"

namespace store::newsletter {
namespace {

struct Builtin {
  std::vector<std::string> tags;  // beyond the common ones
  const char* subject;
  const char* text;
  const char* html_lead;  // HTML paragraphs inside the shared frame
};

const std::vector<std::string>& CommonTags() {
  static const auto* kTags =
      new std::vector<std::string>{"firstname", "lastname", "email", "store_name", "store_url"};
  return *kTags;
}

// The built-in wording. The HTML part is the text's paragraphs in a plain,
// mail-client-safe frame (tables and inline styles, no external resources).
const Builtin& BuiltinOf(v1::NoticeType type) {
  static const auto* kBuiltins = new absl::flat_hash_map<int, Builtin>{
      {v1::NOTICE_TYPE_ORDER_RECEIVED,
       {{"order_number", "order_total", "order_url"},
        "We received your order #{order_number}",
        "Hello {firstname},\n\nthank you for your order #{order_number} at {store_name}. "
        "The total is {order_total}.\n\nYou can follow it here: {order_url}\n",
        "<p>Hello {firstname},</p><p>thank you for your order <b>#{order_number}</b> at "
        "{store_name}. The total is <b>{order_total}</b>.</p>"
        "<p><a href=\"{order_url}\">Follow your order</a></p>"}},
      {v1::NOTICE_TYPE_PAYMENT_RECEIVED,
       {{"order_number", "amount_paid", "order_total", "order_url"},
        "Payment received for order #{order_number}",
        "Hello {firstname},\n\nwe received your payment of {amount_paid} for order "
        "#{order_number}. We are getting it ready.\n\n{order_url}\n",
        "<p>Hello {firstname},</p><p>we received your payment of <b>{amount_paid}</b> for "
        "order <b>#{order_number}</b>. We are getting it ready.</p>"
        "<p><a href=\"{order_url}\">Your order</a></p>"}},
      {v1::NOTICE_TYPE_ORDER_SHIPPED,
       {{"order_number", "carrier", "tracking_number", "tracking_url", "order_url"},
        "Your order #{order_number} is on its way",
        "Hello {firstname},\n\nyour order #{order_number} has shipped with {carrier}.\n"
        "Tracking number: {tracking_number}\nTrack it here: {tracking_url}\n",
        "<p>Hello {firstname},</p><p>your order <b>#{order_number}</b> has shipped with "
        "<b>{carrier}</b>.</p><p>Tracking number: <b>{tracking_number}</b></p>"
        "<p><a href=\"{tracking_url}\">Track your parcel</a></p>"}},
      {v1::NOTICE_TYPE_ORDER_COMPLETED,
       {{"order_number", "order_url"},
        "Order #{order_number} is complete",
        "Hello {firstname},\n\nyour order #{order_number} is complete. Thank you for "
        "shopping at {store_name}.\n\n{order_url}\n",
        "<p>Hello {firstname},</p><p>your order <b>#{order_number}</b> is complete. Thank "
        "you for shopping at {store_name}.</p><p><a href=\"{order_url}\">Your order</a></p>"}},
      {v1::NOTICE_TYPE_ORDER_CANCELLED,
       {{"order_number", "reason", "order_url"},
        "Order #{order_number} was cancelled",
        "Hello {firstname},\n\nyour order #{order_number} was cancelled: {reason}.\n"
        "Any payment will be refunded.\n\n{order_url}\n",
        "<p>Hello {firstname},</p><p>your order <b>#{order_number}</b> was cancelled: "
        "{reason}.</p><p>Any payment will be refunded.</p>"
        "<p><a href=\"{order_url}\">Your order</a></p>"}},
      {v1::NOTICE_TYPE_ORDER_REFUNDED,
       {{"order_number", "refund_amount", "reason", "order_url"},
        "Refund for order #{order_number}",
        "Hello {firstname},\n\nwe refunded {refund_amount} for your order #{order_number}"
        " ({reason}).\n\n{order_url}\n",
        "<p>Hello {firstname},</p><p>we refunded <b>{refund_amount}</b> for your order "
        "<b>#{order_number}</b> ({reason}).</p><p><a href=\"{order_url}\">Your order</a></p>"}},
      {v1::NOTICE_TYPE_WALLET_CHANGED,
       {{"wallet_change", "wallet_balance", "reason", "account_url"},
        "Your store credit changed",
        "Hello {firstname},\n\nyour store credit changed by {wallet_change} ({reason}). "
        "Your balance is now {wallet_balance}.\n\n{account_url}\n",
        "<p>Hello {firstname},</p><p>your store credit changed by <b>{wallet_change}</b> "
        "({reason}). Your balance is now <b>{wallet_balance}</b>.</p>"
        "<p><a href=\"{account_url}\">Your account</a></p>"}},
      {v1::NOTICE_TYPE_EMAIL_VERIFICATION,
       {{"verification_url", "expire_time"},
        "Confirm your email address",
        "Hello {firstname},\n\nplease confirm your email address for {store_name}:\n"
        "{verification_url}\n\nThe link works once, until {expire_time}. If you did not "
        "create an account, ignore this mail.\n",
        "<p>Hello {firstname},</p><p>please confirm your email address for {store_name}.</p>"
        "<p><a href=\"{verification_url}\">Confirm my address</a></p>"
        "<p>The link works once, until {expire_time}. If you did not create an account, "
        "ignore this mail.</p>"}},
      {v1::NOTICE_TYPE_PASSWORD_RESET,
       {{"reset_url", "expire_time"},
        "Reset your password",
        "Hello {firstname},\n\nsomeone asked to reset the password of your {store_name} "
        "account. To choose a new one, open:\n{reset_url}\n\nThe link works once, until "
        "{expire_time}. If it was not you, ignore this mail: your password stays as it is.\n",
        "<p>Hello {firstname},</p><p>someone asked to reset the password of your "
        "{store_name} account.</p><p><a href=\"{reset_url}\">Choose a new password</a></p>"
        "<p>The link works once, until {expire_time}. If it was not you, ignore this mail: "
        "your password stays as it is.</p>"}},
      {v1::NOTICE_TYPE_WELCOME,
       {{"account_url"},
        "Welcome to {store_name}",
        "Hello {firstname},\n\nwelcome to {store_name}! Your account is ready: "
        "{account_url}\n",
        "<p>Hello {firstname},</p><p>welcome to {store_name}! Your account is ready.</p>"
        "<p><a href=\"{account_url}\">Go to my account</a></p>"}},
      {v1::NOTICE_TYPE_SUBSCRIPTION_CONFIRMATION,
       {{"confirm_url"},
        "Please confirm your subscription",
        "Hello {firstname},\n\nplease confirm that you want the {store_name} newsletter:\n"
        "{confirm_url}\n\nIf you did not sign up, ignore this mail and you will hear "
        "nothing more from us.\n",
        "<p>Hello {firstname},</p><p>please confirm that you want the {store_name} "
        "newsletter.</p><p><a href=\"{confirm_url}\">Yes, subscribe me</a></p>"
        "<p>If you did not sign up, ignore this mail and you will hear nothing more from "
        "us.</p>"}},
      {v1::NOTICE_TYPE_ORDER_UPDATED,
       {{"order_number", "order_total", "changes", "balance", "order_url"},
        "Your order #{order_number} was updated",
        "Hello {firstname},\n\nyour order #{order_number} was updated:\n{changes}\n"
        "The new total is {order_total}. {balance}\n\n{order_url}\n",
        "<p>Hello {firstname},</p><p>your order <b>#{order_number}</b> was updated:</p>"
        "<p>{changes}</p><p>The new total is <b>{order_total}</b>. {balance}</p>"
        "<p><a href=\"{order_url}\">Your order</a></p>"}},
      {v1::NOTICE_TYPE_ABANDONED_CART,
       {{"cart_url", "cart_total", "cart_items"},
        "You left something in your cart at {store_name}",
        "Hello {firstname},\n\nyou left these in your cart at {store_name}:\n{cart_items}\n"
        "Total: {cart_total}\n\nPick up where you left off: {cart_url}\n",
        "<p>Hello {firstname},</p><p>you left these in your cart at {store_name}:</p>"
        "<p>{cart_items}</p><p>Total: <b>{cart_total}</b></p>"
        "<p><a href=\"{cart_url}\">Return to your cart</a></p>"}},
  };
  return kBuiltins->at(type);
}

constexpr char kFrameHead[] =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{store_name}</title></head>"
    "<body style=\"margin:0;padding:0;background:#f4f4f4\">"
    "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">"
    "<tr><td align=\"center\" style=\"padding:24px\">"
    "<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" "
    "style=\"background:#ffffff;font-family:Arial,Helvetica,sans-serif;font-size:15px;"
    "line-height:1.5;color:#222222\"><tr><td style=\"padding:24px\">"
    "<h1 style=\"font-size:20px;margin:0 0 16px\">{store_name}</h1>";
constexpr char kFrameTail[] =
    "</td></tr></table><p style=\"font-family:Arial,Helvetica,sans-serif;font-size:12px;"
    "color:#888888\"><a href=\"{store_url}\" style=\"color:#888888\">{store_url}</a></p>"
    "</td></tr></table></body></html>";

}  // namespace

const std::vector<v1::NoticeType>& AllNoticeTypes() {
  static const auto* kAll = [] {
    auto* v = new std::vector<v1::NoticeType>;
    const auto* e = v1::NoticeType_descriptor();
    for (int i = 0; i < e->value_count(); ++i) {
      if (e->value(i)->number() != 0)
        v->push_back(static_cast<v1::NoticeType>(e->value(i)->number()));
    }
    return v;
  }();
  return *kAll;
}

std::string NoticeName(v1::NoticeType type) {
  std::string name = v1::NoticeType_Name(type);
  if (absl::StartsWith(name, "NOTICE_TYPE_")) name = name.substr(12);
  return absl::AsciiStrToLower(name);
}

const absl::flat_hash_set<std::string>& NoticeTags(v1::NoticeType type) {
  static const auto* kTags = [] {
    auto* m = new absl::flat_hash_map<int, absl::flat_hash_set<std::string>>;
    for (v1::NoticeType t : AllNoticeTypes()) {
      auto& set = (*m)[t];
      set.insert(CommonTags().begin(), CommonTags().end());
      for (const std::string& tag : BuiltinOf(t).tags) set.insert(tag);
    }
    return m;
  }();
  return kTags->at(type);
}

std::vector<std::string> TagsSorted(const absl::flat_hash_set<std::string>& tags) {
  std::vector<std::string> out(tags.begin(), tags.end());
  std::sort(out.begin(), out.end());
  return out;
}

v1::NoticeTemplate DefaultNotice(v1::NoticeType type) {
  const Builtin& b = BuiltinOf(type);
  v1::NoticeTemplate t;
  t.set_type(type);
  t.set_enabled(true);
  t.set_subject(b.subject);
  t.set_text_body(b.text);
  t.set_html_body(absl::StrCat(kFrameHead, b.html_lead, kFrameTail));
  t.set_customized(false);
  return t;
}

bool NoticeRequired(v1::NoticeType type) {
  return type == v1::NOTICE_TYPE_EMAIL_VERIFICATION || type == v1::NOTICE_TYPE_PASSWORD_RESET ||
         type == v1::NOTICE_TYPE_SUBSCRIPTION_CONFIRMATION;
}

absl::Status ValidateNotice(const v1::NoticeTemplate& t) {
  if (t.type() == v1::NOTICE_TYPE_UNSPECIFIED || !v1::NoticeType_IsValid(t.type())) {
    return InvalidField("template.type", "must be one of the NOTICE_TYPE_* values");
  }
  if (!t.enabled() && NoticeRequired(t.type())) {
    return InvalidField(
        "template.enabled",
        absl::StrCat(NoticeName(t.type()), " mails protect accounts and cannot be switched off"));
  }
  if (absl::StripAsciiWhitespace(t.subject()).empty()) {
    return InvalidField("template.subject", "is required");
  }
  if (t.subject().size() > 998) {
    return InvalidField("template.subject", "must be at most 998 bytes");
  }
  if (t.subject().find_first_of("\r\n") != std::string::npos) {
    return InvalidField("template.subject", "must be one line (no CR or LF)");
  }
  if (absl::StripAsciiWhitespace(t.html_body()).empty() &&
      absl::StripAsciiWhitespace(t.text_body()).empty()) {
    return InvalidField("template.text_body", "an HTML or a plain-text body is required");
  }
  const auto& tags = NoticeTags(t.type());
  STORE_RETURN_IF_ERROR(CheckTemplate("template.subject", t.subject(), tags));
  STORE_RETURN_IF_ERROR(CheckTemplate("template.html_body", t.html_body(), tags));
  STORE_RETURN_IF_ERROR(CheckTemplate("template.text_body", t.text_body(), tags));
  return absl::OkStatus();
}

}  // namespace store::newsletter
