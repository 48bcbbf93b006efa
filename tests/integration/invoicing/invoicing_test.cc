// The invoicing service against real PostgreSQL and the Kafka-protocol
// broker: order events in (duplicates included), documents and events out.
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/events/consumer.h"
#include "libs/events/envelope.h"
#include "libs/events/migrations.h"
#include "libs/events/relay.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "libs/testing/service_fixture.h"
#include "libs/testing/test_kafka.h"
#include "libs/testing/wait.h"
#include "services/invoicing/app/invoicing_app.h"
#include "services/invoicing/domain/invoice_rules.h"
#include "services/invoicing/invoicing_service.h"
#include "services/invoicing/store/invoice_store.h"
#include "services/invoicing/wiring.h"
#include "services/order/domain/order_rules.h"
#include "store/customer/v1/events.pb.h"
#include "store/invoicing/v1/events.pb.h"
#include "store/order/v1/events.pb.h"
#include "store/topics.h"

namespace store::invoicing {
namespace {

namespace ov1 = store::order::v1;
using ::testing::HasSubstr;

class InvoicingTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    // Wired as main.cc wires it; the order service's GetOrder is a map here.
    StartService(
        Spec(&parts_, {.orders = [this](const std::string& id) -> absl::StatusOr<ov1::Order> {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = known_orders_.find(id);
          if (it == known_orders_.end()) return absl::NotFoundError("order not found");
          return it->second;
        }}),
        {}, {.relay_poll = absl::Milliseconds(500)});
    if (HasFatalFailure()) return;
    app_ = parts_.app.get();
    stub_ = v1::InvoicingService::NewStub(Channel());
  }

  void StartConsumer() { ServiceFixture::StartConsumer(kConsumerName); }

  ov1::Order NewOrder(const std::string& company = "") {
    ov1::PlaceOrderRequest r;
    r.set_request_id(NewUuid());
    r.set_currency_code("EUR");
    r.mutable_customer()->set_email("ivan@example.com");
    r.mutable_customer()->set_name("Иван Петров");
    auto* item = r.add_items();
    item->set_sku("SAMOVAR");
    item->set_name("Samovar");
    item->set_quantity(2);
    item->mutable_unit_price()->set_amount_minor(4500);
    item->set_tax_rate_bp(1900);
    auto* a = r.mutable_shipping_address();
    a->set_name("Иван Петров");
    a->set_company(company);
    a->set_line1("Tverskaya 1");
    a->set_city("Moscow");
    a->set_country_code("RU");
    r.mutable_delivery_method()->set_code("standard");
    r.mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
    r.set_payment_method(ov1::PAYMENT_METHOD_CARD);
    ov1::Order o = *order::BuildNewOrder(r);
    std::lock_guard<std::mutex> lock(mu_);
    o.set_id(NewUuid());
    o.set_number(++next_number_);
    o.set_status(ov1::ORDER_STATUS_PENDING);
    o.set_version(1);
    known_orders_[o.id()] = o;
    return o;
  }

  // Publishes an order event the way the order service does.
  std::string Send(const google::protobuf::Message& event, const ov1::Order& o) {
    auto env = events::MakeEnvelope(event, o.id(), o.version(), "order-service", clock_.Now());
    kafka_->Produce(order::v1::kOrdersTopic, o.id(), env.SerializeAsString());
    return env.SerializeAsString();
  }
  void Placed(ov1::Order& o) {
    ov1::OrderPlaced e;
    *e.mutable_order() = o;
    Send(e, o);
  }
  std::string Paid(ov1::Order& o) {
    o.set_version(o.version() + 1);
    o.set_status(ov1::ORDER_STATUS_PROCESSING);
    *o.mutable_totals()->mutable_paid() = o.totals().total();
    ov1::OrderPaid e;
    *e.mutable_order() = o;
    e.set_fully_paid(true);
    return Send(e, o);
  }
  void StatusChanged(ov1::Order& o, ov1::OrderStatus to, const std::string& reason) {
    ov1::OrderStatusChanged e;
    e.mutable_status_change()->set_from_status(o.status());
    e.mutable_status_change()->set_to_status(to);
    e.mutable_status_change()->set_reason(reason);
    o.set_version(o.version() + 1);
    o.set_status(to);
    *e.mutable_order() = o;
    Send(e, o);
  }
  std::string Refunded(ov1::Order& o, int64_t amount, std::string refund_id = "") {
    o.set_version(o.version() + 1);
    ov1::OrderRefunded e;
    *e.mutable_order() = o;
    e.mutable_refund()->set_id(refund_id.empty() ? NewUuid() : refund_id);
    e.mutable_refund()->mutable_amount()->set_amount_minor(amount);
    e.mutable_refund()->set_reason("damaged in transit");
    return Send(e, o);
  }

