#include "services/reporting/reporting_service.h"

#include <functional>

#include "libs/grpcx/status.h"

namespace store::reporting {
namespace {

using grpcx::Reply;

// Runs a streamed download, writing the first chunk with its content type
// and file name.
grpc::Status Stream(grpc::ServerContext* ctx, ReportingServiceImpl::Writer* writer,
                    const std::function<absl::Status(Download*, const Sink&)>& run) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  Download download;
  bool first = true;
  absl::Status s = run(&download, [&](const std::string& data) {
    v1::DocumentChunk chunk;
    if (first) {
      chunk.set_content_type(download.content_type);
      chunk.set_file_name(download.file_name);
      first = false;
    }
    chunk.set_data(data);
    return !ctx->IsCancelled() && writer->Write(chunk);
  });
  return grpcx::ToGrpcStatus(s);
}

}  // namespace

#define STORE_REPORT(Method, Request, Response, call)                                         \
  grpc::Status ReportingServiceImpl::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                            v1::Response* resp) {                             \
    grpcx::CallScope scope(*ctx);                                                             \
    if (scope.is_customer()) return grpcx::StaffOnly();                                       \
    return Reply(app_.call(*req), resp);                                                      \
  }
#define STORE_EXPORT(Method, Request, call)                                                   \
  grpc::Status ReportingServiceImpl::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                            Writer* writer) {                                 \
    return Stream(ctx, writer, [&](Download* download, const Sink& sink) {                    \
      return app_.call(*req, download, sink);                                                 \
    });                                                                                       \
  }

STORE_REPORT(GetSalesReport, GetSalesReportRequest, SalesReport, Sales)
STORE_REPORT(GetProductsReport, GetProductsReportRequest, ProductsReport, Products)
STORE_REPORT(GetCustomersReport, GetCustomersReportRequest, CustomersReport, Customers)
STORE_REPORT(GetPaymentsReport, GetPaymentsReportRequest, PaymentsReport, Payments)
STORE_REPORT(GetNewsletterReport, GetNewsletterReportRequest, NewsletterReport, Newsletter)
STORE_REPORT(GetCohortsReport, GetCohortsReportRequest, CohortsReport, Cohorts)
STORE_REPORT(ListReportOrders, ListReportOrdersRequest, ListReportOrdersResponse, ListOrders)
STORE_EXPORT(ExportSalesReport, GetSalesReportRequest, ExportSales)
STORE_EXPORT(ExportProductsReport, GetProductsReportRequest, ExportProducts)
STORE_EXPORT(ExportCustomersReport, GetCustomersReportRequest, ExportCustomers)
STORE_EXPORT(ExportPaymentsReport, GetPaymentsReportRequest, ExportPayments)
STORE_EXPORT(ExportNewsletterReport, GetNewsletterReportRequest, ExportNewsletter)
STORE_EXPORT(ExportCohortsReport, GetCohortsReportRequest, ExportCohorts)
STORE_EXPORT(RenderReportChart, RenderReportChartRequest, RenderChart)

grpc::Status ReportingServiceImpl::StartRebuild(grpc::ServerContext* ctx,
                                                const v1::StartRebuildRequest* req,
                                                v1::Rebuild* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(rebuilder_.Start(*req), resp);
}

grpc::Status ReportingServiceImpl::GetRebuild(grpc::ServerContext* ctx,
                                              const v1::GetRebuildRequest* req, v1::Rebuild* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(rebuilder_.Get(req->id().empty() ? "latest" : req->id()), resp);
}

#undef STORE_REPORT
#undef STORE_EXPORT

}  // namespace store::reporting
