// The gRPC edge of the invoicing service: translates calls to InvoicingApp
// use cases and absl::Status to grpc::Status. No rules here.
#ifndef STORE_SERVICES_INVOICING_INVOICING_SERVICE_H_
#define STORE_SERVICES_INVOICING_INVOICING_SERVICE_H_

#include "libs/grpcx/server.h"
#include "services/invoicing/app/invoicing_app.h"
#include "store/invoicing/v1/invoicing_service.grpc.pb.h"

namespace store::invoicing {

class InvoicingServiceImpl final : public v1::InvoicingService::Service {
 public:
  explicit InvoicingServiceImpl(InvoicingApp& app) : app_(app) {}

  grpc::Status GetInvoice(grpc::ServerContext* ctx, const v1::GetInvoiceRequest* req,
                          v1::Invoice* resp) override;
  grpc::Status ListInvoices(grpc::ServerContext* ctx, const v1::ListInvoicesRequest* req,
                            v1::ListInvoicesResponse* resp) override;
  grpc::Status IssueInvoice(grpc::ServerContext* ctx, const v1::IssueInvoiceRequest* req,
                            v1::Invoice* resp) override;
  grpc::Status CancelInvoice(grpc::ServerContext* ctx, const v1::CancelInvoiceRequest* req,
                             v1::Invoice* resp) override;
  grpc::Status RenderInvoice(grpc::ServerContext* ctx, const v1::RenderInvoiceRequest* req,
                             grpc::ServerWriter<v1::DocumentChunk>* writer) override;
  grpc::Status ExportInvoices(grpc::ServerContext* ctx, const v1::ExportInvoicesRequest* req,
                              grpc::ServerWriter<v1::DocumentChunk>* writer) override;
  grpc::Status GetSettings(grpc::ServerContext* ctx, const v1::GetSettingsRequest* req,
                           v1::InvoicingSettings* resp) override;
  grpc::Status UpdateSettings(grpc::ServerContext* ctx, const v1::UpdateSettingsRequest* req,
                              v1::InvoicingSettings* resp) override;

 private:
  // The invoice, or NOT_FOUND when a customer asks for someone else's.
  absl::StatusOr<v1::Invoice> OwnInvoice(const grpcx::CallScope& scope, const std::string& id);

  InvoicingApp& app_;
};

}  // namespace store::invoicing

#endif  // STORE_SERVICES_INVOICING_INVOICING_SERVICE_H_
