// The newsletter service's wiring: configuration (README "Configuration"),
// its apps, mail senders, gRPC service, consumer and periodic jobs. main.cc
// runs it with RunService; the integration tests run the very same function
// in-process (libs/testing/service_fixture.h).
#ifndef STORE_SERVICES_NEWSLETTER_WIRING_H_
#define STORE_SERVICES_NEWSLETTER_WIRING_H_

#include <memory>
#include <vector>

#include "libs/service/service_main.h"
#include "services/newsletter/app/campaign_app.h"
#include "services/newsletter/app/mail_sender.h"
#include "services/newsletter/app/newsletter_app.h"

namespace store::newsletter {

// What a test may reach of the wired service.
struct Parts {
  std::shared_ptr<NewsletterApp> app;
  std::shared_ptr<CampaignApp> campaigns;
  // MAIL_SENDERS of them, each with its own SMTP connection.
  std::vector<std::shared_ptr<MailSender>> senders;
};

// What a test may put in place of a collaborator.
struct Deps {
  // A campaign segment's members; default: the customer service's
  // ListSegmentMembers at CUSTOMER_SERVICE_ADDR.
  SegmentSource segments;
};

ServiceSpec Spec(Parts* parts = nullptr, Deps deps = {});

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_WIRING_H_
