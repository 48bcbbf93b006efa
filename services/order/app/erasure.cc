// CUS-13 in the order service: a customer's erasure reaches the orders.
//
// Orders are kept (amounts, items, status and history are accounting and
// tax records) with their personal data replaced (see AnonymiseOrder). The
// erasure is not an order change other services should react to as such,
// so no order event is published for it: each anonymised order gets a new
// version and a history entry, and the customer service is told once, with
// ErasureStepCompleted, how many orders were anonymised. Later events of
// those orders carry the anonymised order.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "services/order/app/order_app.h"
#include "services/order/domain/order_rules.h"
#include "services/order/store/cart_store.h"
#include "services/order/store/order_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/topics.h"

namespace store::order {
namespace {

constexpr char kCustomerErased[] = "store.customer.v1.CustomerErased";

// The personal data of `order` that free text (notes, history reasons) may
// repeat. Very short strings are left out: replacing them would mangle
// unrelated words.
std::vector<std::string> PersonalStrings(const v1::Order& order) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& s) {
    if (s.size() >= 3) out.push_back(s);
  };
  add(order.customer().email());
  add(order.customer().name());
  add(order.customer().phone());
  for (const auto* a : {&order.shipping_address(), &order.billing_address()}) {
    add(a->name());
    add(a->company());
    add(a->line1());
    add(a->line2());
    add(a->phone());
    add(a->vat_id());
  }
  return out;
}

}  // namespace

absl::Status OrderApp::HandleCustomerEvent(pqxx::work& tx,
                                           const common::v1::EventEnvelope& envelope) {
  if (envelope.type() != kCustomerErased) return absl::OkStatus();
  customer::v1::CustomerErased erased;
  STORE_RETURN_IF_ERROR(events::UnpackPayload(envelope, &erased));
  if (!IsUuid(erased.customer_id())) {
    return absl::InvalidArgumentError("CustomerErased: customer_id is not a UUID");
  }
  if (!erased.email_sha256().empty() && !IsSha256Hex(erased.email_sha256())) {
    return absl::InvalidArgumentError("CustomerErased: email_sha256 is not a SHA-256 hex digest");
  }
  const std::string customer_id = absl::AsciiStrToLower(erased.customer_id());
  const absl::Time now = TruncateToMicros(clock_.Now());
  int64_t anonymised = 0;
  for (v1::Order& order :
       OrderStore::LockForErasure(tx, customer_id, absl::AsciiStrToLower(erased.email_sha256()))) {
    if (IsAnonymised(order)) continue;  // an earlier erasure did it
    const std::vector<std::string> personal = PersonalStrings(order);
    AnonymiseOrder(&order);
    order.set_version(order.version() + 1);
    *order.mutable_update_time() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
    OrderStore::Update(tx, order);
    OrderStore::ScrubFreeText(tx, order.id(), personal);
    OrderStore::AppendHistory(tx, order.id(), order.status(), order.status(),
                              "personal_data_erased", "system",
                              absl::StrCat("erasure ", erased.erasure_id()), now);
    events::DeleteEvents(tx, order::v1::kOrdersTopic, order.id(), /*sent_only=*/true);
    ++anonymised;
  }

  // Carts are not records anyone must keep: the customer's carts and the
  // guest carts with their email go, and their uses of discount codes are
  // counted under an anonymous key from now on.
  const int64_t carts =
      CartStore::DeleteForErasure(tx, customer_id, absl::AsciiStrToLower(erased.email_sha256()));

  customer::v1::ErasureStepCompleted done;
  done.set_erasure_id(erased.erasure_id());
  done.set_customer_id(customer_id);
  customer::v1::ErasureStep* step = done.mutable_step();
  step->set_service(kSource);
  step->set_summary(absl::StrCat(anonymised, anonymised == 1 ? " order" : " orders",
                                 " anonymised, ", carts, carts == 1 ? " cart" : " carts",
                                 " deleted"));
  step->set_records(anonymised + carts);
  *step->mutable_complete_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  // Keyed by customer id; not an aggregate of this service, so version 0.
  events::AppendToOutbox(tx, customer::v1::kErasuresTopic,
                         events::MakeEnvelope(done, customer_id, 0, kSource, now));
  log::Info("customer erased from orders", {{"erasure_id", erased.erasure_id()},
                                            {"customer_id", customer_id},
                                            {"orders", absl::StrCat(anonymised)},
                                            {"carts", absl::StrCat(carts)}});
  return absl::OkStatus();
}

}  // namespace store::order
