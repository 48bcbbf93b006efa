#include "services/invoicing/app/invoicing_app.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/csv.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/money.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/values.h"
#include "services/invoicing/documents/invoice_document.h"
#include "services/invoicing/domain/invoice_rules.h"
#include "services/invoicing/store/invoice_store.h"
#include "store/invoicing/v1/events.pb.h"
#include "store/order/v1/events.pb.h"
#include "store/topics.h"

namespace store::invoicing {
namespace {

using google::protobuf::util::TimeUtil;
namespace ov1 = store::order::v1;

prometheus::Family<prometheus::Counter>& Issued() {
  static auto& f = prometheus::BuildCounter()
                       .Name("store_invoices_issued_total")
                       .Help("Invoices and credit notes issued, by kind (invoice, credit_note).")
                       .Register(metrics::Registry());
  return f;
}

prometheus::Counter& Cancelled() {
  static auto& c = prometheus::BuildCounter()
                       .Name("store_invoices_cancelled_total")
                       .Help("Invoices cancelled.")
                       .Register(metrics::Registry())
                       .Add({});
  return c;
}

using pg::TimeOf;
using pg::TruncateToMicros;

absl::Status CheckId(absl::string_view field, const std::string& id) {
  if (!IsUuid(id)) return InvalidField(field, "must be a UUID");
  return absl::OkStatus();
}

v1::InvoicingSettings SettingsIn(pqxx::transaction_base& tx) {
  return InvoiceStore::LoadSettings(tx).value_or(DefaultSettings());
}

void Publish(pqxx::transaction_base& tx, const google::protobuf::Message& event,
             const v1::Invoice& invoice, absl::Time now) {
  events::AppendToOutbox(
      tx, invoicing::v1::kInvoicesTopic,
      events::MakeEnvelope(event, invoice.order_id(), invoice.version(), kSource, now));
}

// Numbers and stores a new document; false when it exists already (the
// order's invoice, or the refund's credit note).
bool Store(pqxx::transaction_base& tx, v1::Invoice& doc, const v1::InvoicingSettings& settings,
           const std::string& refund_id, std::optional<absl::Time> source_time) {
  const std::string series = SeriesOf(settings, doc.kind(), TimeOf(doc.issue_time()));
  const int64_t seq = InvoiceStore::NextInSeries(tx, series);
  doc.set_id(NewUuid());
  doc.set_number(FormatNumber(series, seq));
  doc.set_version(1);
  return InvoiceStore::Insert(tx, {.invoice = &doc, .series = series, .seq = seq,
                                   .source_refund_id = refund_id,
                                   .source_event_time = source_time});
}

// A marker error: the document exists; the transaction must roll back so
// that its number is given back.
absl::Status Exists() { return absl::AlreadyExistsError("exists"); }
bool IsExists(const absl::Status& s) {
  return s.code() == absl::StatusCode::kAlreadyExists && s.message() == "exists";
}

// Issues the invoice of `order` in `tx`. Exists() when it has one already.
absl::StatusOr<v1::Invoice> IssueIn(pqxx::transaction_base& tx, const ov1::Order& order,
                                    const v1::InvoicingSettings& settings, absl::Time now,
                                    std::optional<absl::Time> source_time) {
  v1::Invoice inv = BuildInvoice(order, settings, now);
  if (!Store(tx, inv, settings, "", source_time)) return Exists();
  v1::InvoiceIssued event;
  *event.mutable_invoice() = inv;
  Publish(tx, event, inv, now);
  return inv;
}

absl::Status CancelIn(pqxx::transaction_base& tx, v1::Invoice& inv, const std::string& reason,
                      absl::Time now) {
  if (inv.kind() != v1::DOCUMENT_KIND_INVOICE) {
    return Precondition("NOT_AN_INVOICE", "credit notes cannot be cancelled");
  }
  if (inv.status() == v1::INVOICE_STATUS_CANCELLED) {
    return Precondition("ALREADY_CANCELLED", absl::StrCat("invoice ", inv.number(), " is already cancelled"));
  }
  inv.set_status(v1::INVOICE_STATUS_CANCELLED);
  inv.set_reason(reason);
  *inv.mutable_cancel_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  inv.set_version(inv.version() + 1);
  InvoiceStore::Update(tx, inv);
  v1::InvoiceCancelled event;
  *event.mutable_invoice() = inv;
  Publish(tx, event, inv, now);
  return absl::OkStatus();
}

// ORD-06: an invoiced order was edited. If the edit changed what the
// invoice says (lines or totals), the invoice is credited in full (a credit
// note from the credit-note series), marked corrected, and a new invoice is
// issued for the edited order. Nothing invoiced yet, or cancelled: nothing to
// correct (the edited order is invoiced when its time comes).
absl::Status CorrectAfterEdit(pqxx::transaction_base& tx, const ov1::OrderEdited& e, absl::Time now,
                              absl::Time occurred) {
  std::optional<v1::Invoice> inv = InvoiceStore::InvoiceOfOrder(tx, e.order().id(), true);
  if (!inv.has_value() || inv->status() != v1::INVOICE_STATUS_ISSUED) return absl::OkStatus();
  const v1::InvoicingSettings settings = SettingsIn(tx);
  const v1::Invoice edited = BuildInvoice(e.order(), settings, now);
  if (SameContent(*inv, edited)) return absl::OkStatus();  // e.g. a new shipping address only
  const int64_t left = inv->total().amount_minor() - inv->credited_total().amount_minor();
  const std::string reason =
      absl::StrCat("order #", e.order().number(), " edited: replaced by a new invoice");
  if (left > 0) {
    absl::StatusOr<v1::Invoice> note = BuildCreditNote(*inv, left, reason, settings, now);
    if (!note.ok()) return note.status();
    Store(tx, *note, settings, "", occurred);
    inv->mutable_credited_total()->set_amount_minor(inv->credited_total().amount_minor() + left);
    inv->set_status(v1::INVOICE_STATUS_CORRECTED);
    inv->set_reason(reason);
    inv->set_version(inv->version() + 1);
    InvoiceStore::Update(tx, *inv);
    v1::CreditNoteIssued event;
    *event.mutable_credit_note() = *note;
    *event.mutable_invoice() = *inv;
    Publish(tx, event, *inv, now);
    Issued().Add({{"kind", "credit_note"}}).Increment();
  } else {
    inv->set_status(v1::INVOICE_STATUS_CORRECTED);
    inv->set_reason(reason);
    inv->set_version(inv->version() + 1);
    InvoiceStore::Update(tx, *inv);
  }
  absl::StatusOr<v1::Invoice> issued = IssueIn(tx, e.order(), settings, now, occurred);
  if (!issued.ok()) return issued.status();
  Issued().Add({{"kind", "invoice"}}).Increment();
  log::Info("invoice corrected after an order edit",
            {{"order_id", e.order().id()}, {"replaced", inv->number()}, {"new", issued->number()}});
  return absl::OkStatus();
}

}  // namespace

absl::Status InvoicingApp::HandleOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& env) {
  const std::string type = env.type();
  const absl::Time now = TruncateToMicros(clock_.Now());
  const absl::Time occurred = TimeOf(env.occurred_at());
  // Every order event carries the order as it was after the change.
  auto snapshot = [&](const ov1::Order& order) { InvoiceStore::SaveOrderSnapshot(tx, order); };
  auto issue = [&](const ov1::Order& order, Trigger trigger) -> absl::Status {
    const v1::InvoicingSettings settings = SettingsIn(tx);
    if (!ShouldIssue(settings, trigger, order)) return absl::OkStatus();
    if (InvoiceStore::InvoiceOfOrder(tx, order.id(), false).has_value()) return absl::OkStatus();
    absl::StatusOr<v1::Invoice> inv = IssueIn(tx, order, settings, now, occurred);
    if (!inv.ok()) return inv.status();
    Issued().Add({{"kind", "invoice"}}).Increment();
    return absl::OkStatus();
  };
  if (type == "store.order.v1.OrderPlaced") {
    ov1::OrderPlaced e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    snapshot(e.order());
    return issue(e.order(), Trigger::kOrderPlaced);
  }
  if (type == "store.order.v1.OrderPaid") {
    ov1::OrderPaid e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    snapshot(e.order());
    return e.fully_paid() ? issue(e.order(), Trigger::kOrderPaid) : absl::OkStatus();
  }
  if (type == "store.order.v1.OrderStatusChanged") {
    ov1::OrderStatusChanged e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    snapshot(e.order());
    const ov1::OrderStatus to = e.status_change().to_status();
    if (to != ov1::ORDER_STATUS_CANCELLED && to != ov1::ORDER_STATUS_REJECTED) return absl::OkStatus();
    std::optional<v1::Invoice> inv = InvoiceStore::InvoiceOfOrder(tx, e.order().id(), true);
    if (!inv.has_value() || inv->status() == v1::INVOICE_STATUS_CANCELLED) return absl::OkStatus();
    const std::string reason = absl::StrCat("order #", e.order().number(), " ",
                                            to == ov1::ORDER_STATUS_REJECTED ? "rejected" : "cancelled",
                                            e.status_change().reason().empty() ? "" : ": ",
                                            e.status_change().reason());
    STORE_RETURN_IF_ERROR(CancelIn(tx, *inv, reason, now));
    Cancelled().Increment();
    return absl::OkStatus();
  }
  if (type == "store.order.v1.OrderRefunded") {
    ov1::OrderRefunded e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    snapshot(e.order());
    std::optional<v1::Invoice> inv = InvoiceStore::InvoiceOfOrder(tx, e.order().id(), true);
    if (!inv.has_value() || inv->status() != v1::INVOICE_STATUS_ISSUED) {
      return absl::OkStatus();  // nothing invoiced, or voided: nothing to credit
    }
    const v1::InvoicingSettings settings = SettingsIn(tx);
    const int64_t left = inv->total().amount_minor() - inv->credited_total().amount_minor();
    int64_t amount = e.refund().amount().amount_minor();
    if (amount > left) {
      log::Warning("refund exceeds what is left on the invoice; crediting the rest",
                   {{"invoice", inv->number()}, {"refund_id", e.refund().id()}});
      amount = left;
    }
    if (amount <= 0) return absl::OkStatus();
    const std::string reason = e.refund().reason().empty() ? "refund" : e.refund().reason();
    absl::StatusOr<v1::Invoice> note = BuildCreditNote(*inv, amount, reason, settings, now);
    if (!note.ok()) return note.status();
    if (!Store(tx, *note, settings, e.refund().id(), occurred)) return absl::OkStatus();
    inv->mutable_credited_total()->set_amount_minor(inv->credited_total().amount_minor() + amount);
    inv->set_version(inv->version() + 1);
    InvoiceStore::Update(tx, *inv);
    v1::CreditNoteIssued event;
    *event.mutable_credit_note() = *note;
    *event.mutable_invoice() = *inv;
    Publish(tx, event, *inv, now);
    Issued().Add({{"kind", "credit_note"}}).Increment();
    return absl::OkStatus();
  }
  if (type == "store.order.v1.OrderEdited") {
    ov1::OrderEdited e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    snapshot(e.order());
    return CorrectAfterEdit(tx, e, now, occurred);
  }
  // Other order events only refresh the snapshot.
  if (type == "store.order.v1.OrderShipped") {
    ov1::OrderShipped e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    snapshot(e.order());
  } else if (type == "store.order.v1.OrderPaymentFailed") {
    ov1::OrderPaymentFailed e;
    STORE_RETURN_IF_ERROR(events::UnpackPayload(env, &e));
    snapshot(e.order());
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Invoice> InvoicingApp::GetInvoice(const std::string& id) {
  STORE_RETURN_IF_ERROR(CheckId("id", id));
  std::optional<v1::Invoice> inv;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    inv = InvoiceStore::Load(tx, id, false);
    return absl::OkStatus();
  }));
  if (!inv.has_value()) return NotFound("invoice", id);
  return *inv;
}

