// The newsletter service against real PostgreSQL, the Kafka-protocol broker
// and a real SMTP server (tools/smtp-sink, aiosmtpd): subscribers with
// double opt-in, unsubscribe links, the suppression list, transactional
// notices from order and customer events, delivery with retries and bounces,
// and erasure.
#include <pqxx/pqxx>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/auth/digest.h"
#include "libs/auth/link_token.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "libs/events/consumer.h"
#include "libs/events/envelope.h"
#include "libs/grpcx/status.h"
#include "libs/pg/values.h"
#include "libs/testing/service_fixture.h"
#include "libs/testing/test_smtp.h"
#include "libs/testing/wait.h"
#include "services/newsletter/app/campaign_app.h"
#include "services/newsletter/app/mail_sender.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/store/campaign_store.h"
#include "services/newsletter/store/newsletter_store.h"
#include "services/newsletter/wiring.h"
#include "store/customer/v1/events.pb.h"
#include "store/newsletter/v1/events.pb.h"
#include "store/newsletter/v1/newsletter_service.grpc.pb.h"
#include "store/order/v1/cart.pb.h"
#include "store/order/v1/events.pb.h"
#include "store/topics.h"

namespace store::newsletter {
namespace {

namespace cv1 = store::customer::v1;
namespace ov1 = store::order::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using auth::SignLinkToken;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test";

// The decoded text of every body part of a raw message (base64 parts).
std::string Bodies(const std::string& raw) {
  std::string out;
  const size_t head_end =
      raw.find("\r\n\r\n") != std::string::npos ? raw.find("\r\n\r\n") : raw.find("\n\n");
  std::string all = raw;
  size_t pos = 0;
  // Each base64 part starts after a blank line following its headers.
  while ((pos = all.find("Content-Transfer-Encoding: base64", pos)) != std::string::npos) {
    size_t start = all.find("\n\n", pos);
    size_t start_crlf = all.find("\r\n\r\n", pos);
    if (start_crlf != std::string::npos && (start == std::string::npos || start_crlf < start)) {
      start = start_crlf + 4;
    } else if (start != std::string::npos) {
      start += 2;
    } else {
      break;
    }
    size_t end = all.find("--", start);
    if (end == std::string::npos) end = all.size();
    std::string b64 = all.substr(start, end - start);
    b64.erase(std::remove_if(b64.begin(), b64.end(), [](char c) { return c == '\r' || c == '\n'; }),
              b64.end());
    std::string decoded;
    absl::Base64Unescape(b64, &decoded);
    out += decoded;
    out += "\n";
    pos = end;
  }
  (void)head_end;
  return out;
}

// The value after `key` in `text` up to the next character that cannot be
// in a base64url token.
std::string TokenAfter(const std::string& text, const std::string& key) {
  const size_t at = text.find(key);
  if (at == std::string::npos) return "";
  size_t end = at + key.size();
  while (end < text.size() && (absl::ascii_isalnum(text[end]) || text[end] == '-' ||
                               text[end] == '_' || text[end] == '.')) {
    ++end;
  }
  return text.substr(at + key.size(), end - at - key.size());
}

class NewsletterTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    auto smtp = testing::TestSmtp::Start();
    ASSERT_TRUE(smtp.ok()) << smtp.status();
    smtp_ = std::move(*smtp);
    // Wired as main.cc wires it; campaign segments come from a map here.
    StartService(Spec(&parts_, {.segments = Segments()}),
                 {{"STORE_NAME", "Sample Store"},
                  {"STORE_URL", "https://shop.example"},
                  {"PUBLIC_API_URL", "https://api.shop.example"},
                  {"MAIL_FROM", "shop@shop.example"},
                  {"MAIL_FROM_NAME", "Sample Store"},
                  {"NEWSLETTER_TOKEN_SECRET", kSecret},
                  {"SMTP_URL", smtp_->url()},
                  {"SMTP_TIMEOUT", "10s"},
                  {"SMTP_CONNECT_TIMEOUT", "2s"},
                  {"MAIL_RATE_PER_SECOND", "0"},
                  {"MAIL_SENDERS", "1"},
                  {"CAMPAIGN_BATCH", "2"}},
                 {.pool_size = 8, .relay_poll = absl::Milliseconds(500)});
    if (HasFatalFailure()) return;
    app_ = parts_.app.get();
    campaigns_ = parts_.campaigns.get();
    sender_ = parts_.senders.at(0).get();
    stub_ = v1::NewsletterService::NewStub(Channel());
    StartConsumer(kConsumerName);
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& actor = "marketing:mia",
                                           const std::string& ip = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-actor", actor);
    if (!ip.empty()) ctx->AddMetadata("x-client-ip", ip);
    return ctx;
  }

  grpc::Status Subscribe(const std::string& email, const std::string& first = "Ann",
                         v1::SubscribeResponse* out = nullptr) {
    v1::SubscribeRequest req;
    req.set_email(email);
    req.set_first_name(first);
    v1::SubscribeResponse resp;
    grpc::Status s = stub_->Subscribe(Ctx("public", "203.0.113.7").get(), req, &resp);
    if (out != nullptr) *out = resp;
    return s;
  }

  v1::Subscriber CreateSubscriber(const std::string& email) {
    v1::CreateSubscriberRequest req;
    req.set_request_id(NewUuid());
    req.set_email(email);
    req.set_first_name("Sam");
    req.set_source("import");
    v1::Subscriber s;
    grpc::Status st = stub_->CreateSubscriber(Ctx().get(), req, &s);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return s;
  }

