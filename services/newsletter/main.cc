// newsletter-service: wiring only. Configuration is in the README.
#include "libs/events/migrations.h"
#include "libs/service/service_main.h"
#include "services/newsletter/app/mail_sender.h"
#include "services/newsletter/app/newsletter_app.h"
#include "services/newsletter/domain/mail_message.h"
#include "services/newsletter/migrations.h"
#include "services/newsletter/newsletter_service.h"

int main(int argc, char** argv) {
  using namespace store;
  using namespace store::newsletter;
  return RunService(
      argc, argv,
      {.name = "newsletter-service",
       .migrations = {{"events", &EventsMigrations()}, {"newsletter", &NewsletterMigrations()}},
       .wire = [](ServiceRuntime& rt) -> absl::Status {
         EnvConfig& env = rt.env();
         NewsletterOptions options;
         options.store_name = env.Optional("STORE_NAME", "Store");
         options.store_url = env.Optional("STORE_URL", "http://localhost:3000");
         options.public_api_url = env.Optional("PUBLIC_API_URL", "http://127.0.0.1:8080");
         options.from.email = env.Required("MAIL_FROM", "sender address of every mail");
         options.from.name = env.Optional("MAIL_FROM_NAME", options.store_name);
         options.token_secret = env.Required(
             "NEWSLETTER_TOKEN_SECRET", "HMAC key of the unsubscribe links, at least 32 bytes");
         options.confirm_ttl = env.Duration("NEWSLETTER_CONFIRM_TTL", absl::Hours(48));
         options.soft_bounce_limit = env.Int("MAIL_SOFT_BOUNCE_LIMIT", 7, 1, 100);

         SmtpOptions smtp;
         smtp.url = env.Required("SMTP_URL", "smtp://host:port or smtps://host:port");
         smtp.username = env.Optional("SMTP_USERNAME", "");
         smtp.password =
             smtp.username.empty() ? "" : env.Required("SMTP_PASSWORD", "SMTP password");
         smtp.require_tls = env.Bool("SMTP_REQUIRE_TLS", false);
         smtp.timeout = env.Duration("SMTP_TIMEOUT", absl::Seconds(60));

         SenderOptions sender;
         sender.envelope_from = options.from.email;
         sender.rate_per_second = env.Int("MAIL_RATE_PER_SECOND", 50, 0, 100000);
         sender.batch = env.Int("MAIL_BATCH", 50, 1, 1000);
         sender.retry_base = env.Duration("MAIL_RETRY_BASE", absl::Seconds(30));
         sender.max_attempts = env.Int("MAIL_MAX_ATTEMPTS", 8, 1, 100);
         const absl::Duration poll = env.Duration("MAIL_POLL_INTERVAL", absl::Milliseconds(100));

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
         if (!smtp.url.empty()) {
           if (absl::Status s = ValidateSmtpOptions(smtp); !s.ok())
             env.Problem("SMTP_URL", s.message());
         }

         auto app = std::make_shared<NewsletterApp>(rt.pool(), rt.clock(), options);
         auto mailer = std::make_shared<MailSender>(rt.pool(), rt.clock(), *app,
                                                    NewSmtpTransport(smtp), sender);
         rt.Keep(app);
         rt.Keep(mailer);
         rt.AddService(std::make_unique<NewsletterServiceImpl>(*app));
         rt.AddConsumer(kConsumerName, {kOrdersTopic, kCustomersTopic},
                        [app](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                          return app->HandleEvent(tx, env);
                        });
         // The sender runs for up to 2 s per turn so a stop never waits long.
         rt.AddPeriodic("mail-sender", poll, [mailer]() -> absl::Status {
           return mailer->SendDue(absl::Seconds(2)).status();
         });
         rt.AddPeriodic("mail-interrupted", absl::Seconds(30),
                        [mailer]() -> absl::Status { return mailer->InterruptStale().status(); });
         return absl::OkStatus();
       }});
}