  v1::ListInvoicesResponse ListFor(const std::string& order_id) {
    v1::ListInvoicesRequest req;
    req.mutable_filter()->set_order_id(order_id);
    v1::ListInvoicesResponse resp;
    grpc::ClientContext ctx;
    EXPECT_TRUE(stub_->ListInvoices(&ctx, req, &resp).ok());
    return resp;
  }

  bool WaitForDocuments(const std::string& order_id, int n) {
    return testing::WaitFor([&] { return ListFor(order_id).invoices_size() == n; }, absl::Seconds(30));
  }

  void SetSettings(std::function<void(v1::InvoicingSettings*)> change) {
    grpc::ClientContext get_ctx;
    v1::InvoicingSettings s;
    ASSERT_TRUE(stub_->GetSettings(&get_ctx, {}, &s).ok());
    change(&s);
    v1::UpdateSettingsRequest req;
    *req.mutable_settings() = s;
    grpc::ClientContext ctx;
    v1::InvoicingSettings out;
    grpc::Status st = stub_->UpdateSettings(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  std::mutex mu_;
  int64_t next_number_ = 10000;
  std::map<std::string, ov1::Order> known_orders_;
  Parts parts_;
  InvoicingApp* app_ = nullptr;
  std::unique_ptr<v1::InvoicingService::Stub> stub_;
};

TEST_F(InvoicingTest, OnePaidOrderGetsOneInvoiceWhateverTheBusRedelivers) {
  ov1::Order o = NewOrder();
  Placed(o);
  const std::string paid = Paid(o);
  kafka_->Produce(order::v1::kOrdersTopic, o.id(), paid);  // the very same event again
  ov1::Order again = o;
  Paid(again);                                  // and another payment event for it
  StartConsumer();
  ASSERT_TRUE(WaitForDocuments(o.id(), 1));
  // Three distinct events applied (the redelivered one was dropped by the
  // inbox), one invoice.
  ASSERT_TRUE(testing::WaitFor([&] {
    return Count("SELECT count(*) FROM inbox") == 3 &&
           Count("SELECT count(*) FROM order_snapshots WHERE version = 3") == 1;
  }));
  EXPECT_EQ(Count("SELECT count(*) FROM invoices"), 1);
  v1::Invoice inv = ListFor(o.id()).invoices(0);
  EXPECT_EQ(inv.number(), "INV-2026-000001");
  EXPECT_EQ(inv.order_number(), o.number());
  EXPECT_EQ(inv.buyer().name(), "Иван Петров");
  EXPECT_EQ(inv.total().amount_minor(), o.totals().total().amount_minor());
  EXPECT_EQ(inv.tax_total().amount_minor(), o.totals().tax().amount_minor());
  // InvoiceIssued reached the invoices topic.
  auto records = kafka_->ReadTopic(invoicing::v1::kInvoicesTopic, 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, o.id());
  EXPECT_EQ(records[0].headers.at("type"), "store.invoicing.v1.InvoiceIssued");
}

TEST_F(InvoicingTest, ErasedCustomersInvoicesKeepAmountsButLoseThePersonalData) {  // CUS-13
  ov1::Order o = NewOrder("Petrov Trading");
  Placed(o);
  Paid(o);
  ov1::Order other = NewOrder();
  other.mutable_customer()->set_email("olga@example.com");
  other.mutable_customer()->set_name("Olga");
  for (auto* a : {other.mutable_shipping_address(), other.mutable_billing_address()}) {
    a->set_name("Olga");
    a->set_line1("Nevsky 2");
  }
  known_orders_[other.id()] = other;
  Placed(other);
  Paid(other);
  StartConsumer();
  ASSERT_TRUE(WaitForDocuments(o.id(), 1));
  ASSERT_TRUE(WaitForDocuments(other.id(), 1));
  const v1::Invoice before = ListFor(o.id()).invoices(0);
  const v1::Invoice other_before = ListFor(other.id()).invoices(0);
  // The relay has published the InvoiceIssued events (which name the buyer).
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; }));

  // The customer service's event, by email hash (a guest order).
  customer::v1::CustomerErased erased;
  erased.set_customer_id(NewUuid());
  erased.set_erasure_id(NewUuid());
  {
    // The hash of ivan@example.com, computed by PostgreSQL as the service does.
    pqxx::connection conn(db_->url());
    pqxx::nontransaction tx(conn);
    erased.set_email_sha256(
        tx.exec1("SELECT encode(sha256(convert_to('ivan@example.com', 'UTF8')), 'hex')")[0]
            .as<std::string>());
  }
  pqxx::connection conn(db_->url());
  for (int i = 0; i < 2; ++i) {  // twice: harmless
    ASSERT_TRUE(pool_
                    ->InTransaction([&](pqxx::work& tx) {
                      return app_->HandleCustomerEvent(
                          tx, events::MakeEnvelope(erased, erased.customer_id(), 0,
                                                   "customer-service", clock_.Now()));
                    })
                    .ok());
  }
  const v1::Invoice after = ListFor(o.id()).invoices(0);
  EXPECT_EQ(after.number(), before.number());
  EXPECT_EQ(after.total().amount_minor(), before.total().amount_minor());
  EXPECT_EQ(after.buyer().name(), "Erased customer");
  EXPECT_EQ(after.buyer().address().company(), "Petrov Trading");
  EXPECT_EQ(after.buyer().address().country_code(), "RU");
  EXPECT_TRUE(after.buyer().address().line1().empty());
  // Nothing of the buyer is left in the database, as text or inside bytea.
  for (const std::string& pii : {std::string("ivan@example.com"), std::string("Tverskaya 1"),
                                std::string("Иван Петров")}) {
    pqxx::nontransaction tx(conn);
    for (const auto& t : tx.exec("SELECT table_name FROM information_schema.tables "
                                 "WHERE table_schema = 'public'")) {
      const int64_t hits =
          tx.exec_params1(absl::StrCat("SELECT count(*) FROM ", tx.quote_name(t[0].as<std::string>()),
                                       " x WHERE position($1 in x::text) > 0"
                                       " OR position($2 in x::text) > 0"),
                          pii, absl::BytesToHexString(pii))[0]
              .as<int64_t>();
      EXPECT_EQ(hits, 0) << pii << " in " << t[0].as<std::string>();
    }
  }
  // The other buyer's invoice is untouched; the step is reported (each time).
  EXPECT_EQ(ListFor(other.id()).invoices(0).SerializeAsString(), other_before.SerializeAsString());
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE topic = 'store.privacy.erasures.v1'"), 2);
}