  // Sends everything due; returns how many mails were handled.
  int SendAll() {
    absl::StatusOr<int> n = sender_->SendDue(absl::Seconds(20));
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(-1);
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection c(db_->url());
    pqxx::work tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  std::vector<v1::Mail> Mails(const std::string& recipient) {
    v1::ListMailsRequest req;
    req.set_recipient(recipient);
    v1::ListMailsResponse resp;
    EXPECT_TRUE(stub_->ListMails(Ctx().get(), req, &resp).ok());
    return {resp.mails().begin(), resp.mails().end()};
  }

  // Publishes an event the way another service does.
  common::v1::EventEnvelope Publish(const std::string& topic, const google::protobuf::Message& e,
                                    const std::string& key) {
    auto env = events::MakeEnvelope(e, key, 1, "test", clock_.Now());
    kafka_->Produce(topic, key, env.SerializeAsString());
    return env;
  }

  ov1::Order Order(const std::string& email, const std::string& name = "Ann Lee") {
    ov1::Order o;
    o.set_id(NewUuid());
    o.set_number(10042);
    o.set_currency_code("USD");
    o.mutable_customer()->set_email(email);
    o.mutable_customer()->set_name(name);
    o.mutable_totals()->mutable_total()->set_amount_minor(2999);
    o.mutable_totals()->mutable_total()->set_currency_code("USD");
    o.set_version(3);
    return o;
  }

  common::v1::EventEnvelope Shipped(const ov1::Order& base) {
    ov1::OrderShipped e;
    *e.mutable_order() = base;
    e.mutable_shipment()->set_carrier("ups");
    e.mutable_shipment()->set_tracking_number("1Z999AA10123456784");
    e.mutable_shipment()->set_tracking_url("https://www.ups.com/track?tracknum=1Z999AA10123456784");
    return Publish(order::v1::kOrdersTopic, e, base.id());
  }

  // Stands in for the customer service's ListSegmentMembers.
  SegmentSource Segments() {
    return [this](const std::string& id, const std::string& token) -> absl::StatusOr<SegmentPage> {
      auto it = segment_pages_.find(id);
      if (it == segment_pages_.end()) return absl::NotFoundError("segment not found");
      const size_t page = token.empty() ? 0 : std::stoul(token);
      SegmentPage out;
      if (page < it->second.size()) out.emails = it->second[page];
      if (page + 1 < it->second.size()) out.next_page_token = std::to_string(page + 1);
      return out;
    };
  }

  v1::Campaign NewCampaign(const std::string& segment_id = "") {
    v1::CreateCampaignRequest req;
    req.set_request_id(NewUuid());
    v1::Campaign* c = req.mutable_campaign();
    c->set_name("Winter sale");
    c->set_type(v1::CAMPAIGN_TYPE_PROMOTIONAL);
    c->set_subject("Winter sale for {firstname}");
    c->set_text_body("Hi {firstname}, 20% off.\nLeave: {unsubscribe_url}");
    c->set_html_body(
        "<html><body><p>Hi {firstname}, 20% off: <a "
        "href=\"{store_url}/winter?x=1&amp;y=2\">shop</a>"
        "</p><a href=\"{unsubscribe_url}\">leave</a></body></html>");
    c->set_segment_id(segment_id);
    v1::Campaign out;
    grpc::Status s = stub_->CreateCampaign(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  v1::Campaign GetCampaign(const std::string& id) {
    v1::GetCampaignRequest req;
    req.set_id(id);
    v1::Campaign out;
    EXPECT_TRUE(stub_->GetCampaign(Ctx().get(), req, &out).ok());
    return out;
  }

  // Queues every sending campaign's recipients.
  int64_t DispatchAll() {
    absl::StatusOr<int64_t> n = campaigns_->Dispatch(absl::Seconds(20));
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(-1);
  }

  // Events of `type` published on the subscribers topic so far.
  int Events(const std::string& type) {
    int n = 0;
    for (const auto& r :
         kafka_->ReadTopic(newsletter::v1::kSubscribersTopic, 0, absl::Seconds(2))) {
      n += r.headers.count("type") && r.headers.at("type") == type;
    }
    return n;
  }

  // Waits until the consumer has put `n` mails to `email` in the log.
  bool WaitForQueued(const std::string& email, size_t n) {
    return testing::WaitFor([&] { return Mails(email).size() >= n; }, absl::Seconds(15));
  }

  std::unique_ptr<testing::TestSmtp> smtp_;
  // The customer service's segments, as pages of member emails.
  std::map<std::string, std::vector<std::vector<std::string>>> segment_pages_;
  Parts parts_;
  NewsletterApp* app_ = nullptr;
  MailSender* sender_ = nullptr;
  CampaignApp* campaigns_ = nullptr;
  std::unique_ptr<v1::NewsletterService::Stub> stub_;
};

TEST_F(NewsletterTest, DoubleOptInWithConsentRecordAndOneConfirmationMail) {
  v1::SubscribeResponse resp;
  ASSERT_TRUE(Subscribe("Ann@Example.com", "Ann", &resp).ok());
  EXPECT_EQ(resp.status(), v1::SUBSCRIBER_STATUS_PENDING);
  // Signing up again at once sends no second link (no mail bombing).
  ASSERT_TRUE(Subscribe("ann@example.com").ok());
  EXPECT_EQ(SendAll(), 1);
  ASSERT_TRUE(smtp_->WaitForMessages("ann@example.com", 1));
  const std::vector<std::string> mails = smtp_->MessagesContaining("ann@example.com");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_THAT(mails[0], HasSubstr("Subject: Please confirm your subscription"));
  const std::string body = Bodies(mails[0]);
  const std::string token = TokenAfter(body, "https://shop.example/newsletter/confirm?token=");
  ASSERT_EQ(token.size(), 43u) << body;

  // Pending subscribers get no marketing: not subscribed until confirmed.
  v1::ConfirmSubscriptionRequest confirm;
  confirm.set_token(token);
  v1::Subscriber s;
  ASSERT_TRUE(stub_->ConfirmSubscription(Ctx("public", "203.0.113.8").get(), confirm, &s).ok());
  EXPECT_EQ(s.status(), v1::SUBSCRIBER_STATUS_SUBSCRIBED);
  EXPECT_EQ(s.email(), "ann@example.com");
  EXPECT_EQ(s.consent_ip(), "203.0.113.7");
  EXPECT_TRUE(s.has_confirm_time());
  // The link works once.
  grpc::Status again = stub_->ConfirmSubscription(Ctx("public").get(), confirm, &s);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(grpcx::FromGrpcStatus(again).message(),
            "this confirmation link is unknown, used or expired; sign up again for a new one");

  // Consent history: who, when, from where.
  EXPECT_EQ(Count("SELECT count(*) FROM consent_records WHERE action = 'requested'"
                  " AND ip = '203.0.113.7' AND source = 'form'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM consent_records WHERE action = 'confirmed'"
                  " AND ip = '203.0.113.8'"),
            1);
  // Subscribing while subscribed changes nothing and sends nothing.
  ASSERT_TRUE(Subscribe("ann@example.com", "Ann", &resp).ok());
  EXPECT_EQ(resp.status(), v1::SUBSCRIBER_STATUS_SUBSCRIBED);
  EXPECT_EQ(SendAll(), 0);

  // Subscribed is on the topic (NEW-08).
  EXPECT_TRUE(testing::WaitFor([&] { return Events("store.newsletter.v1.Subscribed") == 1; }));
}

TEST_F(NewsletterTest, BadInputIsRefusedNamingTheFieldAndChangesNothing) {
  struct Case {
    std::string email, first;
    std::string field;
  } cases[] = {
      {"not-an-email", "Ann", "email"},
      {"ann@example.com\r\nBcc: all@example.com", "Ann", "email"},
      {"ann@example.com", "Ann\r\nBcc: all@example.com", "first_name"},
      {"ann@example.com", std::string(101, 'a'), "first_name"},
  };
  for (const Case& c : cases) {
    grpc::Status s = Subscribe(c.email, c.first);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.email;
    auto info = GetErrorInfo(grpcx::FromGrpcStatus(s));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->field(), c.field);
  }
  v1::SubscribeRequest bad_source;
  bad_source.set_email("ann@example.com");
  bad_source.set_source("'; DROP TABLE subscribers; --");
  v1::SubscribeResponse resp;
  EXPECT_EQ(
      GetErrorInfo(grpcx::FromGrpcStatus(stub_->Subscribe(Ctx("public").get(), bad_source, &resp)))
          ->field(),
      "source");
  EXPECT_EQ(Count("SELECT count(*) FROM subscribers"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM mails"), 0);

  // A tampered unsubscribe link is refused and changes nothing.
  const v1::Subscriber sub = CreateSubscriber("sam@example.com");
  std::string token = app_->UnsubscribeToken(sub.id());
  token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
  v1::UnsubscribeRequest un;
  un.set_token(token);
  v1::UnsubscribeResponse un_resp;
  grpc::Status s = stub_->Unsubscribe(Ctx("public").get(), un, &un_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetErrorInfo(grpcx::FromGrpcStatus(s))->reason(), "BAD_TOKEN");
  un.set_token(SignLinkToken("another-secret-another-secret-another", kUnsubscribePurpose, sub.id()));
  EXPECT_EQ(stub_->Unsubscribe(Ctx("public").get(), un, &un_resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetSubscriberRequest get;
  get.set_id(sub.id());
  v1::Subscriber now;
  ASSERT_TRUE(stub_->GetSubscriber(Ctx().get(), get, &now).ok());
  EXPECT_EQ(now.status(), v1::SUBSCRIBER_STATUS_SUBSCRIBED);

  // Unknown notice tags are refused at save time, naming tag and position.
  v1::UpdateNoticeTemplateRequest update;
  update.mutable_template_()->set_type(v1::NOTICE_TYPE_ORDER_SHIPPED);
  update.mutable_template_()->set_enabled(true);
  update.mutable_template_()->set_subject("Shipped #{order_number}");
  update.mutable_template_()->set_text_body("Hi {firstname},\nyour {tracking_nubmer} is here");
  v1::NoticeTemplate saved;
  s = stub_->UpdateNoticeTemplate(Ctx().get(), update, &saved);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetErrorInfo(grpcx::FromGrpcStatus(s))->field(), "template.text_body");
  EXPECT_THAT(s.error_message(), HasSubstr("{tracking_nubmer}"));
  EXPECT_THAT(s.error_message(), HasSubstr("line 2"));
  // Security mails cannot be switched off.
  update.mutable_template_()->set_type(v1::NOTICE_TYPE_PASSWORD_RESET);
  update.mutable_template_()->set_enabled(false);
  update.mutable_template_()->set_text_body("{reset_url}");
  EXPECT_EQ(
      GetErrorInfo(grpcx::FromGrpcStatus(stub_->UpdateNoticeTemplate(Ctx().get(), update, &saved)))
          ->field(),
      "template.enabled");
  EXPECT_EQ(Count("SELECT count(*) FROM notice_templates"), 0);
}

TEST_F(NewsletterTest, ShippedOrderSendsOneTrackingMailWhateverTheBusRedelivers) {
  const ov1::Order order = Order("buyer@example.com", "Ann <b>Lee</b>");
  const common::v1::EventEnvelope env = Shipped(order);
  // The same event twice more (a redelivery after a rebalance).
  kafka_->Produce(order::v1::kOrdersTopic, order.id(), env.SerializeAsString());
  kafka_->Produce(order::v1::kOrdersTopic, order.id(), env.SerializeAsString());
  ASSERT_TRUE(WaitForQueued("buyer@example.com", 1));
  EXPECT_EQ(SendAll(), 1);
  ASSERT_TRUE(smtp_->WaitForMessages("buyer@example.com", 1));
  // Time for any duplicate to arrive (none may).
  Publish(order::v1::kOrdersTopic, ov1::OrderPaid(), order.id());  // not fully paid: no mail
  EXPECT_EQ(SendAll(), 0);
  const auto mails = smtp_->MessagesContaining("buyer@example.com");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_THAT(mails[0], HasSubstr("Subject: Your order #10042 is on its way"));
  const std::string body = Bodies(mails[0]);
  EXPECT_THAT(body, HasSubstr("https://www.ups.com/track?tracknum=1Z999AA10123456784"));
  EXPECT_THAT(body, HasSubstr("ups"));
  EXPECT_THAT(body, HasSubstr("Hello Ann,"));
  // The name's HTML is escaped in the HTML part, never markup.
  EXPECT_THAT(body, Not(HasSubstr("<b>Lee</b>")));
  const std::vector<v1::Mail> log = Mails("buyer@example.com");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status(), v1::MAIL_STATUS_SENT);
  EXPECT_EQ(log[0].notice_type(), v1::NOTICE_TYPE_ORDER_SHIPPED);
  EXPECT_EQ(log[0].origin(), "event:" + env.event_id());
}

TEST_F(NewsletterTest, AnEditedOrderSendsOneOrderUpdatedMailUnlessSwitchedOff) {  // ORD-06
  ov1::Order order = Order("edited@example.com");
  order.mutable_totals()->mutable_total()->set_amount_minor(4250);
  auto* item = order.add_items();
  item->set_sku("MUG-1");
  item->set_name("Blue mug");
  item->set_quantity(3);
  ov1::OrderEdited e;
  *e.mutable_order() = order;
  auto* change = e.add_changes()->mutable_set_quantity();
  change->set_sku("MUG-1");
  change->set_quantity(3);
  e.mutable_amount_due()->set_amount_minor(1250);
  e.mutable_amount_due()->set_currency_code("USD");
  const common::v1::EventEnvelope env = Publish(order::v1::kOrdersTopic, e, order.id());
  kafka_->Produce(order::v1::kOrdersTopic, order.id(), env.SerializeAsString());  // redelivered
  ASSERT_TRUE(WaitForQueued("edited@example.com", 1));
  EXPECT_EQ(SendAll(), 1);
  ASSERT_TRUE(smtp_->WaitForMessages("edited@example.com", 1));
  const auto mails = smtp_->MessagesContaining("edited@example.com");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_THAT(mails[0], HasSubstr("Subject: Your order #10042 was updated"));
  const std::string body = Bodies(mails[0]);
  EXPECT_THAT(body, HasSubstr("- Blue mug: now 3"));
  EXPECT_THAT(body, HasSubstr("42.50"));
  EXPECT_THAT(body, HasSubstr("Still to pay: 12.50"));
  EXPECT_EQ(Mails("edited@example.com")[0].notice_type(), v1::NOTICE_TYPE_ORDER_UPDATED);

  // Switched off: recorded, no mail.
  v1::GetNoticeTemplateRequest get;
  get.set_type(v1::NOTICE_TYPE_ORDER_UPDATED);
  v1::UpdateNoticeTemplateRequest off;
  ASSERT_TRUE(stub_->GetNoticeTemplate(Ctx().get(), get, off.mutable_template_()).ok());
  off.mutable_template_()->set_enabled(false);
  v1::NoticeTemplate saved;
  grpc::Status s = stub_->UpdateNoticeTemplate(Ctx().get(), off, &saved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ov1::Order other = Order("quiet@example.com");
  *e.mutable_order() = other;
  Publish(order::v1::kOrdersTopic, e, other.id());
  Shipped(other);  // a later notice of the same buyer does go
  ASSERT_TRUE(WaitForQueued("quiet@example.com", 1));
  EXPECT_EQ(SendAll(), 1);
  const std::vector<v1::Mail> log = Mails("quiet@example.com");
  for (const auto& m : log) {
    if (m.status() == v1::MAIL_STATUS_SENT) {
      EXPECT_NE(m.notice_type(), v1::NOTICE_TYPE_ORDER_UPDATED);
    }
  }
}

TEST_F(NewsletterTest, SwitchedOffAndEditedNotices) {
  v1::UpdateNoticeTemplateRequest update;
  update.mutable_template_()->set_type(v1::NOTICE_TYPE_ORDER_RECEIVED);
  update.mutable_template_()->set_enabled(false);
  update.mutable_template_()->set_subject("Thanks");
  update.mutable_template_()->set_text_body("Thanks {firstname}");
  v1::NoticeTemplate saved;
  ASSERT_TRUE(stub_->UpdateNoticeTemplate(Ctx().get(), update, &saved).ok());
  EXPECT_FALSE(saved.enabled());
  EXPECT_TRUE(saved.customized());
  EXPECT_THAT(saved.allowed_tags(), ::testing::Contains("order_number"));

  update.mutable_template_()->set_type(v1::NOTICE_TYPE_ORDER_SHIPPED);
  update.mutable_template_()->set_enabled(true);
  update.mutable_template_()->set_subject("{store_name}: #{order_number} via {carrier}");
  update.mutable_template_()->set_text_body("Track: {tracking_url}");
  update.mutable_template_()->set_html_body(
      "<p>Hi {firstname}, <a href=\"{tracking_url}\">track</a></p>");
  ASSERT_TRUE(stub_->UpdateNoticeTemplate(Ctx().get(), update, &saved).ok());

  const ov1::Order order = Order("edit@example.com");
  ov1::OrderPlaced placed;
  *placed.mutable_order() = order;
  Publish(order::v1::kOrdersTopic, placed, order.id());
  Shipped(order);
  ASSERT_TRUE(WaitForQueued("edit@example.com", 1));
  EXPECT_EQ(SendAll(), 1);
  ASSERT_TRUE(smtp_->WaitForMessages("edit@example.com", 1));
  const auto mails = smtp_->MessagesContaining("edit@example.com");
  ASSERT_EQ(mails.size(), 1u);  // the switched-off order-received notice never went
  EXPECT_THAT(mails[0], HasSubstr("Subject: Sample Store: #10042 via ups"));
  EXPECT_THAT(mails[0], HasSubstr("multipart/alternative"));

  // Back to the built-in wording.
  update.set_reset(true);
  ASSERT_TRUE(stub_->UpdateNoticeTemplate(Ctx().get(), update, &saved).ok());
  EXPECT_FALSE(saved.customized());
  EXPECT_EQ(saved.subject(), "Your order #{order_number} is on its way");
}

TEST_F(NewsletterTest, UnsubscribeIsImmediateAndRepeatable) {
  const v1::Subscriber sub = CreateSubscriber("leaver@example.com");
  // A marketing mail and a transactional one wait in the queue.
  ASSERT_TRUE(
      pool_
          ->InTransaction([&](pqxx::work& tx) -> absl::Status {
            for (v1::MailKind kind : {v1::MAIL_KIND_MARKETING, v1::MAIL_KIND_TRANSACTIONAL}) {
              NewMail m;
              m.id = NewUuid();
              m.dedupe_key = absl::StrCat("test:", m.id);
              m.kind = kind;
              m.recipient = "leaver@example.com";
              m.subscriber_id = sub.id();
              m.subject = "hello";
              m.message =
                  "From: shop@shop.example\r\nTo: leaver@example.com\r\nSubject: "
                  "hello\r\n\r\nhi\r\n";
              m.now = clock_.Now();
              NewsletterStore::EnqueueMail(tx, m);
            }
            return absl::OkStatus();
          })
          .ok());
  // The link support staff send by hand is the one the mails carry.
  v1::GetUnsubscribeLinkRequest link_req;
  link_req.set_id(NewUuid());
  v1::UnsubscribeLink link;
  EXPECT_EQ(stub_->GetUnsubscribeLink(Ctx().get(), link_req, &link).error_code(),
            grpc::StatusCode::NOT_FOUND);
  link_req.set_id(sub.id());
  ASSERT_TRUE(stub_->GetUnsubscribeLink(Ctx().get(), link_req, &link).ok());
  EXPECT_EQ(link.token(), app_->UnsubscribeToken(sub.id()));
  EXPECT_TRUE(absl::EndsWith(link.url(), "/v1/newsletter/unsubscribe/" + link.token()))
      << link.url();
  v1::UnsubscribeRequest un;
  un.set_token(link.token());
  v1::UnsubscribeResponse resp;
  ASSERT_TRUE(stub_->Unsubscribe(Ctx("public").get(), un, &resp).ok());
  EXPECT_EQ(resp.email(), "leaver@example.com");
  ASSERT_TRUE(stub_->Unsubscribe(Ctx("public").get(), un, &resp).ok());  // again: no change
  EXPECT_EQ(SendAll(), 1);  // only the transactional mail
  ASSERT_TRUE(smtp_->WaitForMessages("leaver@example.com", 1));
  std::map<v1::MailKind, v1::MailStatus> status;
  for (const v1::Mail& m : Mails("leaver@example.com")) status[m.kind()] = m.status();
  EXPECT_EQ(status[v1::MAIL_KIND_MARKETING], v1::MAIL_STATUS_SUPPRESSED);
  EXPECT_EQ(status[v1::MAIL_KIND_TRANSACTIONAL], v1::MAIL_STATUS_SENT);

  v1::GetSubscriberRequest get;
  get.set_id(sub.id());
  v1::Subscriber now;
  ASSERT_TRUE(stub_->GetSubscriber(Ctx().get(), get, &now).ok());
  EXPECT_EQ(now.status(), v1::SUBSCRIBER_STATUS_UNSUBSCRIBED);
  EXPECT_EQ(now.unsubscribe_reason(), "link");
  EXPECT_EQ(Count("SELECT count(*) FROM suppressions WHERE reason = 4"), 1);
  // Exactly one Unsubscribed event, whatever the repeats.
  EXPECT_TRUE(testing::WaitFor([&] { return Events("store.newsletter.v1.Unsubscribed") == 1; }));
  EXPECT_EQ(Events("store.newsletter.v1.Unsubscribed"), 1);

  // Staff cannot put the address back; the owner can sign up again.
  v1::CreateSubscriberRequest again;
  again.set_email("leaver@example.com");
  again.set_source("import");
  v1::Subscriber out;
  EXPECT_EQ(stub_->CreateSubscriber(Ctx().get(), again, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::SubscribeResponse sub_resp;
  ASSERT_TRUE(Subscribe("leaver@example.com", "Lee", &sub_resp).ok());
  EXPECT_EQ(sub_resp.status(), v1::SUBSCRIBER_STATUS_PENDING);
}

TEST_F(NewsletterTest, SuppressionListBlocksWhatItMust) {
  v1::AddSuppressionRequest add;
  add.set_email("blocked@example.com");
  add.set_reason(v1::SUPPRESSION_REASON_MANUAL);
  add.set_detail("asked by phone");
  v1::Suppression entry;
  ASSERT_TRUE(stub_->AddSuppression(Ctx().get(), add, &entry).ok());
  EXPECT_EQ(entry.email_sha256(), auth::Sha256Hex("blocked@example.com"));
  // Transactional mail to a suppressed address is logged, never sent.
  Shipped(Order("blocked@example.com"));
  ASSERT_TRUE(WaitForQueued("blocked@example.com", 1));
  EXPECT_EQ(Mails("blocked@example.com")[0].status(), v1::MAIL_STATUS_SUPPRESSED);
  // A sign-up of a suppressed address sends nothing (and does not say why).
  v1::SubscribeResponse resp;
  ASSERT_TRUE(Subscribe("blocked@example.com", "B", &resp).ok());
  EXPECT_EQ(resp.status(), v1::SUBSCRIBER_STATUS_PENDING);
  EXPECT_EQ(SendAll(), 0);
  EXPECT_TRUE(smtp_->MessagesContaining("blocked@example.com").empty());

  v1::ListSuppressionsRequest list;
  list.set_text("BLOCKED");
  v1::ListSuppressionsResponse listed;
  ASSERT_TRUE(stub_->ListSuppressions(Ctx().get(), list, &listed).ok());
  ASSERT_EQ(listed.suppressions_size(), 1);
  EXPECT_EQ(listed.suppressions(0).detail(), "asked by phone");
  v1::RemoveSuppressionRequest remove;
  remove.set_email("blocked@example.com");
  v1::RemoveSuppressionResponse removed;
  ASSERT_TRUE(stub_->RemoveSuppression(Ctx().get(), remove, &removed).ok());
  EXPECT_EQ(removed.removed(), 1);
  Shipped(Order("blocked@example.com"));
  ASSERT_TRUE(WaitForQueued("blocked@example.com", 2));
  EXPECT_EQ(SendAll(), 1);
}

// NEW-07: the abandoned-cart reminder, from the order service's
// CartAbandoned: once per cart, with the recovery link, only when the event
// asks for it, to the audience of the settings, never to a suppressed
// address.
TEST_F(NewsletterTest, AbandonedCartReminderOncePerCartToItsAudience) {
  auto abandoned = [&](const std::string& email, bool remind, ov1::ReminderAudience audience,
                       const std::string& cart_id = NewUuid()) {
    ov1::CartAbandoned e;
    ov1::Cart* cart = e.mutable_cart();
    cart->set_id(cart_id);
    cart->set_email(email);
    auto* line = cart->add_lines();
    line->set_name("Blue mug");
    line->set_quantity(2);
    line->mutable_total()->set_amount_minor(2500);
    line->mutable_total()->set_currency_code("USD");
    cart->mutable_totals()->mutable_total()->set_amount_minor(3000);
    cart->mutable_totals()->mutable_total()->set_currency_code("USD");
    e.set_send_reminder(remind);
    e.set_audience(audience);
    e.set_recovery_url("https://shop.example.com/cart/recover?token=abc.def");
    Publish(order::v1::kCartsTopic, e, cart_id);
    return cart_id;
  };
  const std::string cart = abandoned("cart@example.com", true,
                                     ov1::REMINDER_AUDIENCE_EVERYONE_WITH_EMAIL);
  // Redelivered under another event id: still one mail for the cart.
  abandoned("cart@example.com", true, ov1::REMINDER_AUDIENCE_EVERYONE_WITH_EMAIL, cart);
  abandoned("skipped@example.com", false, ov1::REMINDER_AUDIENCE_EVERYONE_WITH_EMAIL);
  abandoned("stranger@example.com", true, ov1::REMINDER_AUDIENCE_MARKETING_CONSENT);
  CreateSubscriber("fan@example.com");
  abandoned("fan@example.com", true, ov1::REMINDER_AUDIENCE_MARKETING_CONSENT);
  auto reminders = [&](const std::string& email) {
    int n = 0;
    for (const v1::Mail& m : Mails(email)) n += m.notice_type() == v1::NOTICE_TYPE_ABANDONED_CART;
    return n;
  };
  ASSERT_TRUE(testing::WaitFor([&] { return reminders("fan@example.com") == 1; }));
  ASSERT_TRUE(WaitForQueued("cart@example.com", 1));
  EXPECT_GE(SendAll(), 2);
  ASSERT_TRUE(smtp_->WaitForMessages("cart@example.com", 1));
  const auto mails = smtp_->MessagesContaining("cart@example.com");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_THAT(mails[0], HasSubstr("Subject: You left something in your cart"));
  const std::string body = Bodies(mails[0]);
  EXPECT_THAT(body, HasSubstr("https://shop.example.com/cart/recover?token=abc.def"));
  EXPECT_THAT(body, HasSubstr("2 x Blue mug"));
  EXPECT_EQ(reminders("cart@example.com"), 1);
  ASSERT_TRUE(smtp_->WaitForMessages("fan@example.com", 1));
  EXPECT_TRUE(Mails("skipped@example.com").empty());
  EXPECT_TRUE(Mails("stranger@example.com").empty());
}

TEST_F(NewsletterTest, SmtpRefusalsAreBouncesAndOutagesAreRetried) {
  // 550 from the server: a hard bounce suppresses at once.
  const v1::Subscriber hard = CreateSubscriber("bounce-hard@example.com");
  Shipped(Order("bounce-hard@example.com"));
  ASSERT_TRUE(WaitForQueued("bounce-hard@example.com", 1));
  EXPECT_EQ(SendAll(), 1);
  auto log = Mails("bounce-hard@example.com");
  EXPECT_EQ(log[0].status(), v1::MAIL_STATUS_FAILED);
  EXPECT_THAT(log[0].last_error(), HasSubstr("550"));
  EXPECT_EQ(Count("SELECT count(*) FROM suppressions WHERE reason = 1"), 1);
  v1::GetSubscriberRequest get;
  get.set_id(hard.id());
  v1::Subscriber now;
  ASSERT_TRUE(stub_->GetSubscriber(Ctx().get(), get, &now).ok());
  EXPECT_EQ(now.status(), v1::SUBSCRIBER_STATUS_BOUNCED);

  // 452: retried with backoff; the 7th soft bounce in a row suppresses.
  Shipped(Order("bounce-soft@example.com"));
  ASSERT_TRUE(WaitForQueued("bounce-soft@example.com", 1));
  for (int attempt = 1; attempt <= 7; ++attempt) {
    EXPECT_EQ(SendAll(), 1) << attempt;
    EXPECT_EQ(SendAll(), 0) << "not due again before its backoff";
    clock_.Advance(absl::Hours(1));
  }
  log = Mails("bounce-soft@example.com");
  EXPECT_EQ(log[0].status(), v1::MAIL_STATUS_FAILED);
  EXPECT_EQ(log[0].attempts(), 7);
  EXPECT_EQ(Count("SELECT count(*) FROM suppressions WHERE reason = 2"), 1);

  // The server is down: the mail waits and goes once it is back.
  smtp_->Stop();
  Shipped(Order("patient@example.com"));
  ASSERT_TRUE(WaitForQueued("patient@example.com", 1));
  EXPECT_EQ(SendAll(), 1);
  log = Mails("patient@example.com");
  EXPECT_EQ(log[0].status(), v1::MAIL_STATUS_QUEUED);
  EXPECT_EQ(log[0].attempts(), 1);
  EXPECT_FALSE(log[0].last_error().empty());
  ASSERT_TRUE(smtp_->Restart().ok());
  EXPECT_EQ(SendAll(), 0);  // backoff: 30 s
  clock_.Advance(absl::Seconds(31));
  EXPECT_EQ(SendAll(), 1);
  ASSERT_TRUE(smtp_->WaitForMessages("patient@example.com", 1));
  EXPECT_EQ(Mails("patient@example.com")[0].status(), v1::MAIL_STATUS_SENT);

  // EmailBounced events: the hard bounce and the seven soft ones.
  EXPECT_TRUE(testing::WaitFor([&] { return Events("store.newsletter.v1.EmailBounced") == 8; }));
}

// Bounces and complaints reported by the mail provider (RecordBounce), and
// the notice templates as the admin panel lists them.
TEST_F(NewsletterTest, ReportedBouncesAndComplaintsAndTheNoticeList) {
  const v1::Subscriber soft = CreateSubscriber("flaky@example.com");
  v1::RecordBounceRequest bounce;
  bounce.set_email("Flaky@Example.com");
  bounce.set_kind(v1::BOUNCE_KIND_SOFT);
  bounce.set_detail("452 mailbox full");
  v1::RecordBounceResponse r;
  for (int i = 1; i <= 6; ++i) {
    ASSERT_TRUE(stub_->RecordBounce(Ctx("staff:ops").get(), bounce, &r).ok());
    EXPECT_EQ(r.soft_bounces(), i);
    EXPECT_FALSE(r.suppressed());
  }
  ASSERT_TRUE(stub_->RecordBounce(Ctx("staff:ops").get(), bounce, &r).ok());
  EXPECT_TRUE(r.suppressed());  // the 7th in a row
  v1::GetSubscriberRequest get;
  get.set_id(soft.id());
  v1::Subscriber now;
  ASSERT_TRUE(stub_->GetSubscriber(Ctx().get(), get, &now).ok());
  EXPECT_EQ(now.status(), v1::SUBSCRIBER_STATUS_BOUNCED);

  const v1::Subscriber angry = CreateSubscriber("angry@example.com");
  bounce.set_email("angry@example.com");
  bounce.set_kind(v1::BOUNCE_KIND_COMPLAINT);
  ASSERT_TRUE(stub_->RecordBounce(Ctx("staff:ops").get(), bounce, &r).ok());
  EXPECT_TRUE(r.suppressed());
  get.set_id(angry.id());
  ASSERT_TRUE(stub_->GetSubscriber(Ctx().get(), get, &now).ok());
  EXPECT_EQ(now.status(), v1::SUBSCRIBER_STATUS_COMPLAINED);
  // A complaint blocks transactional mail too.
  Shipped(Order("angry@example.com"));
  ASSERT_TRUE(WaitForQueued("angry@example.com", 1));
  EXPECT_EQ(Mails("angry@example.com")[0].status(), v1::MAIL_STATUS_SUPPRESSED);
  bounce.set_kind(v1::BOUNCE_KIND_UNSPECIFIED);
  EXPECT_EQ(
      GetErrorInfo(grpcx::FromGrpcStatus(stub_->RecordBounce(Ctx("staff:ops").get(), bounce, &r)))
          ->field(),
      "kind");
  EXPECT_TRUE(testing::WaitFor([&] { return Events("store.newsletter.v1.EmailBounced") == 8; }));

  v1::ListNoticeTemplatesResponse notices;
  ASSERT_TRUE(
      stub_->ListNoticeTemplates(Ctx().get(), v1::ListNoticeTemplatesRequest(), &notices).ok());
  EXPECT_EQ(notices.templates_size(), 13);
  for (const auto& t : notices.templates()) {
    EXPECT_TRUE(t.enabled());
    EXPECT_FALSE(t.customized());
    EXPECT_FALSE(t.allowed_tags().empty());
  }
  v1::GetNoticeTemplateRequest one;
  one.set_type(v1::NOTICE_TYPE_ORDER_SHIPPED);
  v1::NoticeTemplate shipped;
  ASSERT_TRUE(stub_->GetNoticeTemplate(Ctx().get(), one, &shipped).ok());
  EXPECT_THAT(shipped.allowed_tags(), ::testing::Contains("tracking_url"));
  one.set_type(v1::NOTICE_TYPE_UNSPECIFIED);
  EXPECT_EQ(stub_->GetNoticeTemplate(Ctx().get(), one, &shipped).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(NewsletterTest, AMailInterruptedMidSendIsNeverSentAgain) {
  Shipped(Order("once@example.com"));
  ASSERT_TRUE(WaitForQueued("once@example.com", 1));
  // A sender claims it and dies before the SMTP server has answered.
  ASSERT_TRUE(pool_
                  ->InTransaction([&](pqxx::work& tx) -> absl::Status {
                    EXPECT_EQ(NewsletterStore::ClaimDue(tx, clock_.Now(), 10).size(), 1u);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(SendAll(), 0);
  ASSERT_TRUE(sender_->InterruptStale().ok());
  EXPECT_EQ(Mails("once@example.com")[0].status(), v1::MAIL_STATUS_SENDING);  // lease not over
  clock_.Advance(absl::Minutes(6));
  EXPECT_EQ(*sender_->InterruptStale(), 1);
  EXPECT_EQ(Mails("once@example.com")[0].status(), v1::MAIL_STATUS_INTERRUPTED);
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(SendAll(), 0);
  EXPECT_TRUE(smtp_->MessagesContaining("once@example.com").empty());
}

TEST_F(NewsletterTest, CustomerEventsSendAccountMailsAndFollowConsent) {
  cv1::EmailVerificationRequested verify;
  verify.set_customer_id(NewUuid());
  verify.set_email("new@example.com");
  verify.set_name("Nia Okafor");
  verify.set_token("tok_ABCdef-123_xyz");
  *verify.mutable_expire_time() = pg::ToTimestamp(clock_.Now() + absl::Hours(48));
  Publish(customer::v1::kCustomersTopic, verify, verify.customer_id());
  ASSERT_TRUE(WaitForQueued("new@example.com", 1));
  EXPECT_EQ(SendAll(), 1);
  ASSERT_TRUE(smtp_->WaitForMessages("new@example.com", 1));
  EXPECT_THAT(Bodies(smtp_->MessagesContaining("new@example.com")[0]),
              HasSubstr("https://shop.example/account/verify-email?token=tok_ABCdef-123_xyz"));

  // Consent given in the customer service (confirmed): subscribed here.
  cv1::ConsentChanged consent;
  consent.set_customer_id(verify.customer_id());
  consent.set_email("new@example.com");
  consent.mutable_record()->set_channel(cv1::CONSENT_CHANNEL_EMAIL);
  consent.mutable_record()->set_granted(true);
  consent.mutable_record()->set_level(cv1::CONSENT_LEVEL_CONFIRMED_OPT_IN);
  consent.mutable_record()->set_source("account");
  consent.mutable_record()->set_actor("customer:" + verify.customer_id());
  Publish(customer::v1::kCustomersTopic, consent, verify.customer_id());
  v1::ListSubscribersRequest list;
  list.add_statuses(v1::SUBSCRIBER_STATUS_SUBSCRIBED);
  v1::ListSubscribersResponse listed;
  ASSERT_TRUE(testing::WaitFor([&] {
    return stub_->ListSubscribers(Ctx().get(), list, &listed).ok() &&
           listed.subscribers_size() == 1;
  }));
  EXPECT_EQ(listed.subscribers(0).customer_id(), verify.customer_id());
  // Our own change echoed back by the customer service is ignored.
  consent.mutable_record()->set_granted(false);
  consent.mutable_record()->set_actor(kSource);
  Publish(customer::v1::kCustomersTopic, consent, verify.customer_id());
  // A withdrawal from the customer's account unsubscribes.
  consent.mutable_record()->set_actor("customer:" + verify.customer_id());
  consent.mutable_record()->set_source("account-withdrawn");
  Publish(customer::v1::kCustomersTopic, consent, verify.customer_id());
  list.clear_statuses();
  list.add_statuses(v1::SUBSCRIBER_STATUS_UNSUBSCRIBED);
  ASSERT_TRUE(testing::WaitFor([&] {
    return stub_->ListSubscribers(Ctx().get(), list, &listed).ok() &&
           listed.subscribers_size() == 1;
  }));
  EXPECT_EQ(Count("SELECT count(*) FROM consent_records WHERE action = 'unsubscribed'"), 1);

  // A ticked box (single opt-in) gets the confirmation mail first.
  consent.set_email("box@example.com");
  consent.set_customer_id(NewUuid());
  consent.mutable_record()->set_granted(true);
  consent.mutable_record()->set_level(cv1::CONSENT_LEVEL_SINGLE_OPT_IN);
  Publish(customer::v1::kCustomersTopic, consent, consent.customer_id());
  ASSERT_TRUE(WaitForQueued("box@example.com", 1));
  EXPECT_EQ(Mails("box@example.com")[0].notice_type(), v1::NOTICE_TYPE_SUBSCRIPTION_CONFIRMATION);
}

// CUS-13: the customer service's export gets everything held about the
// person: subscriber, consent history, suppression entries, mails.
TEST_F(NewsletterTest, ExportGathersWhatIsHeldAboutAnAddress) {
  v1::SubscribeResponse resp;
  ASSERT_TRUE(Subscribe("Export@Example.com", "Eva", &resp).ok());
  EXPECT_EQ(SendAll(), 1);
  v1::AddSuppressionRequest add;
  add.set_email("export@example.com");
  add.set_detail("asked by phone");
  v1::Suppression entry;
  ASSERT_TRUE(stub_->AddSuppression(Ctx().get(), add, &entry).ok());
  CreateSubscriber("someone-else@example.com");

  v1::ExportSubscriberDataRequest req;
  req.set_email("export@example.com");
  v1::SubscriberData data;
  ASSERT_TRUE(stub_->ExportSubscriberData(Ctx("staff:privacy").get(), req, &data).ok());
  ASSERT_EQ(data.subscribers_size(), 1);
  EXPECT_EQ(data.subscribers(0).email(), "export@example.com");
  ASSERT_GE(data.consent_records_size(), 2);  // requested, then left (suppressed)
  EXPECT_EQ(data.consent_records(0).action(), "requested");
  EXPECT_EQ(data.consent_records(0).ip(), "203.0.113.7");
  // The manual entry, and the unsubscribe it caused for the subscriber.
  std::set<std::pair<int, std::string>> entries;
  for (const auto& e : data.suppressions()) entries.insert({e.reason(), e.detail()});
  EXPECT_EQ(entries, (std::set<std::pair<int, std::string>>{
                         {v1::SUPPRESSION_REASON_MANUAL, "asked by phone"},
                         {v1::SUPPRESSION_REASON_UNSUBSCRIBE, "suppressed"}}));
  ASSERT_EQ(data.mails_size(), 1);
  EXPECT_EQ(data.mails(0).notice_type(), v1::NOTICE_TYPE_SUBSCRIPTION_CONFIRMATION);
  // Nothing about anyone else; the call needs an address or a customer id.
  for (const auto& m : data.mails()) EXPECT_EQ(m.recipient(), "export@example.com");
  req.clear_email();
  EXPECT_EQ(stub_->ExportSubscriberData(Ctx().get(), req, &data).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  auto customer = Ctx("customer:x");
  customer->AddMetadata("x-customer-id", NewUuid());
  req.set_email("export@example.com");
  EXPECT_EQ(stub_->ExportSubscriberData(customer.get(), req, &data).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(NewsletterTest, ErasureLeavesOnlyTheAddressHash) {
  const v1::Subscriber sub = CreateSubscriber("gone@example.com");
  Shipped(Order("gone@example.com"));
  ASSERT_TRUE(WaitForQueued("gone@example.com", 1));
  EXPECT_EQ(SendAll(), 1);
  cv1::CustomerErased erased;
  erased.set_customer_id(NewUuid());
  erased.set_erasure_id(NewUuid());
  erased.set_email_sha256(auth::Sha256Hex("gone@example.com"));
  Publish(customer::v1::kCustomersTopic, erased, erased.customer_id());
  auto steps = kafka_->ReadTopic(customer::v1::kErasuresTopic, 1, absl::Seconds(15));
  ASSERT_EQ(steps.size(), 1u);
  common::v1::EventEnvelope env;
  ASSERT_TRUE(env.ParseFromString(steps[0].value));
  cv1::ErasureStepCompleted step;
  ASSERT_TRUE(events::UnpackPayload(env, &step).ok());
  EXPECT_EQ(step.step().service(), "newsletter-service");
  EXPECT_EQ(step.step().records(), 2);  // the subscriber and the mail

  // No table holds the address any more; it stays suppressed by hash.
  pqxx::connection c(db_->url());
  pqxx::work tx(c);
  for (const char* table :
       {"subscribers", "consent_records", "suppressions", "mails", "soft_bounce_counts"}) {
    EXPECT_EQ(tx.exec1(absl::StrCat("SELECT count(*) FROM ", table, " t WHERE t::text ILIKE",
                                    " '%gone@example.com%'"))[0]
                  .as<int64_t>(),
              0)
        << table;
  }
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"
                     " AND aggregate_id = " +
                     tx.quote(sub.id()))[0]
                .as<int64_t>(),
            0);
  tx.commit();
  // A later notice to the address leaves no trace, not even in the log.
  const ov1::Order late = Order("gone@example.com");
  Shipped(late);
  ov1::Order marker = Order("after@example.com");
  marker.set_id(late.id());  // same key, same partition: applied after
  Shipped(marker);
  ASSERT_TRUE(WaitForQueued("after@example.com", 1));
  EXPECT_TRUE(Mails("gone@example.com").empty());
  EXPECT_EQ(SendAll(), 1);
}

TEST_F(NewsletterTest, ListsFilterAndPage) {
  for (int i = 0; i < 7; ++i) {
    CreateSubscriber(absl::StrCat("page", i, "@example.com"));
    clock_.Advance(absl::Seconds(1));
  }
  ASSERT_TRUE(Subscribe("pending@example.com").ok());
  v1::ListSubscribersRequest req;
  req.set_page_size(3);
  req.add_statuses(v1::SUBSCRIBER_STATUS_SUBSCRIBED);
  std::set<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    v1::ListSubscribersResponse resp;
    ASSERT_TRUE(stub_->ListSubscribers(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.total_size(), 7);
    for (const auto& s : resp.subscribers()) EXPECT_TRUE(seen.insert(s.email()).second);
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(*seen.begin(), "page0@example.com");
  // A token is bound to its filter.
  req.clear_statuses();
  v1::ListSubscribersResponse resp;
  EXPECT_EQ(stub_->ListSubscribers(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // SQL metacharacters in the text filter are just text.
  v1::ListSubscribersRequest text;
  text.set_text("%' OR 1=1 --");
  ASSERT_TRUE(stub_->ListSubscribers(Ctx().get(), text, &resp).ok());
  EXPECT_EQ(resp.subscribers_size(), 0);
  text.set_text("PAGE3");
  ASSERT_TRUE(stub_->ListSubscribers(Ctx().get(), text, &resp).ok());
  ASSERT_EQ(resp.subscribers_size(), 1);
  // Customers have no business with the subscriber list.
  auto ctx = Ctx("customer:x");
  ctx->AddMetadata("x-customer-id", NewUuid());
  EXPECT_EQ(stub_->ListSubscribers(ctx.get(), text, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// The List-Unsubscribe URL of a raw message ("" when it has none).
std::string ListUnsubscribeUrl(const std::string& raw) {
  const size_t at = raw.find("List-Unsubscribe: <");
  if (at == std::string::npos) return "";
  const size_t start = at + 19;
  return raw.substr(start, raw.find('>', start) - start);
}

TEST_F(NewsletterTest, CampaignReachesEverySubscribedUnsuppressedAddressOnce) {
  for (const char* e : {"c1@example.com", "c2@example.com", "c3@example.com", "c4@example.com"}) {
    CreateSubscriber(e);
  }
  ASSERT_TRUE(Subscribe("pending@example.com").ok());  // not confirmed: nothing
  const v1::Subscriber left = CreateSubscriber("left@example.com");
  v1::UnsubscribeSubscriberRequest un;
  un.set_id(left.id());
  v1::Subscriber out;
  ASSERT_TRUE(stub_->UnsubscribeSubscriber(Ctx().get(), un, &out).ok());
  // Subscribed, but on the list (a bounce recorded straight in the table).
  CreateSubscriber("listed@example.com");
  pqxx::connection conn(db_->url());
  {
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO suppressions (email_sha256, reason, email, create_time)"
        " VALUES ($1, 1, 'listed@example.com', now())",
        auth::Sha256Hex("listed@example.com"));
    tx.commit();
  }
  EXPECT_EQ(SendAll(), 1);  // the pending address's confirmation mail

  v1::Campaign c = NewCampaign();
  EXPECT_EQ(c.status(), v1::CAMPAIGN_STATUS_DRAFT);
  // A test send goes to the given addresses only, marked [TEST].
  v1::SendTestCampaignRequest test;
  test.set_id(c.id());
  test.add_emails("boss@example.com");
  v1::SendTestCampaignResponse tested;
  ASSERT_TRUE(stub_->SendTestCampaign(Ctx().get(), test, &tested).ok());
  EXPECT_EQ(tested.queued(), 1);
  EXPECT_EQ(SendAll(), 1);
  ASSERT_TRUE(smtp_->WaitForMessages("boss@example.com", 1));
  EXPECT_THAT(smtp_->MessagesContaining("boss@example.com")[0],
              HasSubstr("Subject: [TEST] Winter sale for there"));

  v1::SendCampaignRequest send;
  send.set_id(c.id());
  ASSERT_TRUE(stub_->SendCampaign(Ctx().get(), send, &c).ok());
  EXPECT_EQ(c.status(), v1::CAMPAIGN_STATUS_SENDING);
  EXPECT_EQ(DispatchAll(), 4);
  EXPECT_EQ(DispatchAll(), 0);  // nothing twice
  c = GetCampaign(c.id());
  EXPECT_EQ(c.status(), v1::CAMPAIGN_STATUS_SENT);
  EXPECT_EQ(c.stats().recipients(), 4);
  // Sent or not, a campaign cannot be changed, sent again or cancelled.
  EXPECT_EQ(stub_->SendCampaign(Ctx().get(), send, &c).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  EXPECT_EQ(SendAll(), 4);
  for (const char* e : {"c1@example.com", "c2@example.com", "c3@example.com", "c4@example.com"}) {
    ASSERT_TRUE(smtp_->WaitForMessages(e, 1)) << e;
  }
  for (const char* e : {"pending@example.com", "left@example.com", "listed@example.com"}) {
    for (const std::string& m : smtp_->MessagesContaining(e)) {
      EXPECT_THAT(m, Not(HasSubstr("Winter sale"))) << e;
    }
  }
  const std::string mail = smtp_->MessagesContaining("c1@example.com")[0];
  EXPECT_THAT(mail, HasSubstr("Subject: Winter sale for Sam"));
  EXPECT_THAT(mail, HasSubstr("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
  const std::string url = ListUnsubscribeUrl(mail);
  ASSERT_TRUE(absl::StartsWith(url, "https://api.shop.example/v1/newsletter/unsubscribe/")) << url;
  EXPECT_THAT(Bodies(mail), HasSubstr("https://shop.example/newsletter/unsubscribe?token="));

  // The header's one-click link unsubscribes and counts for the campaign.
  v1::UnsubscribeRequest one_click;
  one_click.set_token(url.substr(url.rfind('/') + 1));
  v1::UnsubscribeResponse gone;
  ASSERT_TRUE(stub_->Unsubscribe(Ctx("public").get(), one_click, &gone).ok());
  EXPECT_EQ(gone.email(), "c1@example.com");
  c = GetCampaign(c.id());
  EXPECT_EQ(c.stats().sent(), 4);
  EXPECT_EQ(c.stats().unsubscribes(), 1);

  // NEW-06: c2 opens the mail twice and clicks the link once.
  const std::string html = Bodies(smtp_->MessagesContaining("c2@example.com")[0]);
  const std::string open_token = TokenAfter(html, "https://api.shop.example/v1/newsletter/t/o/");
  const std::string click_token = TokenAfter(html, "https://api.shop.example/v1/newsletter/t/c/");
  ASSERT_FALSE(open_token.empty()) << html;
  ASSERT_FALSE(click_token.empty()) << html;
  EXPECT_THAT(html,
              HasSubstr("https://shop.example/newsletter/unsubscribe?token="));  // not tracked
  for (int i = 0; i < 2; ++i) {
    v1::TrackOpenRequest open;
    open.set_token(open_token);
    auto ctx = Ctx("public");
    auto reader = stub_->TrackOpen(ctx.get(), open);
    v1::TrackingPixel pixel;
    ASSERT_TRUE(reader->Read(&pixel));
    EXPECT_EQ(pixel.data().substr(0, 6), "GIF89a");
    ASSERT_TRUE(reader->Finish().ok());
  }
  v1::TrackClickRequest click;
  click.set_token(click_token);
  v1::TrackClickResponse target;
  ASSERT_TRUE(stub_->TrackClick(Ctx("public").get(), click, &target).ok());
  EXPECT_EQ(target.url(), "https://shop.example/winter?x=1&y=2");
  // A changed token reaches nothing (no open redirect).
  std::string forged = click_token;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  click.set_token(forged);
  EXPECT_EQ(
      GetErrorInfo(grpcx::FromGrpcStatus(stub_->TrackClick(Ctx("public").get(), click, &target)))
          ->reason(),
      "BAD_TOKEN");
  // c2 orders within the window: a conversion for the campaign, once.
  ov1::Order order = Order("c2@example.com");
  ov1::OrderPlaced placed;
  *placed.mutable_order() = order;
  const common::v1::EventEnvelope placed_env = Publish(order::v1::kOrdersTopic, placed, order.id());
  kafka_->Produce(order::v1::kOrdersTopic, order.id(),
                  placed_env.SerializeAsString());  // redelivered
  ov1::Order stranger = Order("stranger@example.com");
  *placed.mutable_order() = stranger;
  Publish(order::v1::kOrdersTopic, placed, stranger.id());
  ASSERT_TRUE(WaitForQueued("stranger@example.com", 1));
  ASSERT_TRUE(WaitForQueued("c2@example.com", 2));  // campaign mail + order received
  c = GetCampaign(c.id());
  EXPECT_EQ(c.stats().opens(), 2);
  EXPECT_EQ(c.stats().unique_opens(), 1);
  EXPECT_EQ(c.stats().clicks(), 1);
  EXPECT_EQ(c.stats().unique_clicks(), 1);
  EXPECT_EQ(c.stats().conversions(), 1);
  EXPECT_EQ(c.stats().conversion_revenue().amount_minor(), 2999);
  EXPECT_TRUE(testing::WaitFor([&] {
    int n = 0;
    for (const auto& r : kafka_->ReadTopic(newsletter::v1::kCampaignsTopic, 0, absl::Seconds(2))) {
      n += r.headers.count("type") && r.headers.at("type") == "store.newsletter.v1.CampaignSent";
    }
    return n == 1;
  }));

  // REP-05: the job publishes the figures for the reporting service, and
  // again only when they changed.
  auto stats_updates = [&] {
    std::vector<newsletter::v1::CampaignStatsUpdated> out;
    for (const auto& env : OutboxEvents("store.newsletter.v1.CampaignStatsUpdated")) {
      newsletter::v1::CampaignStatsUpdated e;
      EXPECT_TRUE(events::UnpackPayload(env, &e).ok());
      out.push_back(e);
    }
    return out;
  };
  ASSERT_TRUE(RunPeriodic("campaign-stats").ok());
  std::vector<newsletter::v1::CampaignStatsUpdated> updates = stats_updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].campaign().id(), c.id());
  EXPECT_EQ(updates[0].campaign().stats().sent(), 4);
  EXPECT_EQ(updates[0].campaign().stats().unique_opens(), 1);
  EXPECT_EQ(updates[0].campaign().stats().conversions(), 1);
  EXPECT_EQ(updates[0].campaign().stats().conversion_revenue().amount_minor(), 2999);
  EXPECT_TRUE(updates[0].campaign().html_body().empty());  // figures, not the mail
  ASSERT_TRUE(RunPeriodic("campaign-stats").ok());
  EXPECT_EQ(stats_updates().size(), 1u);
  v1::TrackClickRequest again;
  again.set_token(click_token);
  ASSERT_TRUE(stub_->TrackClick(Ctx("public").get(), again, &target).ok());
  ASSERT_TRUE(RunPeriodic("campaign-stats").ok());
  updates = stats_updates();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].campaign().stats().clicks(), 2);
}

// A campaign queues its whole audience at once; an order's notice queued
// after it is still claimed first, so shoppers do not wait for the campaign.
TEST_F(NewsletterTest, TransactionalMailsGoBeforeAQueuedCampaign) {
  for (int i = 0; i < 25; ++i) CreateSubscriber(absl::StrCat("fan", i, "@example.com"));
  v1::Campaign c = NewCampaign();
  v1::SendCampaignRequest send;
  send.set_id(c.id());
  ASSERT_TRUE(stub_->SendCampaign(Ctx().get(), send, &c).ok());
  EXPECT_EQ(DispatchAll(), 25);
  clock_.Advance(absl::Minutes(1));  // the notice is the newest mail in the queue
  Shipped(Order("buyer@example.com"));
  ASSERT_TRUE(WaitForQueued("buyer@example.com", 1));

  auto claim = [&](int limit) {
    std::vector<std::string> out;
    absl::Status rolled_back = pool_->InTransaction([&](pqxx::work& tx) -> absl::Status {
      for (const ClaimedMail& m : NewsletterStore::ClaimDue(tx, clock_.Now(), limit)) {
        out.push_back(m.recipient);
      }
      return absl::CancelledError("rolled back: nothing stays claimed");
    });
    EXPECT_TRUE(absl::IsCancelled(rolled_back)) << rolled_back;
    return out;
  };
  EXPECT_THAT(claim(1), ::testing::ElementsAre("buyer@example.com"));
  const std::vector<std::string> three = claim(3);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0], "buyer@example.com");
  EXPECT_THAT(three[1], HasSubstr("@example.com"));
  EXPECT_NE(three[1], "buyer@example.com");
  // The campaign's mails are claimed oldest first after it, and all go.
  EXPECT_EQ(claim(100).size(), 26u);
  EXPECT_EQ(SendAll(), 26);
  EXPECT_EQ(Count("SELECT count(*) FROM mails WHERE status = 3"), 26);
}

TEST_F(NewsletterTest, SegmentCampaignGoesToConsentedMembersOnly) {
  CreateSubscriber("a@example.com");
  CreateSubscriber("b@example.com");
  CreateSubscriber("d@example.com");
  CreateSubscriber("outside@example.com");  // subscribed, not in the segment
  const v1::Subscriber c = CreateSubscriber("c@example.com");
  v1::UnsubscribeSubscriberRequest un;
  un.set_id(c.id());
  v1::Subscriber out;
  ASSERT_TRUE(stub_->UnsubscribeSubscriber(Ctx().get(), un, &out).ok());
  const std::string segment = NewUuid();
  segment_pages_[segment] = {{"a@example.com", "b@example.com", "customer-only@example.com"},
                             {"c@example.com", "d@example.com"}};
  v1::Campaign campaign = NewCampaign(segment);
  // An unknown segment is refused when sending.
  v1::Campaign unknown = NewCampaign(NewUuid());
  v1::SendCampaignRequest send;
  send.set_id(unknown.id());
  grpc::Status s = stub_->SendCampaign(Ctx().get(), send, &unknown);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(GetErrorInfo(grpcx::FromGrpcStatus(s))->field(), "segment_id");

  send.set_id(campaign.id());
  ASSERT_TRUE(stub_->SendCampaign(Ctx().get(), send, &campaign).ok());
  EXPECT_EQ(DispatchAll(), 3);
  std::set<std::string> recipients;
  pqxx::connection conn(db_->url());
  pqxx::work tx(conn);
  for (const auto& r :
       tx.exec_params("SELECT recipient FROM mails WHERE campaign_id = $1::uuid", campaign.id())) {
    recipients.insert(r[0].as<std::string>());
  }
  EXPECT_EQ(recipients, (std::set<std::string>{"a@example.com", "b@example.com", "d@example.com"}));
  EXPECT_EQ(GetCampaign(campaign.id()).status(), v1::CAMPAIGN_STATUS_SENT);
}

TEST_F(NewsletterTest, RestartsMidCampaignSendNobodyTwiceAndUnsubscribesWin) {
  for (int i = 0; i < 9; ++i) CreateSubscriber(absl::StrCat("r", i, "@example.com"));
  v1::Campaign c = NewCampaign();
  v1::SendCampaignRequest send;
  send.set_id(c.id());
  ASSERT_TRUE(stub_->SendCampaign(Ctx().get(), send, &c).ok());
  // One batch (2 recipients) queued, then the process "dies"; a new one
  // carries on from the stored cursor.
  ASSERT_TRUE(pool_
                  ->InTransaction([&](pqxx::work& tx) -> absl::Status {
                    auto row = CampaignStore::NextSending(tx);
                    EXPECT_TRUE(row.has_value());
                    const QueuedBatch b =
                        CampaignStore::QueueSubscribers(tx, row->campaign, "", 2, clock_.Now());
                    CampaignStore::SetProgress(tx, row->campaign.id(), b.last_id, b.queued);
                    return absl::OkStatus();
                  })
                  .ok());
  CampaignApp restarted(*pool_, clock_, *app_, Segments(), 2);
  absl::StatusOr<int64_t> queued = restarted.Dispatch(absl::Seconds(20));
  ASSERT_TRUE(queued.ok()) << queued.status();
  EXPECT_EQ(*queued, 7);
  EXPECT_EQ(GetCampaign(c.id()).stats().recipients(), 9);
  // r8 leaves while the campaign is going out.
  v1::ListSubscribersRequest find;
  find.set_text("r8@");
  v1::ListSubscribersResponse found;
  ASSERT_TRUE(stub_->ListSubscribers(Ctx().get(), find, &found).ok());
  ASSERT_EQ(found.subscribers_size(), 1);
  v1::UnsubscribeRequest un;
  un.set_token(app_->UnsubscribeToken(found.subscribers(0).id(), c.id()));
  v1::UnsubscribeResponse gone;
  ASSERT_TRUE(stub_->Unsubscribe(Ctx("public").get(), un, &gone).ok());
  // A sender claims three mails and dies before the SMTP server answered.
  ASSERT_TRUE(pool_
                  ->InTransaction([&](pqxx::work& tx) -> absl::Status {
                    EXPECT_EQ(NewsletterStore::ClaimDue(tx, clock_.Now(), 3).size(), 3u);
                    return absl::OkStatus();
                  })
                  .ok());

  EXPECT_EQ(SendAll(), 5);  // 9 - 3 in limbo - 1 unsubscribed
  clock_.Advance(absl::Minutes(6));
  EXPECT_EQ(*sender_->InterruptStale(), 3);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(SendAll(), 0);
  // Each address got at most one mail of the campaign; r8 none.
  for (int i = 0; i < 9; ++i) {
    EXPECT_LE(smtp_->MessagesContaining(absl::StrCat("r", i, "@example.com")).size(), 1u) << i;
  }
  EXPECT_TRUE(smtp_->MessagesContaining("r8@example.com").empty());
  const v1::Campaign done = GetCampaign(c.id());
  EXPECT_EQ(done.stats().sent(), 5);
  EXPECT_EQ(done.stats().failed(), 3);  // interrupted: never sent twice
  EXPECT_EQ(done.stats().suppressed(), 1);
  EXPECT_EQ(done.stats().unsubscribes(), 1);
}

TEST_F(NewsletterTest, CampaignsAreCheckedScheduledAndCancelled) {
  v1::CreateCampaignRequest bad;
  bad.mutable_campaign()->set_name("Bad");
  bad.mutable_campaign()->set_subject("Hi {frist_name}");
  bad.mutable_campaign()->set_text_body("x");
  v1::Campaign out;
  grpc::Status s = stub_->CreateCampaign(Ctx().get(), bad, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetErrorInfo(grpcx::FromGrpcStatus(s))->field(), "campaign.subject");
  EXPECT_THAT(s.error_message(), HasSubstr("{frist_name}"));
  bad.mutable_campaign()->set_subject(
      "FREE MONEY, ACT NOW!!! Limited time offer for everyone here");
  bad.mutable_campaign()->set_text_body("no link");
  ASSERT_TRUE(stub_->CreateCampaign(Ctx().get(), bad, &out).ok());
  EXPECT_GE(out.warnings_size(), 3);  // length, spam words, capitals/exclamations, no link

  CreateSubscriber("later@example.com");
  v1::Campaign c = NewCampaign();
  v1::ScheduleCampaignRequest schedule;
  schedule.set_id(c.id());
  *schedule.mutable_schedule_time() = pg::ToTimestamp(clock_.Now() - absl::Minutes(1));
  EXPECT_EQ(GetErrorInfo(grpcx::FromGrpcStatus(stub_->ScheduleCampaign(Ctx().get(), schedule, &c)))
                ->field(),
            "schedule_time");
  *schedule.mutable_schedule_time() = pg::ToTimestamp(clock_.Now() + absl::Hours(2));
  ASSERT_TRUE(stub_->ScheduleCampaign(Ctx().get(), schedule, &c).ok());
  EXPECT_EQ(c.status(), v1::CAMPAIGN_STATUS_SCHEDULED);
  // Still editable while scheduled.
  v1::UpdateCampaignRequest update;
  update.mutable_campaign()->set_id(c.id());
  update.mutable_campaign()->set_subject("Later, {firstname}");
  update.mutable_update_mask()->add_paths("subject");
  ASSERT_TRUE(stub_->UpdateCampaign(Ctx().get(), update, &c).ok());
  EXPECT_EQ(c.subject(), "Later, {firstname}");
  update.mutable_update_mask()->add_paths("status");
  EXPECT_EQ(
      GetErrorInfo(grpcx::FromGrpcStatus(stub_->UpdateCampaign(Ctx().get(), update, &c)))->field(),
      "update_mask");
  EXPECT_EQ(DispatchAll(), 0);  // not due yet
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(DispatchAll(), 1);
  EXPECT_EQ(GetCampaign(c.id()).status(), v1::CAMPAIGN_STATUS_SENT);
  EXPECT_EQ(SendAll(), 1);
  ASSERT_TRUE(smtp_->WaitForMessages("later@example.com", 1));
  EXPECT_THAT(smtp_->MessagesContaining("later@example.com")[0], HasSubstr("Subject: Later, Sam"));

  // A scheduled campaign can be cancelled; a sent one cannot.
  v1::Campaign other = NewCampaign();
  schedule.set_id(other.id());
  *schedule.mutable_schedule_time() = pg::ToTimestamp(clock_.Now() + absl::Hours(2));
  ASSERT_TRUE(stub_->ScheduleCampaign(Ctx().get(), schedule, &other).ok());
  v1::CancelCampaignRequest cancel;
  cancel.set_id(other.id());
  ASSERT_TRUE(stub_->CancelCampaign(Ctx().get(), cancel, &other).ok());
  EXPECT_EQ(other.status(), v1::CAMPAIGN_STATUS_CANCELLED);
  clock_.Advance(absl::Hours(3));
  EXPECT_EQ(DispatchAll(), 0);
  cancel.set_id(c.id());
  EXPECT_EQ(stub_->CancelCampaign(Ctx().get(), cancel, &other).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // A sending one can be stopped: nobody more is queued.
  v1::Campaign third = NewCampaign();
  v1::SendCampaignRequest send;
  send.set_id(third.id());
  ASSERT_TRUE(stub_->SendCampaign(Ctx().get(), send, &third).ok());
  cancel.set_id(third.id());
  ASSERT_TRUE(stub_->CancelCampaign(Ctx().get(), cancel, &third).ok());
  EXPECT_EQ(third.status(), v1::CAMPAIGN_STATUS_CANCELLED);
  EXPECT_EQ(DispatchAll(), 0);
  EXPECT_EQ(SendAll(), 0);

  v1::ListCampaignsRequest list;
  list.add_statuses(v1::CAMPAIGN_STATUS_SENT);
  v1::ListCampaignsResponse listed;
  ASSERT_TRUE(stub_->ListCampaigns(Ctx().get(), list, &listed).ok());
  ASSERT_EQ(listed.campaigns_size(), 1);
  EXPECT_EQ(listed.campaigns(0).stats().sent(), 1);
}

}  // namespace
}  // namespace store::newsletter
