// CUS-13 in the invoicing service: invoices are kept for their legal
// retention with the buyer's personal data replaced. Numbers, dates, lines,
// amounts, the company name and VAT id (business data the tax law needs on
// the document) stay; the buyer's name, email, street address and phone go.
// No invoice event is published for it; the customer service is told once,
// with ErasureStepCompleted.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "services/invoicing/app/invoicing_app.h"
#include "services/invoicing/store/invoice_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/topics.h"

namespace store::invoicing {
namespace {

void AnonymiseBuyer(v1::Party* buyer) {
  buyer->set_name("Erased customer");
  buyer->clear_email();
  common::v1::Address* a = buyer->mutable_address();
  a->set_name("Erased customer");
  a->clear_line1();
  a->clear_line2();
  a->clear_city();
  a->clear_postal_code();
  a->clear_phone();
}

}  // namespace

absl::Status InvoicingApp::HandleCustomerEvent(pqxx::work& tx,
                                               const common::v1::EventEnvelope& env) {
  if (events::PayloadType(env) != "store.customer.v1.CustomerErased") return absl::OkStatus();
  customer::v1::CustomerErased e;
  STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
  const std::string email_hash =
      IsSha256Hex(e.email_sha256()) ? absl::AsciiStrToLower(e.email_sha256()) : "";
  const absl::Time now = clock_.Now();
  std::vector<std::string> invoice_ids, order_ids;
  for (const auto& [invoice_id, order_id] :
       InvoiceStore::ErasableDocuments(tx, e.customer_id(), email_hash)) {
    std::optional<v1::Invoice> inv = InvoiceStore::Load(tx, invoice_id, true);
    if (!inv.has_value()) continue;
    AnonymiseBuyer(inv->mutable_buyer());
    InvoiceStore::ReplaceAnonymised(tx, *inv);
    invoice_ids.push_back(invoice_id);
    order_ids.push_back(order_id);
  }
  const int64_t snapshots =
      InvoiceStore::ForgetCustomer(tx, order_ids, invoice_ids, e.customer_id(), email_hash);
  customer::v1::ErasureStepCompleted done;
  done.set_erasure_id(e.erasure_id());
  done.set_customer_id(e.customer_id());
  done.mutable_step()->set_service(kSource);
  done.mutable_step()->set_summary(absl::StrCat(invoice_ids.size(),
                                                " invoices/credit notes anonymised, ", snapshots,
                                                " order snapshots deleted"));
  done.mutable_step()->set_records(static_cast<int64_t>(invoice_ids.size()) + snapshots);
  *done.mutable_step()->mutable_complete_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  events::AppendToOutbox(tx, customer::v1::kErasuresTopic,
                         events::MakeEnvelope(done, e.customer_id(), 0, kSource, now));
  return absl::OkStatus();
}

}  // namespace store::invoicing