TEST_F(InvoicingTest, RejectedOrderCancelsItsInvoice) {
  ov1::Order o = NewOrder();
  Paid(o);
  StatusChanged(o, ov1::ORDER_STATUS_REJECTED, "fraud suspected");
  StartConsumer();
  ASSERT_TRUE(testing::WaitFor([&] {
    auto list = ListFor(o.id());
    return list.invoices_size() == 1 && list.invoices(0).status() == v1::INVOICE_STATUS_CANCELLED;
  }, absl::Seconds(30)));
  v1::Invoice inv = ListFor(o.id()).invoices(0);
  EXPECT_THAT(inv.reason(), HasSubstr("rejected: fraud suspected"));
  EXPECT_EQ(inv.version(), 2);
  std::vector<std::string> types;
  for (const auto& r : kafka_->ReadTopic(invoicing::v1::kInvoicesTopic, 2))
    types.push_back(r.headers.at("type"));
  EXPECT_THAT(types, ::testing::ElementsAre("store.invoicing.v1.InvoiceIssued",
                                            "store.invoicing.v1.InvoiceCancelled"));
  // The cancelled invoice stays listed, excluded from the totals.
  v1::ListInvoicesRequest req;
  req.mutable_filter()->add_statuses(v1::INVOICE_STATUS_CANCELLED);
  v1::ListInvoicesResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->ListInvoices(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.invoices_size(), 1);
  ASSERT_EQ(resp.totals_size(), 1);
  EXPECT_EQ(resp.totals(0).total().amount_minor(), 0);
}