static absl::Status ValidateFilter(const v1::InvoiceFilter& f) {
  if (!f.order_id().empty() && !IsUuid(f.order_id())) return InvalidField("filter.order_id", "must be a UUID");
  if (!f.customer_id().empty() && !IsUuid(f.customer_id())) {
    return InvalidField("filter.customer_id", "must be a UUID");
  }
  for (int i = 0; i < f.statuses_size(); ++i) {
    if (f.statuses(i) == v1::INVOICE_STATUS_UNSPECIFIED || !v1::InvoiceStatus_IsValid(f.statuses(i))) {
      return InvalidField(absl::StrCat("filter.statuses[", i, "]"), "must be issued or cancelled");
    }
  }
  if (!v1::DocumentKind_IsValid(f.kind())) return InvalidField("filter.kind", "must be invoice or credit_note");
  if (f.email().size() > 254) return InvalidField("filter.email", "is too long");
  return absl::OkStatus();
}

absl::StatusOr<v1::ListInvoicesResponse> InvoicingApp::ListInvoices(
    const v1::ListInvoicesRequest& req) {
  STORE_ASSIGN_OR_RETURN(const int size, PageSize(req.page_size()));
  STORE_RETURN_IF_ERROR(ValidateFilter(req.filter()));
  const std::string binding = Fingerprint(req.filter());
  std::optional<KeysetCursor> after;
  if (!req.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(after, DecodePageToken(req.page_token(), binding));
  }
  v1::ListInvoicesResponse resp;
  std::vector<v1::Invoice> rows;
  STORE_RETURN_IF_ERROR(pool_.InTransaction(
      pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) {
        rows = InvoiceStore::List(tx, req.filter(), after, size);
        for (auto& t : InvoiceStore::Totals(tx, req.filter())) *resp.add_totals() = std::move(t);
        return absl::OkStatus();
      }));
  const bool more = static_cast<int>(rows.size()) > size;
  if (more) rows.resize(size);
  for (auto& r : rows) *resp.add_invoices() = std::move(r);
  if (more) {
    const v1::Invoice& last = resp.invoices(resp.invoices_size() - 1);
    resp.set_next_page_token(EncodePageToken(
        {.sort_value = TimeUtil::TimestampToMicroseconds(last.issue_time()), .id = last.id(),
         .sort_text = ""},
        binding));
  }
  return resp;
}

