// The newsletter service's part of a customer's data export (CUS-13): the
// subscriber rows, consent history, suppression entries and mail log for
// the customer's id and email, read over gRPC.
#ifndef STORE_SERVICES_CUSTOMER_CLIENTS_NEWSLETTER_SOURCE_H_
#define STORE_SERVICES_CUSTOMER_CLIENTS_NEWSLETTER_SOURCE_H_

#include <string>

#include "services/customer/app/privacy_app.h"

namespace store::customer {

// With an empty address the source is named in the export's missing
// sources (the export says it is incomplete rather than quietly being so).
DataSource NewsletterDataSource(const std::string& newsletter_service_addr);

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_CLIENTS_NEWSLETTER_SOURCE_H_
