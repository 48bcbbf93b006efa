// The gRPC edge of the order service: translates calls to OrderApp use cases
// and absl::Status to grpc::Status. No rules here.
#ifndef STORE_SERVICES_ORDER_ORDER_SERVICE_H_
#define STORE_SERVICES_ORDER_ORDER_SERVICE_H_

#include "libs/grpcx/server.h"
#include "services/order/app/order_app.h"
#include "services/order/app/order_export_app.h"
#include "services/order/app/order_job_app.h"
#include "services/order/app/packing_app.h"
#include "store/order/v1/order_service.grpc.pb.h"

namespace store::order {

class OrderServiceImpl final : public v1::OrderService::Service {
 public:
  OrderServiceImpl(OrderApp& app, OrderExportApp& exports, PackingApp& packing, OrderJobApp& jobs)
      : app_(app), exports_(exports), packing_(packing), jobs_(jobs) {}

  grpc::Status PlaceOrder(grpc::ServerContext* ctx, const v1::PlaceOrderRequest* req,
                          v1::Order* resp) override;
  grpc::Status GetOrder(grpc::ServerContext* ctx, const v1::GetOrderRequest* req,
                        v1::Order* resp) override;
  grpc::Status ListOrders(grpc::ServerContext* ctx, const v1::ListOrdersRequest* req,
                          v1::ListOrdersResponse* resp) override;
  grpc::Status ExportOrders(grpc::ServerContext* ctx, const v1::ExportOrdersRequest* req,
                            grpc::ServerWriter<v1::DocumentChunk>* writer) override;
  grpc::Status RenderPackingSlips(grpc::ServerContext* ctx,
                                  const v1::RenderPackingSlipsRequest* req,
                                  grpc::ServerWriter<v1::DocumentChunk>* writer) override;
  grpc::Status RenderPickList(grpc::ServerContext* ctx, const v1::RenderPackingSlipsRequest* req,
                              grpc::ServerWriter<v1::DocumentChunk>* writer) override;
  grpc::Status CountUnprocessedOrders(grpc::ServerContext* ctx,
                                      const v1::CountUnprocessedOrdersRequest* req,
                                      v1::CountUnprocessedOrdersResponse* resp) override;
  grpc::Status RecordPayment(grpc::ServerContext* ctx, const v1::RecordPaymentRequest* req,
                             v1::RecordPaymentResponse* resp) override;
  grpc::Status ReceivePaymentNotification(grpc::ServerContext* ctx,
                                          const v1::RecordPaymentRequest* req,
                                          v1::RecordPaymentResponse* resp) override;
  grpc::Status ShipOrder(grpc::ServerContext* ctx, const v1::ShipOrderRequest* req,
                         v1::Order* resp) override;
  grpc::Status CompleteOrder(grpc::ServerContext* ctx, const v1::CompleteOrderRequest* req,
                             v1::Order* resp) override;
  grpc::Status CancelOrder(grpc::ServerContext* ctx, const v1::CancelOrderRequest* req,
                           v1::Order* resp) override;
  grpc::Status RejectOrder(grpc::ServerContext* ctx, const v1::RejectOrderRequest* req,
                           v1::Order* resp) override;
  grpc::Status RefundOrder(grpc::ServerContext* ctx, const v1::RefundOrderRequest* req,
                           v1::RefundOrderResponse* resp) override;
  grpc::Status AddOrderNote(grpc::ServerContext* ctx, const v1::AddOrderNoteRequest* req,
                            v1::OrderNote* resp) override;
  grpc::Status ListOrderNotes(grpc::ServerContext* ctx, const v1::ListOrderNotesRequest* req,
                              v1::ListOrderNotesResponse* resp) override;
  grpc::Status ListOrderHistory(grpc::ServerContext* ctx, const v1::ListOrderHistoryRequest* req,
                                v1::ListOrderHistoryResponse* resp) override;
  grpc::Status RecordReturn(grpc::ServerContext* ctx, const v1::RecordReturnRequest* req,
                            v1::RecordReturnResponse* resp) override;
  grpc::Status ListOrderReturns(grpc::ServerContext* ctx, const v1::ListOrderReturnsRequest* req,
                                v1::ListOrderReturnsResponse* resp) override;
  grpc::Status ListOrderPayments(grpc::ServerContext* ctx,
                                 const v1::ListOrderPaymentsRequest* req,
                                 v1::ListOrderPaymentsResponse* resp) override;
  grpc::Status GetOrderSettings(grpc::ServerContext* ctx, const v1::GetOrderSettingsRequest* req,
                                v1::OrderSettings* resp) override;
  grpc::Status UpdateOrderSettings(grpc::ServerContext* ctx,
                                   const v1::UpdateOrderSettingsRequest* req,
                                   v1::OrderSettings* resp) override;
  grpc::Status EditOrder(grpc::ServerContext* ctx, const v1::EditOrderRequest* req,
                         v1::OrderEditResult* resp) override;
  grpc::Status PreviewOrderEdit(grpc::ServerContext* ctx, const v1::EditOrderRequest* req,
                                v1::OrderEditResult* resp) override;
  grpc::Status CreateOrderJob(grpc::ServerContext* ctx, const v1::CreateOrderJobRequest* req,
                              v1::OrderJob* resp) override;
  grpc::Status PreviewOrderJob(grpc::ServerContext* ctx, const v1::CreateOrderJobRequest* req,
                               v1::PreviewOrderJobResponse* resp) override;
  grpc::Status GetOrderJob(grpc::ServerContext* ctx, const v1::GetOrderJobRequest* req,
                           v1::OrderJob* resp) override;
  grpc::Status ListOrderJobs(grpc::ServerContext* ctx, const v1::ListOrderJobsRequest* req,
                             v1::ListOrderJobsResponse* resp) override;
  grpc::Status ListOrderJobItems(grpc::ServerContext* ctx, const v1::ListOrderJobItemsRequest* req,
                                 v1::ListOrderJobItemsResponse* resp) override;
  grpc::Status ExportOrderJobItems(grpc::ServerContext* ctx,
                                   const v1::ExportOrderJobItemsRequest* req,
                                   grpc::ServerWriter<v1::DocumentChunk>* writer) override;
  grpc::Status UndoOrderJob(grpc::ServerContext* ctx, const v1::UndoOrderJobRequest* req,
                            v1::OrderJob* resp) override;

 private:
  // The order, or NOT_FOUND when a customer asks for someone else's.
  absl::StatusOr<v1::Order> OwnOrder(const grpcx::CallScope& scope, const std::string& id);

  OrderApp& app_;
  OrderExportApp& exports_;
  PackingApp& packing_;
  OrderJobApp& jobs_;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_ORDER_SERVICE_H_