TEST_F(InvoicingTest, RefundsIssueCreditNotesNeverAboveTheInvoice) {
  ov1::Order o = NewOrder();
  Paid(o);
  const std::string refund_id = NewUuid();
  const std::string first = Refunded(o, 1000, refund_id);
  kafka_->Produce(order::v1::kOrdersTopic, o.id(), first);  // duplicate delivery
  Refunded(o, 999999);                          // more than is left: the rest is credited
  Refunded(o, 5);                               // nothing left
  StartConsumer();
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM inbox") == 4; }, absl::Seconds(30)));
  v1::ListInvoicesResponse list = ListFor(o.id());
  ASSERT_EQ(list.invoices_size(), 3);
  int64_t credited = 0;
  std::set<std::string> numbers;
  v1::Invoice invoice;
  for (const auto& d : list.invoices()) {
    if (d.kind() == v1::DOCUMENT_KIND_CREDIT_NOTE) {
      credited += d.total().amount_minor();
      numbers.insert(d.number());
      EXPECT_EQ(d.credited_invoice_number(), "INV-2026-000001");
      EXPECT_EQ(d.net_total().amount_minor() + d.tax_total().amount_minor(), d.total().amount_minor());
    } else {
      invoice = d;
    }
  }
  EXPECT_EQ(numbers, (std::set<std::string>{"CN-2026-000001", "CN-2026-000002"}));
  EXPECT_EQ(credited, invoice.total().amount_minor());
  EXPECT_EQ(invoice.credited_total().amount_minor(), invoice.total().amount_minor());
  EXPECT_EQ(invoice.version(), 3);
}

// ORD-06: an invoiced order edited before shipping gets a credit note for
// its invoice and a new invoice, numbers from their series; an edit that
// changes nothing on the invoice (a new shipping address) corrects nothing.
TEST_F(InvoicingTest, AnEditedInvoicedOrderGetsACreditNoteAndANewInvoice) {
  ov1::Order o = NewOrder();
  Paid(o);
  auto edited = [&](std::function<void(ov1::Order&)> change) {
    const ov1::Order before = o;
    change(o);
    ASSERT_TRUE(order::PriceOrder(&o).ok());
    o.set_version(o.version() + 1);
    ov1::OrderEdited e;
    *e.mutable_order() = o;
    e.set_from_version(before.version());
    e.set_to_version(o.version());
    *e.mutable_previous_total() = before.totals().total();
    Send(e, o);
  };
  edited([](ov1::Order& order) { order.mutable_shipping_address()->set_line1("Arbat 2"); });
  edited([](ov1::Order& order) { order.mutable_items(0)->set_quantity(3); });
  StartConsumer();
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM inbox") == 3; },
                               absl::Seconds(30)));
  v1::ListInvoicesResponse list = ListFor(o.id());
  ASSERT_EQ(list.invoices_size(), 3);
  std::map<std::string, v1::Invoice> by_number;
  for (const auto& d : list.invoices()) by_number[d.number()] = d;
  ASSERT_EQ(by_number.count("INV-2026-000001"), 1u);
  ASSERT_EQ(by_number.count("INV-2026-000002"), 1u);
  ASSERT_EQ(by_number.count("CN-2026-000001"), 1u);
  const v1::Invoice& old_invoice = by_number["INV-2026-000001"];
  const v1::Invoice& note = by_number["CN-2026-000001"];
  const v1::Invoice& fresh = by_number["INV-2026-000002"];
  EXPECT_EQ(old_invoice.status(), v1::INVOICE_STATUS_CORRECTED);
  EXPECT_EQ(old_invoice.credited_total().amount_minor(), old_invoice.total().amount_minor());
  EXPECT_EQ(note.credited_invoice_number(), "INV-2026-000001");
  EXPECT_EQ(note.total().amount_minor(), old_invoice.total().amount_minor());
  EXPECT_THAT(note.reason(), ::testing::HasSubstr("edited"));
  EXPECT_EQ(fresh.status(), v1::INVOICE_STATUS_ISSUED);
  EXPECT_EQ(fresh.total().amount_minor(), o.totals().total().amount_minor());
  EXPECT_EQ(fresh.lines(0).quantity(), 3);
  // One current invoice per order: a refund now credits the new one.
  Refunded(o, 100);
  ASSERT_TRUE(
      testing::WaitFor([&] { return ListFor(o.id()).invoices_size() == 4; }, absl::Seconds(30)));
  const v1::ListInvoicesResponse after = ListFor(o.id());
  for (const auto& d : after.invoices()) {
    if (d.number() == "CN-2026-000002") {
      EXPECT_EQ(d.credited_invoice_number(), "INV-2026-000002");
    }
  }
}

