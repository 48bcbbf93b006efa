#include "services/order/order_service.h"

#include "libs/grpcx/server.h"
#include "libs/core/status.h"
#include "libs/grpcx/status.h"

namespace store::order {
namespace {

using grpcx::Reply;

}  // namespace

absl::StatusOr<v1::Order> OrderServiceImpl::OwnOrder(const grpcx::CallScope& scope,
                                                     const std::string& id) {
  absl::StatusOr<v1::Order> order = app_.GetOrder(id);
  // Someone else's order does not exist for a customer (never 403).
  if (order.ok() && scope.IsForeign(order->customer().customer_id())) return NotFound("order", id);
  return order;
}

grpc::Status OrderServiceImpl::PlaceOrder(grpc::ServerContext* ctx,
                                          const v1::PlaceOrderRequest* req, v1::Order* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) {
    // ORD-18: the request carries prices, which only trusted callers set
    // (the gateway refuses it first; defence in depth).
    return grpcx::ToGrpcStatus(MakeError(
        absl::StatusCode::kPermissionDenied, "PRICE_NOT_ALLOWED", "items",
        "customers place orders by checking out a cart the storefront priced"));
  }
  return Reply(app_.PlaceOrder(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::GetOrder(grpc::ServerContext* ctx, const v1::GetOrderRequest* req,
                                        v1::Order* resp) {
  grpcx::CallScope scope(*ctx);
  return Reply(OwnOrder(scope, req->id()), resp);
}

grpc::Status OrderServiceImpl::ListOrders(grpc::ServerContext* ctx,
                                          const v1::ListOrdersRequest* req,
                                          v1::ListOrdersResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer() && req->filter().customer_id() != scope.customer_id()) {
    // A customer lists their own orders, whatever the filter says.
    v1::ListOrdersRequest own = *req;
    own.mutable_filter()->set_customer_id(scope.customer_id());
    return Reply(app_.ListOrders(own), resp);
  }
  return Reply(app_.ListOrders(*req), resp);
}

namespace {

// Writes a CSV download's chunks to the stream; the first names its type
// and file.
CsvStream::Sink CsvWriter(grpc::ServerContext* ctx, grpc::ServerWriter<v1::DocumentChunk>* writer,
                          std::string file_name) {
  return [ctx, writer, file_name = std::move(file_name),
          first = true](const std::string& data) mutable {
    v1::DocumentChunk chunk;
    if (first) {
      chunk.set_content_type("text/csv; charset=utf-8");
      chunk.set_file_name(file_name);
      first = false;
    }
    chunk.set_data(data);
    return !ctx->IsCancelled() && writer->Write(chunk);
  };
}

}  // namespace

grpc::Status OrderServiceImpl::ExportOrders(grpc::ServerContext* ctx,
                                            const v1::ExportOrdersRequest* req,
                                            grpc::ServerWriter<v1::DocumentChunk>* writer) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return grpcx::ToGrpcStatus(
      exports_.Export(*req, CsvWriter(ctx, writer, OrderExportApp::FileName(*req))));
}

namespace {

// Writes a rendered document's chunks to the stream.
PackingApp::Sink DocumentWriter(grpc::ServerContext* ctx,
                                grpc::ServerWriter<v1::DocumentChunk>* writer) {
  return [ctx, writer](const std::string& type, const std::string& name, const std::string& data) {
    v1::DocumentChunk chunk;
    chunk.set_content_type(type);
    chunk.set_file_name(name);
    chunk.set_data(data);
    return !ctx->IsCancelled() && writer->Write(chunk);
  };
}

}  // namespace

grpc::Status OrderServiceImpl::RenderPackingSlips(grpc::ServerContext* ctx,
                                                  const v1::RenderPackingSlipsRequest* req,
                                                  grpc::ServerWriter<v1::DocumentChunk>* writer) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return grpcx::ToGrpcStatus(packing_.PackingSlips(*req, DocumentWriter(ctx, writer)));
}

grpc::Status OrderServiceImpl::RenderPickList(grpc::ServerContext* ctx,
                                              const v1::RenderPackingSlipsRequest* req,
                                              grpc::ServerWriter<v1::DocumentChunk>* writer) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return grpcx::ToGrpcStatus(packing_.PickList(*req, DocumentWriter(ctx, writer)));
}

grpc::Status OrderServiceImpl::CountUnprocessedOrders(grpc::ServerContext* ctx,
                                                      const v1::CountUnprocessedOrdersRequest*,
                                                      v1::CountUnprocessedOrdersResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  absl::StatusOr<int64_t> count = app_.CountUnprocessed();
  if (!count.ok()) return grpcx::ToGrpcStatus(count.status());
  resp->set_count(*count);
  return grpc::Status::OK;
}

