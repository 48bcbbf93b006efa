#include "services/invoicing/invoicing_service.h"

#include "libs/core/download.h"
#include "libs/core/status.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"

namespace store::invoicing {
namespace {

using grpcx::Reply;

}  // namespace

absl::StatusOr<v1::Invoice> InvoicingServiceImpl::OwnInvoice(const grpcx::CallScope& scope,
                                                             const std::string& id) {
  absl::StatusOr<v1::Invoice> invoice = app_.GetInvoice(id);
  // Someone else's invoice does not exist for a customer (never 403).
  if (invoice.ok() && scope.IsForeign(invoice->customer_id())) return NotFound("invoice", id);
  return invoice;
}

grpc::Status InvoicingServiceImpl::GetInvoice(grpc::ServerContext* ctx,
                                              const v1::GetInvoiceRequest* req, v1::Invoice* resp) {
  grpcx::CallScope scope(*ctx);
  return Reply(OwnInvoice(scope, req->id()), resp);
}

grpc::Status InvoicingServiceImpl::ListInvoices(grpc::ServerContext* ctx,
                                                const v1::ListInvoicesRequest* req,
                                                v1::ListInvoicesResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer() && req->filter().customer_id() != scope.customer_id()) {
    // A customer lists their own invoices, whatever the filter says.
    v1::ListInvoicesRequest own = *req;
    own.mutable_filter()->set_customer_id(scope.customer_id());
    return Reply(app_.ListInvoices(own), resp);
  }
  return Reply(app_.ListInvoices(*req), resp);
}

grpc::Status InvoicingServiceImpl::IssueInvoice(grpc::ServerContext* ctx,
                                                const v1::IssueInvoiceRequest* req,
                                                v1::Invoice* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.IssueInvoice(req->order_id()), resp);
}

grpc::Status InvoicingServiceImpl::CancelInvoice(grpc::ServerContext* ctx,
                                                 const v1::CancelInvoiceRequest* req,
                                                 v1::Invoice* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.CancelInvoice(req->id(), req->reason()), resp);
}

grpc::Status InvoicingServiceImpl::RenderInvoice(grpc::ServerContext* ctx,
                                                 const v1::RenderInvoiceRequest* req,
                                                 grpc::ServerWriter<v1::DocumentChunk>* writer) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) {
    absl::StatusOr<v1::Invoice> own = OwnInvoice(scope, req->id());
    if (!own.ok()) return grpcx::ToGrpcStatus(own.status());
  }
  absl::StatusOr<InvoicingApp::Document> doc = app_.Render(req->id(), req->format());
  if (!doc.ok()) return grpcx::ToGrpcStatus(doc.status());
  bool first = true;
  return grpcx::ToGrpcStatus(SendInChunks(doc->data, [&](const std::string& data) {
    v1::DocumentChunk chunk;
    if (first) {
      chunk.set_content_type(doc->content_type);
      chunk.set_file_name(doc->file_name);
      first = false;
    }
    chunk.set_data(data);
    return writer->Write(chunk);
  }));
}

grpc::Status InvoicingServiceImpl::ExportInvoices(grpc::ServerContext* ctx,
                                                  const v1::ExportInvoicesRequest* req,
                                                  grpc::ServerWriter<v1::DocumentChunk>* writer) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  bool first = true;
  absl::Status s = app_.ExportCsv(req->filter(), [&](const std::string& data) {
    v1::DocumentChunk chunk;
    if (first) {
      chunk.set_content_type("text/csv; charset=utf-8");
      chunk.set_file_name("invoices.csv");
      first = false;
    }
    chunk.set_data(data);
    return !ctx->IsCancelled() && writer->Write(chunk);
  });
  return grpcx::ToGrpcStatus(s);
}

grpc::Status InvoicingServiceImpl::GetSettings(grpc::ServerContext* ctx,
                                               const v1::GetSettingsRequest*,
                                               v1::InvoicingSettings* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.GetSettings(), resp);
}

grpc::Status InvoicingServiceImpl::UpdateSettings(grpc::ServerContext* ctx,
                                                  const v1::UpdateSettingsRequest* req,
                                                  v1::InvoicingSettings* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.UpdateSettings(*req), resp);
}

}  // namespace store::invoicing