TEST_F(InvoicingTest, SettingsDecideWhenAndForWhom) {
  SetSettings([](v1::InvoicingSettings* s) {
    s->set_mode(v1::ISSUE_MODE_ON_ORDER_PLACED);
    s->set_scope(v1::ISSUE_SCOPE_COMPANIES_ONLY);
  });
  ov1::Order person = NewOrder();
  ov1::Order company = NewOrder("Petrov LLC");
  Placed(person);
  Placed(company);
  StartConsumer();
  ASSERT_TRUE(WaitForDocuments(company.id(), 1));
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM inbox") == 2; }));
  EXPECT_EQ(ListFor(person.id()).invoices_size(), 0);
  EXPECT_EQ(ListFor(company.id()).invoices(0).buyer().company(), "Petrov LLC");

  // Off: nothing automatic; issuing by hand uses the snapshot from the topic.
  SetSettings([](v1::InvoicingSettings* s) { s->set_mode(v1::ISSUE_MODE_OFF); });
  Paid(person);
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM inbox") == 3; }));
  EXPECT_EQ(ListFor(person.id()).invoices_size(), 0);
  v1::IssueInvoiceRequest issue;
  issue.set_order_id(person.id());
  v1::Invoice inv;
  grpc::ClientContext c1;
  ASSERT_TRUE(stub_->IssueInvoice(&c1, issue, &inv).ok());
  EXPECT_EQ(inv.number(), "INV-2026-000002");
  v1::Invoice again;
  grpc::ClientContext c2;
  ASSERT_TRUE(stub_->IssueInvoice(&c2, issue, &again).ok());
  EXPECT_EQ(again.id(), inv.id());  // one per order
  // An order never seen on the topic is fetched from the order service.
  ov1::Order unseen = NewOrder();
  issue.set_order_id(unseen.id());
  grpc::ClientContext c3;
  ASSERT_TRUE(stub_->IssueInvoice(&c3, issue, &inv).ok());
  EXPECT_EQ(inv.order_id(), unseen.id());
  issue.set_order_id(NewUuid());
  grpc::ClientContext c4;
  EXPECT_EQ(stub_->IssueInvoice(&c4, issue, &inv).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(InvoicingTest, BadSettingsAreRefusedNamingTheField) {
  v1::UpdateSettingsRequest req;
  req.mutable_settings()->set_invoice_prefix("inv 1");
  req.mutable_update_mask()->add_paths("invoice_prefix");
  grpc::ClientContext ctx;
  v1::InvoicingSettings out;
  grpc::Status s = stub_->UpdateSettings(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->field(), "invoice_prefix");
  req.mutable_update_mask()->set_paths(0, "no_such_field");
  grpc::ClientContext ctx2;
  s = stub_->UpdateSettings(&ctx2, req, &out);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->field(), "update_mask");
  // A masked update changes only the named field.
  req.mutable_settings()->set_invoice_prefix("RE");
  req.mutable_settings()->set_payment_terms_days(99);
  req.mutable_update_mask()->set_paths(0, "invoice_prefix");
  grpc::ClientContext ctx3;
  ASSERT_TRUE(stub_->UpdateSettings(&ctx3, req, &out).ok());
  EXPECT_EQ(out.invoice_prefix(), "RE");
  EXPECT_EQ(out.payment_terms_days(), 14);
}

TEST_F(InvoicingTest, ThousandConcurrentIssuesWithRandomAbortsGiveContiguousNumbers) {  // REL-7
  std::atomic<int> committed{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&, w] {
      std::mt19937 rng(w);
      while (committed.load() < 1000) {
        ov1::Order o = NewOrder();
        const bool abort = std::uniform_int_distribution<int>(0, 4)(rng) == 0;
        absl::Status s = pool_->InTransaction([&](pqxx::work& tx) -> absl::Status {
          v1::Invoice inv = BuildInvoice(o, DefaultSettings(), clock_.Now());
          const int64_t seq = InvoiceStore::NextInSeries(tx, "INV-2026");
          inv.set_id(NewUuid());
          inv.set_number(FormatNumber("INV-2026", seq));
          InvoiceStore::Insert(tx, {.invoice = &inv, .series = "INV-2026", .seq = seq,
                                    .source_refund_id = "", .source_event_time = std::nullopt});
          if (abort) return absl::AbortedError("injected abort");
          if (committed.fetch_add(1) >= 1000) return absl::AbortedError("enough");
          return absl::OkStatus();
        });
        if (!s.ok()) ++aborted;
      }
    });
  }
  for (auto& t : workers) t.join();
  pqxx::connection conn(db_->url());
  pqxx::nontransaction tx(conn);
  pqxx::row r = tx.exec1(
      "SELECT count(*), count(DISTINCT number), min(seq), max(seq) FROM invoices"
      " WHERE series = 'INV-2026'");
  EXPECT_EQ(r[0].as<int64_t>(), 1000);
  EXPECT_EQ(r[1].as<int64_t>(), 1000);
  EXPECT_EQ(r[2].as<int64_t>(), 1);
  EXPECT_EQ(r[3].as<int64_t>(), 1000);
  std::printf("REL-7: 1000 invoices from 8 workers, %d aborted transactions, numbers "
              "INV-2026-000001..%06lld unique and contiguous\n",
              aborted.load(), static_cast<long long>(r[3].as<int64_t>()));
}

