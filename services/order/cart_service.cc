#include "services/order/cart_service.h"

#include "libs/core/status.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"

namespace store::order {
namespace {

using grpcx::Reply;

// Lines carry prices: only trusted callers change them (ORD-18).
grpc::Status PricesAreTrusted() {
  return grpcx::ToGrpcStatus(MakeError(absl::StatusCode::kPermissionDenied, "PRICE_NOT_ALLOWED",
                                       "line",
                                       "cart lines are priced by the storefront server or staff"));
}

}  // namespace

grpc::Status CartServiceImpl::CreateCart(grpc::ServerContext* ctx, const v1::CreateCartRequest* req,
                                         v1::Cart* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return PricesAreTrusted();
  return Reply(app_.CreateCart(*req), resp);
}

grpc::Status CartServiceImpl::GetCart(grpc::ServerContext* ctx, const v1::GetCartRequest* req,
                                      v1::Cart* resp) {
  grpcx::CallScope scope(*ctx);
  return Reply(app_.GetCart(req->id(), scope.customer_id()), resp);
}

grpc::Status CartServiceImpl::ListCarts(grpc::ServerContext* ctx, const v1::ListCartsRequest* req,
                                        v1::ListCartsResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer() && req->filter().customer_id() != scope.customer_id()) {
    v1::ListCartsRequest own = *req;  // a customer lists their own carts
    own.mutable_filter()->set_customer_id(scope.customer_id());
    return Reply(app_.ListCarts(own), resp);
  }
  return Reply(app_.ListCarts(*req), resp);
}

grpc::Status CartServiceImpl::AddCartLine(grpc::ServerContext* ctx,
                                          const v1::AddCartLineRequest* req, v1::Cart* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return PricesAreTrusted();
  return Reply(app_.AddLine(*req), resp);
}

grpc::Status CartServiceImpl::UpdateCartLine(grpc::ServerContext* ctx,
                                             const v1::UpdateCartLineRequest* req, v1::Cart* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return PricesAreTrusted();
  return Reply(app_.UpdateLine(*req), resp);
}

grpc::Status CartServiceImpl::RemoveCartLine(grpc::ServerContext* ctx,
                                             const v1::RemoveCartLineRequest* req, v1::Cart* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return PricesAreTrusted();
  return Reply(app_.RemoveLine(*req), resp);
}

grpc::Status CartServiceImpl::UpdateCart(grpc::ServerContext* ctx, const v1::UpdateCartRequest* req,
                                         v1::Cart* resp) {
  grpcx::CallScope scope(*ctx);
  return Reply(app_.UpdateCart(*req, scope.customer_id()), resp);
}

grpc::Status CartServiceImpl::CheckoutCart(grpc::ServerContext* ctx,
                                           const v1::CheckoutCartRequest* req, v1::Order* resp) {
  grpcx::CallScope scope(*ctx);
  return Reply(app_.Checkout(*req, scope.customer_id(), scope.actor()), resp);
}

grpc::Status CartServiceImpl::RecoverCart(grpc::ServerContext* ctx,
                                          const v1::RecoverCartRequest* req, v1::Cart* resp) {
  grpcx::CallScope scope(*ctx);  // the token is the authorisation
  return Reply(app_.Recover(req->token()), resp);
}

grpc::Status DiscountCodeServiceImpl::CreateDiscountCode(grpc::ServerContext* ctx,
                                                         const v1::CreateDiscountCodeRequest* req,
                                                         v1::DiscountCode* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.CreateCode(*req), resp);
}

grpc::Status DiscountCodeServiceImpl::GetDiscountCode(grpc::ServerContext* ctx,
                                                      const v1::GetDiscountCodeRequest* req,
                                                      v1::DiscountCode* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.GetCode(req->id()), resp);
}

grpc::Status DiscountCodeServiceImpl::ListDiscountCodes(grpc::ServerContext* ctx,
                                                        const v1::ListDiscountCodesRequest* req,
                                                        v1::ListDiscountCodesResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ListCodes(*req), resp);
}

grpc::Status DiscountCodeServiceImpl::UpdateDiscountCode(grpc::ServerContext* ctx,
                                                         const v1::UpdateDiscountCodeRequest* req,
                                                         v1::DiscountCode* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.UpdateCode(*req), resp);
}

}  // namespace store::order