absl::StatusOr<v1::Invoice> InvoicingApp::IssueInvoice(const std::string& order_id) {
  STORE_RETURN_IF_ERROR(CheckId("order_id", order_id));
  std::optional<ov1::Order> order;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    order = InvoiceStore::OrderSnapshot(tx, order_id);
    return absl::OkStatus();
  }));
  if (!order.has_value()) {
    // Not seen on the topic yet: ask the order service.
    STORE_ASSIGN_OR_RETURN(order, lookup_(order_id));
  }
  if (order->status() == ov1::ORDER_STATUS_CANCELLED || order->status() == ov1::ORDER_STATUS_REJECTED) {
    return Precondition("ORDER_VOID", absl::StrCat("order #", order->number(),
                                                   " is cancelled or rejected; it gets no invoice"));
  }
  v1::Invoice result;
  absl::Status s = pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    const absl::Time now = TruncateToMicros(clock_.Now());
    if (auto existing = InvoiceStore::InvoiceOfOrder(tx, order_id, false)) {
      result = *existing;
      return absl::OkStatus();
    }
    STORE_ASSIGN_OR_RETURN(result, IssueIn(tx, *order, SettingsIn(tx), now, std::nullopt));
    Issued().Add({{"kind", "invoice"}}).Increment();
    return absl::OkStatus();
  });
  if (IsExists(s)) {
    // Issued concurrently (by the consumer): return that one.
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
      result = *InvoiceStore::InvoiceOfOrder(tx, order_id, false);
      return absl::OkStatus();
    }));
    return result;
  }
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<v1::Invoice> InvoicingApp::CancelInvoice(const std::string& id,
                                                        const std::string& reason) {
  STORE_RETURN_IF_ERROR(CheckId("id", id));
  if (reason.empty() || reason.size() > 500) return InvalidField("reason", "must be 1..500 characters");
  v1::Invoice result;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    std::optional<v1::Invoice> inv = InvoiceStore::Load(tx, id, true);
    if (!inv.has_value()) return NotFound("invoice", id);
    STORE_RETURN_IF_ERROR(CancelIn(tx, *inv, reason, TruncateToMicros(clock_.Now())));
    result = *inv;
    return absl::OkStatus();
  }));
  Cancelled().Increment();
  return result;
}