grpc::Status OrderServiceImpl::RecordPayment(grpc::ServerContext* ctx,
                                             const v1::RecordPaymentRequest* req,
                                             v1::RecordPaymentResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.RecordPayment(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::ReceivePaymentNotification(grpc::ServerContext* ctx,
                                                          const v1::RecordPaymentRequest* req,
                                                          v1::RecordPaymentResponse* resp) {
  grpcx::CallScope scope(*ctx);
  return Reply(app_.RecordPayment(*req, "webhook:" + req->provider()), resp);
}

grpc::Status OrderServiceImpl::ShipOrder(grpc::ServerContext* ctx, const v1::ShipOrderRequest* req,
                                         v1::Order* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ShipOrder(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::CompleteOrder(grpc::ServerContext* ctx,
                                             const v1::CompleteOrderRequest* req,
                                             v1::Order* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.CompleteOrder(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::CancelOrder(grpc::ServerContext* ctx,
                                           const v1::CancelOrderRequest* req, v1::Order* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) {
    absl::StatusOr<v1::Order> own = OwnOrder(scope, req->order_id());
    if (!own.ok()) return grpcx::ToGrpcStatus(own.status());
  }
  return Reply(app_.CancelOrder(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::RejectOrder(grpc::ServerContext* ctx,
                                           const v1::RejectOrderRequest* req, v1::Order* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.RejectOrder(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::RefundOrder(grpc::ServerContext* ctx,
                                           const v1::RefundOrderRequest* req,
                                           v1::RefundOrderResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.RefundOrder(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::AddOrderNote(grpc::ServerContext* ctx,
                                            const v1::AddOrderNoteRequest* req,
                                            v1::OrderNote* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.AddNote(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::ListOrderNotes(grpc::ServerContext* ctx,
                                              const v1::ListOrderNotesRequest* req,
                                              v1::ListOrderNotesResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ListNotes(*req), resp);
}

grpc::Status OrderServiceImpl::ListOrderHistory(grpc::ServerContext* ctx,
                                                const v1::ListOrderHistoryRequest* req,
                                                v1::ListOrderHistoryResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ListHistory(req->order_id()), resp);
}

grpc::Status OrderServiceImpl::ListOrderPayments(grpc::ServerContext* ctx,
                                                 const v1::ListOrderPaymentsRequest* req,
                                                 v1::ListOrderPaymentsResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ListPayments(req->order_id()), resp);
}

grpc::Status OrderServiceImpl::RecordReturn(grpc::ServerContext* ctx,
                                            const v1::RecordReturnRequest* req,
                                            v1::RecordReturnResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.RecordReturn(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::ListOrderReturns(grpc::ServerContext* ctx,
                                                const v1::ListOrderReturnsRequest* req,
                                                v1::ListOrderReturnsResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ListReturns(req->order_id()), resp);
}

grpc::Status OrderServiceImpl::GetOrderSettings(grpc::ServerContext* ctx,
                                                const v1::GetOrderSettingsRequest*,
                                                v1::OrderSettings* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.GetSettings(), resp);
}

grpc::Status OrderServiceImpl::UpdateOrderSettings(grpc::ServerContext* ctx,
                                                   const v1::UpdateOrderSettingsRequest* req,
                                                   v1::OrderSettings* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.UpdateSettings(*req), resp);
}

grpc::Status OrderServiceImpl::EditOrder(grpc::ServerContext* ctx, const v1::EditOrderRequest* req,
                                         v1::OrderEditResult* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.EditOrder(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::PreviewOrderEdit(grpc::ServerContext* ctx,
                                                const v1::EditOrderRequest* req,
                                                v1::OrderEditResult* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.PreviewEdit(*req), resp);
}

grpc::Status OrderServiceImpl::CreateOrderJob(grpc::ServerContext* ctx,
                                              const v1::CreateOrderJobRequest* req,
                                              v1::OrderJob* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(jobs_.Create(*req, scope.actor()), resp);
}

grpc::Status OrderServiceImpl::PreviewOrderJob(grpc::ServerContext* ctx,
                                               const v1::CreateOrderJobRequest* req,
                                               v1::PreviewOrderJobResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(jobs_.Preview(*req), resp);
}

grpc::Status OrderServiceImpl::GetOrderJob(grpc::ServerContext* ctx,
                                           const v1::GetOrderJobRequest* req, v1::OrderJob* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(jobs_.Get(req->job_id()), resp);
}

grpc::Status OrderServiceImpl::ListOrderJobs(grpc::ServerContext* ctx,
                                             const v1::ListOrderJobsRequest* req,
                                             v1::ListOrderJobsResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(jobs_.List(*req), resp);
}

grpc::Status OrderServiceImpl::ListOrderJobItems(grpc::ServerContext* ctx,
                                                 const v1::ListOrderJobItemsRequest* req,
                                                 v1::ListOrderJobItemsResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(jobs_.ListItems(*req), resp);
}

grpc::Status OrderServiceImpl::ExportOrderJobItems(grpc::ServerContext* ctx,
                                                   const v1::ExportOrderJobItemsRequest* req,
                                                   grpc::ServerWriter<v1::DocumentChunk>* writer) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return grpcx::ToGrpcStatus(jobs_.ExportItems(
      req->job_id(), CsvWriter(ctx, writer, OrderJobApp::ExportFileName(req->job_id()))));
}

grpc::Status OrderServiceImpl::UndoOrderJob(grpc::ServerContext* ctx,
                                            const v1::UndoOrderJobRequest* req,
                                            v1::OrderJob* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(jobs_.Undo(*req, scope.actor()), resp);
}

}  // namespace store::order
