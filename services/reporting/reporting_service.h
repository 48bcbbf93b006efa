// The gRPC edge of the reporting service: translates calls to ReportingApp
// and absl::Status to grpc::Status. Every report is staff data: a customer
// identity is refused (the gateway routes reports to staff and marketing).
#ifndef STORE_SERVICES_REPORTING_REPORTING_SERVICE_H_
#define STORE_SERVICES_REPORTING_REPORTING_SERVICE_H_

#include "libs/grpcx/server.h"
#include "services/reporting/app/rebuild.h"
#include "services/reporting/app/reporting_app.h"
#include "store/reporting/v1/reporting_service.grpc.pb.h"

namespace store::reporting {

class ReportingServiceImpl final : public v1::ReportingService::Service {
 public:
  ReportingServiceImpl(ReportingApp& app, Rebuilder& rebuilder)
      : app_(app), rebuilder_(rebuilder) {}

  using Writer = grpc::ServerWriter<v1::DocumentChunk>;

  grpc::Status GetSalesReport(grpc::ServerContext* ctx, const v1::GetSalesReportRequest* req,
                              v1::SalesReport* resp) override;
  grpc::Status ExportSalesReport(grpc::ServerContext* ctx, const v1::GetSalesReportRequest* req,
                                 Writer* writer) override;
  grpc::Status GetProductsReport(grpc::ServerContext* ctx, const v1::GetProductsReportRequest* req,
                                 v1::ProductsReport* resp) override;
  grpc::Status ExportProductsReport(grpc::ServerContext* ctx,
                                    const v1::GetProductsReportRequest* req,
                                    Writer* writer) override;
  grpc::Status GetCustomersReport(grpc::ServerContext* ctx,
                                  const v1::GetCustomersReportRequest* req,
                                  v1::CustomersReport* resp) override;
  grpc::Status ExportCustomersReport(grpc::ServerContext* ctx,
                                     const v1::GetCustomersReportRequest* req,
                                     Writer* writer) override;
  grpc::Status GetPaymentsReport(grpc::ServerContext* ctx, const v1::GetPaymentsReportRequest* req,
                                 v1::PaymentsReport* resp) override;
  grpc::Status ExportPaymentsReport(grpc::ServerContext* ctx,
                                    const v1::GetPaymentsReportRequest* req,
                                    Writer* writer) override;
  grpc::Status GetNewsletterReport(grpc::ServerContext* ctx,
                                   const v1::GetNewsletterReportRequest* req,
                                   v1::NewsletterReport* resp) override;
  grpc::Status ExportNewsletterReport(grpc::ServerContext* ctx,
                                      const v1::GetNewsletterReportRequest* req,
                                      Writer* writer) override;
  grpc::Status GetCohortsReport(grpc::ServerContext* ctx, const v1::GetCohortsReportRequest* req,
                                v1::CohortsReport* resp) override;
  grpc::Status ExportCohortsReport(grpc::ServerContext* ctx, const v1::GetCohortsReportRequest* req,
                                   Writer* writer) override;
  grpc::Status ListReportOrders(grpc::ServerContext* ctx, const v1::ListReportOrdersRequest* req,
                                v1::ListReportOrdersResponse* resp) override;
  grpc::Status StartRebuild(grpc::ServerContext* ctx, const v1::StartRebuildRequest* req,
                            v1::Rebuild* resp) override;
  grpc::Status GetRebuild(grpc::ServerContext* ctx, const v1::GetRebuildRequest* req,
                          v1::Rebuild* resp) override;
  grpc::Status RenderReportChart(grpc::ServerContext* ctx, const v1::RenderReportChartRequest* req,
                                 Writer* writer) override;

 private:
  ReportingApp& app_;
  Rebuilder& rebuilder_;
};

}  // namespace store::reporting

#endif  // STORE_SERVICES_REPORTING_REPORTING_SERVICE_H_