absl::StatusOr<v1::InvoicingSettings> InvoicingApp::GetSettings() {
  v1::InvoicingSettings settings;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    settings = SettingsIn(tx);
    return absl::OkStatus();
  }));
  return settings;
}

absl::StatusOr<v1::InvoicingSettings> InvoicingApp::UpdateSettings(
    const v1::UpdateSettingsRequest& req) {
  using google::protobuf::util::FieldMaskUtil;
  for (const std::string& path : req.update_mask().paths()) {
    if (path == "update_time" ||
        !FieldMaskUtil::GetFieldDescriptors(v1::InvoicingSettings::descriptor(), path, nullptr)) {
      return InvalidField("update_mask", absl::StrCat("'", path, "' is not a settings field"));
    }
  }
  v1::InvoicingSettings result;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    v1::InvoicingSettings current = SettingsIn(tx);
    v1::InvoicingSettings incoming = req.settings();
    incoming.clear_update_time();  // output only
    if (req.update_mask().paths().empty()) {
      current = incoming;
    } else {
      FieldMaskUtil::MergeOptions options;
      options.set_replace_message_fields(false);
      options.set_replace_repeated_fields(true);
      FieldMaskUtil::MergeMessageTo(incoming, req.update_mask(), options, &current);
    }
    STORE_RETURN_IF_ERROR(ValidateSettings(current));
    *current.mutable_update_time() =
        TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(clock_.Now()));
    InvoiceStore::SaveSettings(tx, current);
    result = current;
    return absl::OkStatus();
  }));
  return result;
}

