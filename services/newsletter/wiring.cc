#include "services/newsletter/wiring.h"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/events/migrations.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "services/newsletter/domain/mail_message.h"
#include "services/newsletter/migrations.h"
#include "services/newsletter/newsletter_service.h"
#include "store/customer/v1/customer_service.grpc.pb.h"
#include "store/topics.h"

namespace store::newsletter {
namespace {

// A campaign's segment, page by page, from the customer service.
SegmentSource CustomerSegments(const std::string& customer_addr) {
  std::shared_ptr<customer::v1::CustomerService::Stub> customers =
      customer::v1::CustomerService::NewStub(grpcx::MakeChannel(customer_addr));
  return [customers](const std::string& segment_id,
                     const std::string& page_token) -> absl::StatusOr<SegmentPage> {
    auto ctx = grpcx::OutboundContext(absl::Seconds(10));
    customer::v1::ListSegmentMembersRequest req;
    req.set_segment_id(segment_id);
    req.set_page_size(1000);
    req.set_page_token(page_token);
    customer::v1::ListSegmentMembersResponse resp;
    grpc::Status s = customers->ListSegmentMembers(ctx.get(), req, &resp);
    if (!s.ok()) return grpcx::FromGrpcStatus(s);
    SegmentPage page;
    for (const auto& c : resp.customers()) {
      if (!c.email().empty()) page.emails.push_back(c.email());
    }
    page.next_page_token = resp.next_page_token();
    return page;
  };
}

absl::Status Wire(ServiceRuntime& rt, Parts* parts, const Deps& deps) {
  EnvConfig& env = rt.env();
  NewsletterOptions options;
  options.store_name = env.Optional("STORE_NAME", "Store");
  options.store_url = env.Optional("STORE_URL", "http://localhost:3000");
  options.public_api_url = env.Optional("PUBLIC_API_URL", "http://127.0.0.1:8080");
  options.from.email = env.Required("MAIL_FROM", "sender address of every mail");
  options.from.name = env.Optional("MAIL_FROM_NAME", options.store_name);
  options.token_secret = env.Required("NEWSLETTER_TOKEN_SECRET",
                                      "HMAC key of the unsubscribe links, at least 32 bytes");
  options.confirm_ttl = env.Duration("NEWSLETTER_CONFIRM_TTL", absl::Hours(48));
  options.soft_bounce_limit = env.Int("MAIL_SOFT_BOUNCE_LIMIT", 7, 1, 100);
  options.conversion_window = env.Duration("NEWSLETTER_CONVERSION_WINDOW", absl::Hours(24 * 7));

  SmtpOptions smtp;
  smtp.url = env.Required("SMTP_URL", "smtp://host:port or smtps://host:port");
  smtp.username = env.Optional("SMTP_USERNAME", "");
  smtp.password = smtp.username.empty() ? "" : env.Required("SMTP_PASSWORD", "SMTP password");
  smtp.require_tls = env.Bool("SMTP_REQUIRE_TLS", false);
  smtp.timeout = env.Duration("SMTP_TIMEOUT", absl::Seconds(60));
  smtp.connect_timeout = env.Duration("SMTP_CONNECT_TIMEOUT", absl::Seconds(10));

  SenderOptions sender;
  sender.envelope_from = options.from.email;
  sender.rate_per_second = env.Int("MAIL_RATE_PER_SECOND", 50, 0, 100000);
  sender.batch = env.Int("MAIL_BATCH", 10, 1, 1000);
  sender.retry_base = env.Duration("MAIL_RETRY_BASE", absl::Seconds(30));
  sender.max_attempts = env.Int("MAIL_MAX_ATTEMPTS", 8, 1, 100);
  sender.lease = env.Duration("MAIL_CLAIM_LEASE", absl::Minutes(5));
  if (sender.lease < absl::Seconds(1)) env.Problem("MAIL_CLAIM_LEASE", "must be at least 1s");
  const absl::Duration poll = env.Duration("MAIL_POLL_INTERVAL", absl::Milliseconds(100));
  const int campaign_batch = env.Int("CAMPAIGN_BATCH", 2000, 1, 100000);
  const int senders = env.Int("MAIL_SENDERS", 2, 1, 32);

  if (options.token_secret.size() < 32) {
    env.Problem("NEWSLETTER_TOKEN_SECRET", "must be at least 32 bytes");
  }
  if (!options.from.email.empty()) {
    if (absl::Status s = CheckEmailAddress("MAIL_FROM", options.from.email); !s.ok()) {
      env.Problem("MAIL_FROM", s.message());
    }
  }
  if (absl::Status s = CheckHeaderValue("MAIL_FROM_NAME", options.from.name); !s.ok()) {
    env.Problem("MAIL_FROM_NAME", s.message());
  }
  if (!absl::StartsWith(options.public_api_url, "https://") &&
      !absl::StartsWith(options.public_api_url, "http://localhost") &&
      !absl::StartsWith(options.public_api_url, "http://127.0.0.1")) {
    env.Problem("PUBLIC_API_URL",
                "must be https:// (http:// only for localhost or 127.0.0.1): mail "
                "clients post one-click unsubscribes to it");
  }
  if (!smtp.url.empty()) {
    if (absl::Status s = ValidateSmtpOptions(smtp); !s.ok()) env.Problem("SMTP_URL", s.message());
  }

  auto app = std::make_shared<NewsletterApp>(rt.pool(), rt.clock(), options);
  // Several senders, each with its own SMTP connection, keep the relay
  // busy while the others talk to the database; they share the rate.
  std::vector<std::shared_ptr<MailSender>> mailers;
  SenderOptions each = sender;
  each.rate_per_second = sender.rate_per_second / senders;
  for (int i = 0; i < senders; ++i) {
    mailers.push_back(
        std::make_shared<MailSender>(rt.pool(), rt.clock(), *app, NewSmtpTransport(smtp), each));
  }
  SegmentSource segments = deps.segments;
  if (!segments) {
    segments = CustomerSegments(env.Required(
        "CUSTOMER_SERVICE_ADDR", "host:port of the customer service (campaign segments)"));
  }
  auto campaigns =
      std::make_shared<CampaignApp>(rt.pool(), rt.clock(), *app, segments, campaign_batch);
  rt.Keep(app);
  for (const auto& m : mailers) rt.Keep(m);
  rt.Keep(campaigns);
  rt.AddService(std::make_unique<NewsletterServiceImpl>(*app, *campaigns));
  rt.AddPeriodic("campaign-dispatch", absl::Milliseconds(250), [campaigns]() -> absl::Status {
    return campaigns->Dispatch(absl::Seconds(5)).status();
  });
  // Campaign figures for the reporting service (REP-05), in batches.
  const absl::Duration stats_interval =
      env.Duration("NEWSLETTER_STATS_INTERVAL", absl::Seconds(30));
  const absl::Duration stats_window =
      absl::Hours(24) * env.Int("NEWSLETTER_STATS_DAYS", 30, 1, 3660);
  rt.AddPeriodic("campaign-stats", stats_interval, [campaigns, stats_window]() -> absl::Status {
    return campaigns->PublishStats(stats_window).status();
  });
  // A sender runs for up to 2 s per turn so a stop never waits long.
  std::vector<std::function<void()>> wakes;
  for (size_t i = 0; i < mailers.size(); ++i) {
    wakes.push_back(rt.AddPeriodic(
        absl::StrCat("mail-sender-", i), poll,
        [m = mailers[i]]() -> absl::Status { return m->SendDue(absl::Seconds(2)).status(); }));
  }
  // The notices the consumer queued go out as soon as they are committed,
  // not at the senders' next poll.
  rt.AddConsumer(kConsumerName,
                 {order::v1::kOrdersTopic, order::v1::kCartsTopic, customer::v1::kCustomersTopic},
                 [app](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                   return app->HandleEvent(tx, env);
                 },
                 {.after_commit = [wakes] {
                   for (const auto& wake : wakes) wake();
                 }});
  rt.AddPeriodic("mail-interrupted", std::min(absl::Seconds(30), sender.lease / 2),
                 [m = mailers[0]]() -> absl::Status { return m->InterruptStale().status(); });
  if (parts != nullptr) *parts = {.app = app, .campaigns = campaigns, .senders = mailers};
  return absl::OkStatus();
}

}  // namespace

ServiceSpec Spec(Parts* parts, Deps deps) {
  return WiredSpec("newsletter-service",
                   {{"events", &EventsMigrations()}, {"newsletter", &NewsletterMigrations()}},
                   &Wire, parts, std::move(deps));
}

}  // namespace store::newsletter