TEST_F(InvoicingTest, ListsFiltersPagesExportsAndRenders) {
  std::vector<ov1::Order> orders;
  for (int i = 0; i < 7; ++i) {
    orders.push_back(NewOrder(i % 2 == 0 ? "=cmd|' /C calc'!A0" : ""));
    Paid(orders.back());
    clock_.Advance(absl::Hours(1));
  }
  StartConsumer();
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM invoices") == 7; }, absl::Seconds(30)));
  v1::ListInvoicesRequest req;
  req.set_page_size(3);
  std::set<std::string> seen;
  int pages = 0;
  do {
    v1::ListInvoicesResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ListInvoices(&ctx, req, &resp).ok());
    for (const auto& inv : resp.invoices()) seen.insert(inv.number());
    ASSERT_EQ(resp.totals_size(), 1);
    EXPECT_EQ(resp.totals(0).count(), 7);
    EXPECT_EQ(resp.totals(0).total().amount_minor(), 7 * orders[0].totals().total().amount_minor());
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty());
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(pages, 3);

  // CSV export, streamed, with the formula guard.
  v1::ExportInvoicesRequest ex;
  grpc::ClientContext ectx;
  auto reader = stub_->ExportInvoices(&ectx, ex);
  v1::DocumentChunk chunk;
  std::string csv;
  std::string type;
  while (reader->Read(&chunk)) {
    if (!chunk.content_type().empty()) type = chunk.content_type();
    csv += chunk.data();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(type, "text/csv; charset=utf-8");
  EXPECT_THAT(csv, HasSubstr("number,kind,status,order_number"));
  EXPECT_THAT(csv, HasSubstr("INV-2026-000007,invoice,issued"));
  EXPECT_THAT(csv, HasSubstr("'=cmd"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 8);

  // The PDF of an invoice, read back with pdftotext.
  v1::RenderInvoiceRequest rr;
  rr.set_id(ListFor(orders[0].id()).invoices(0).id());
  grpc::ClientContext rctx;
  auto pdf_reader = stub_->RenderInvoice(&rctx, rr);
  std::string pdf;
  while (pdf_reader->Read(&chunk)) pdf += chunk.data();
  ASSERT_TRUE(pdf_reader->Finish().ok());
  ASSERT_EQ(pdf.substr(0, 5), "%PDF-");
  const std::string path = ::testing::TempDir() + "/invoice-" + NewUuid() + ".pdf";
  std::ofstream(path, std::ios::binary) << pdf;
  FILE* p = popen(("pdftotext -layout " + path + " - 2>/dev/null").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string text;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << "pdftotext failed (poppler-utils is installed by tools/dev)";
  EXPECT_THAT(text, HasSubstr(ListFor(orders[0].id()).invoices(0).number()));
  EXPECT_THAT(text, HasSubstr("Иван Петров"));
  EXPECT_THAT(text, HasSubstr("Samovar"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace store::invoicing