absl::Status InvoicingApp::ExportCsv(const v1::InvoiceFilter& filter,
                                     const std::function<bool(const std::string&)>& sink) {
  STORE_RETURN_IF_ERROR(ValidateFilter(filter));
  std::string chunk = CsvRecord({"number", "kind", "status", "order_number", "issue_date",
                                 "due_date", "buyer_name", "buyer_company", "buyer_vat_id",
                                 "buyer_email", "currency", "net", "tax", "total",
                                 "credited_invoice", "reason"});
  auto date = [](const google::protobuf::Timestamp& t) {
    return t.seconds() == 0 ? std::string()
                            : absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(t.seconds()),
                                               absl::UTCTimeZone());
  };
  auto amount = [](const common::v1::Money& m) {
    return FormatDecimal(m.amount_minor(), m.currency_code());  // the currency has its column
  };
  std::optional<KeysetCursor> after;
  while (true) {
    std::vector<v1::Invoice> rows;
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
      rows = InvoiceStore::List(tx, filter, after, 500);
      return absl::OkStatus();
    }));
    const bool more = rows.size() > 500;
    if (more) rows.resize(500);
    for (const v1::Invoice& inv : rows) {
      chunk += CsvRecord(
          {inv.number(), inv.kind() == v1::DOCUMENT_KIND_CREDIT_NOTE ? "credit_note" : "invoice",
           inv.status() == v1::INVOICE_STATUS_CANCELLED ? "cancelled" : "issued",
           absl::StrCat(inv.order_number()), date(inv.issue_time()), date(inv.due_time()),
           inv.buyer().name(), inv.buyer().company(), inv.buyer().vat_id(), inv.buyer().email(),
           inv.currency_code(), amount(inv.net_total()), amount(inv.tax_total()),
           amount(inv.total()), inv.credited_invoice_number(), inv.reason()});
      if (chunk.size() >= 64 * 1024) {
        if (!sink(chunk)) return absl::CancelledError("export cancelled by the client");
        chunk.clear();
      }
    }
    if (!more) break;
    after = KeysetCursor{.sort_value = TimeUtil::TimestampToMicroseconds(rows.back().issue_time()),
                         .id = rows.back().id(), .sort_text = ""};
  }
  if (!chunk.empty() && !sink(chunk)) return absl::CancelledError("export cancelled by the client");
  return absl::OkStatus();
}

absl::StatusOr<InvoicingApp::Document> InvoicingApp::Render(const std::string& id,
                                                            v1::DocumentFormat format) {
  STORE_ASSIGN_OR_RETURN(v1::Invoice inv, GetInvoice(id));
  STORE_ASSIGN_OR_RETURN(v1::InvoicingSettings settings, GetSettings());
  Document doc;
  if (format == v1::DOCUMENT_FORMAT_HTML) {
    doc.content_type = "text/html; charset=utf-8";
    doc.file_name = absl::StrCat(inv.number(), ".html");
    doc.data = RenderInvoiceHtml(inv, settings.footer());
  } else {
    doc.content_type = "application/pdf";
    doc.file_name = absl::StrCat(inv.number(), ".pdf");
    STORE_ASSIGN_OR_RETURN(doc.data, RenderInvoicePdf(inv, settings.footer()));
  }
  return doc;
}

}  // namespace store::invoicing
