// The gRPC edge of carts and discount codes: translates calls to CartApp use
// cases and absl::Status to grpc::Status. A customer caller (x-customer-id)
// reaches only their own carts and never a price (ORD-18).
#ifndef STORE_SERVICES_ORDER_CART_SERVICE_H_
#define STORE_SERVICES_ORDER_CART_SERVICE_H_

#include "services/order/app/cart_app.h"
#include "store/order/v1/cart_service.grpc.pb.h"

namespace store::order {

class CartServiceImpl final : public v1::CartService::Service {
 public:
  explicit CartServiceImpl(CartApp& app) : app_(app) {}

  grpc::Status CreateCart(grpc::ServerContext* ctx, const v1::CreateCartRequest* req,
                          v1::Cart* resp) override;
  grpc::Status GetCart(grpc::ServerContext* ctx, const v1::GetCartRequest* req,
                       v1::Cart* resp) override;
  grpc::Status ListCarts(grpc::ServerContext* ctx, const v1::ListCartsRequest* req,
                         v1::ListCartsResponse* resp) override;
  grpc::Status AddCartLine(grpc::ServerContext* ctx, const v1::AddCartLineRequest* req,
                           v1::Cart* resp) override;
  grpc::Status UpdateCartLine(grpc::ServerContext* ctx, const v1::UpdateCartLineRequest* req,
                              v1::Cart* resp) override;
  grpc::Status RemoveCartLine(grpc::ServerContext* ctx, const v1::RemoveCartLineRequest* req,
                              v1::Cart* resp) override;
  grpc::Status UpdateCart(grpc::ServerContext* ctx, const v1::UpdateCartRequest* req,
                          v1::Cart* resp) override;
  grpc::Status CheckoutCart(grpc::ServerContext* ctx, const v1::CheckoutCartRequest* req,
                            v1::Order* resp) override;
  grpc::Status RecoverCart(grpc::ServerContext* ctx, const v1::RecoverCartRequest* req,
                           v1::Cart* resp) override;

 private:
  CartApp& app_;
};

class DiscountCodeServiceImpl final : public v1::DiscountCodeService::Service {
 public:
  explicit DiscountCodeServiceImpl(CartApp& app) : app_(app) {}

  grpc::Status CreateDiscountCode(grpc::ServerContext* ctx,
                                  const v1::CreateDiscountCodeRequest* req,
                                  v1::DiscountCode* resp) override;
  grpc::Status GetDiscountCode(grpc::ServerContext* ctx, const v1::GetDiscountCodeRequest* req,
                               v1::DiscountCode* resp) override;
  grpc::Status ListDiscountCodes(grpc::ServerContext* ctx, const v1::ListDiscountCodesRequest* req,
                                 v1::ListDiscountCodesResponse* resp) override;
  grpc::Status UpdateDiscountCode(grpc::ServerContext* ctx,
                                  const v1::UpdateDiscountCodeRequest* req,
                                  v1::DiscountCode* resp) override;

 private:
  CartApp& app_;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_CART_SERVICE_H_
