// Carts, storefront checkout and discount codes (ORD-12, ORD-17, ORD-19)
// against real PostgreSQL and the broker, over real gRPC.
#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/grpcx/status.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

using ::testing::HasSubstr;

const char kAnn[] = "5b0f7e2a-3c1d-4e8f-9a6b-1c2d3e4f5a6b";
const char kBob[] = "6c1a8f3b-4d2e-4f9a-8b7c-2d3e4f5a6b7c";

class OrderCartTest : public OrderServiceFixture {
 protected:
  static std::unique_ptr<grpc::ClientContext> CustomerCtx(const std::string& id) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-actor", "customer:" + id);
    ctx->AddMetadata("x-role", "customer");
    ctx->AddMetadata("x-customer-id", id);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  static v1::CartLine Line(const std::string& sku, int quantity, int64_t price) {
    v1::CartLine line;
    line.set_sku(sku);
    line.set_name("Product " + sku);
    line.set_quantity(quantity);
    line.mutable_unit_price()->set_amount_minor(price);
    line.mutable_unit_price()->set_currency_code("USD");
    return line;
  }

  static common::v1::Address Address() {
    common::v1::Address a;
    a.set_name("Ann Lee");
    a.set_line1("1 Main St");
    a.set_city("Springfield");
    a.set_country_code("US");
    return a;
  }

  grpc::Status TryCreate(const v1::Cart& cart, v1::Cart* out,
                         const std::string& request_id = NewUuid()) {
    v1::CreateCartRequest r;
    r.set_request_id(request_id);
    *r.mutable_cart() = cart;
    return cart_stub_->CreateCart(Ctx().get(), r, out);
  }

  // A guest cart (or `customer_id`'s) with two lines, ready to check out:
  // 2 x 12.50 + 1 x 20.00, standard delivery 5.00.
  v1::Cart ReadyCart(const std::string& customer_id = "", const std::string& code = "") {
    v1::Cart in;
    in.set_customer_id(customer_id);
    in.set_email("ann@example.com");
    *in.add_lines() = Line("MUG-1", 2, 1250);
    *in.add_lines() = Line("TEE-1", 1, 2000);
    *in.mutable_shipping_address() = Address();
    in.mutable_delivery_method()->set_code("standard");
    in.mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
    in.set_discount_code(code);
    v1::Cart cart;
    grpc::Status s = TryCreate(in, &cart);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return cart;
  }

  grpc::Status TryCheckout(const std::string& cart_id, v1::Order* out,
                           const std::string& request_id = NewUuid(),
                           std::unique_ptr<grpc::ClientContext> ctx = nullptr) {
    v1::CheckoutCartRequest r;
    r.set_cart_id(cart_id);
    r.set_request_id(request_id);
    r.set_payment_method(v1::PAYMENT_METHOD_CARD);
    if (ctx == nullptr) ctx = Ctx();
    return cart_stub_->CheckoutCart(ctx.get(), r, out);
  }

  v1::Cart Get(const std::string& id) {
    v1::GetCartRequest r;
    r.set_id(id);
    v1::Cart cart;
    grpc::Status s = cart_stub_->GetCart(Ctx().get(), r, &cart);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return cart;
  }

  v1::DiscountCode CreateCode(const std::string& code, int percent_bp, int usage_limit = 0) {
    v1::CreateDiscountCodeRequest r;
    r.mutable_discount_code()->set_code(code);
    r.mutable_discount_code()->set_description("Test code");
    r.mutable_discount_code()->set_percent_bp(percent_bp);
    r.mutable_discount_code()->set_usage_limit(usage_limit);
    v1::DiscountCode out;
    grpc::Status s = code_stub_->CreateDiscountCode(Ctx().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

};

TEST_F(OrderCartTest, TheStorefrontBuildsAGuestCartAndChecksItOut) {
  v1::Cart in;
  in.set_email("Ann@Example.com");
  v1::Cart cart;
  ASSERT_TRUE(TryCreate(in, &cart).ok());
  EXPECT_EQ(cart.state(), v1::CART_STATE_OPEN);
  EXPECT_EQ(cart.currency_code(), "USD");
  EXPECT_EQ(cart.email(), "ann@example.com");

  auto add = [&](const v1::CartLine& line) {
    v1::AddCartLineRequest r;
    r.set_cart_id(cart.id());
    *r.mutable_line() = line;
    grpc::Status s = cart_stub_->AddCartLine(Ctx().get(), r, &cart);
    EXPECT_TRUE(s.ok()) << s.error_message();
  };
  add(Line("MUG-1", 1, 1250));
  add(Line("TEE-1", 1, 2000));
  add(Line("MUG-1", 1, 1250));  // the same sku: one line of 2
  ASSERT_EQ(cart.lines_size(), 2);
  EXPECT_EQ(cart.lines(0).quantity(), 2);
  add(Line("CAP-1", 3, 900));
  v1::RemoveCartLineRequest remove;
  remove.set_cart_id(cart.id());
  remove.set_line_id(cart.lines(2).id());
  ASSERT_TRUE(cart_stub_->RemoveCartLine(Ctx().get(), remove, &cart).ok());
  v1::UpdateCartLineRequest change;
  change.set_cart_id(cart.id());
  change.mutable_line()->set_id(cart.lines(1).id());
  change.mutable_line()->set_quantity(2);
  ASSERT_TRUE(cart_stub_->UpdateCartLine(Ctx().get(), change, &cart).ok());
  EXPECT_EQ(cart.lines(1).quantity(), 2);

  v1::UpdateCartRequest update;
  update.mutable_cart()->set_id(cart.id());
  *update.mutable_cart()->mutable_shipping_address() = Address();
  update.mutable_cart()->mutable_delivery_method()->set_code("standard");
  update.mutable_cart()->mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
  update.mutable_cart()->set_note("Gift wrap, please");
  for (const char* p : {"shipping_address", "delivery_method", "note"}) {
    update.mutable_update_mask()->add_paths(p);
  }
  ASSERT_TRUE(cart_stub_->UpdateCart(Ctx().get(), update, &cart).ok());
  // 2 x 12.50 + 2 x 20.00 + 5.00 delivery.
  EXPECT_EQ(cart.totals().subtotal().amount_minor(), 6500);
  EXPECT_EQ(cart.totals().total().amount_minor(), 7000);
  EXPECT_EQ(Get(cart.id()).version(), cart.version());

  const std::string request_id = NewUuid();
  v1::Order order;
  grpc::Status s = TryCheckout(cart.id(), &order, request_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(order.cart_id(), cart.id());
  EXPECT_EQ(order.status(), v1::ORDER_STATUS_PENDING);
  EXPECT_EQ(order.totals().total().amount_minor(), 7000);
  EXPECT_EQ(order.customer().email(), "ann@example.com");
  EXPECT_EQ(order.customer().name(), "Ann Lee");
  EXPECT_EQ(order.customer_note(), "Gift wrap, please");
  ASSERT_EQ(order.items_size(), 2);
  v1::Cart converted = Get(cart.id());
  EXPECT_EQ(converted.state(), v1::CART_STATE_CONVERTED);
  EXPECT_EQ(converted.order_id(), order.id());
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE event_type LIKE '%OrderPlaced'"), 1);

  // A retry is the same order; another checkout of the cart is refused.
  v1::Order again;
  ASSERT_TRUE(TryCheckout(cart.id(), &again, request_id).ok());
  EXPECT_EQ(again.id(), order.id());
  s = TryCheckout(cart.id(), &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "CART_CONVERTED");
  v1::AddCartLineRequest late;
  late.set_cart_id(cart.id());
  *late.mutable_line() = Line("LATE-1", 1, 100);
  s = cart_stub_->AddCartLine(Ctx().get(), late, &cart);
  EXPECT_EQ(ReasonOf(s), "CART_CONVERTED");
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);
}

TEST_F(OrderCartTest, BadInputNamesTheFieldAndChangesNothing) {
  v1::Cart cart = ReadyCart();
  const int64_t version = cart.version();
  v1::Cart out;
  auto add = [&](const v1::CartLine& line) {
    v1::AddCartLineRequest r;
    r.set_cart_id(cart.id());
    *r.mutable_line() = line;
    return cart_stub_->AddCartLine(Ctx().get(), r, &out);
  };
  grpc::Status s = add(Line("A", 0, 100));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "line.quantity");
  s = add(Line("A", 10001, 100));
  EXPECT_EQ(FieldOf(s), "line.quantity");
  v1::CartLine euro = Line("A", 1, 100);
  euro.mutable_unit_price()->set_currency_code("EUR");
  s = add(euro);
  EXPECT_EQ(FieldOf(s), "line.unit_price.currency_code");
  EXPECT_THAT(s.error_message(), HasSubstr("USD"));
  v1::UpdateCartLineRequest change;
  change.set_cart_id(cart.id());
  change.mutable_line()->set_id(NewUuid());
  change.mutable_line()->set_quantity(1);
  s = cart_stub_->UpdateCartLine(Ctx().get(), change, &out);
  EXPECT_EQ(FieldOf(s), "line.id");
  v1::RemoveCartLineRequest remove;
  remove.set_cart_id(cart.id());
  remove.set_line_id("nope");
  EXPECT_EQ(FieldOf(cart_stub_->RemoveCartLine(Ctx().get(), remove, &out)), "line_id");
  v1::GetCartRequest get;
  get.set_id(NewUuid());
  EXPECT_EQ(cart_stub_->GetCart(Ctx().get(), get, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(cart.id()).version(), version);

  // Empty and incomplete carts cannot be checked out.
  v1::Cart empty;
  ASSERT_TRUE(TryCreate(empty, &empty).ok());
  v1::Order order;
  EXPECT_EQ(ReasonOf(TryCheckout(empty.id(), &order)), "CART_EMPTY");
  v1::Cart no_address;
  no_address.set_email("bo@example.com");
  *no_address.add_lines() = Line("A", 1, 100);
  ASSERT_TRUE(TryCreate(no_address, &no_address).ok());
  s = TryCheckout(no_address.id(), &order);
  EXPECT_EQ(ReasonOf(s), "CHECKOUT_INCOMPLETE");
  EXPECT_EQ(FieldOf(s), "cart.shipping_address");
  EXPECT_EQ(FieldOf(TryCheckout(cart.id(), &order, "not-a-uuid")), "request_id");
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), 0);
}

TEST_F(OrderCartTest, AnExpiredCartIsClosed) {
  v1::Cart cart = ReadyCart();
  clock_.Advance(absl::Hours(24 * 90) + absl::Seconds(1));  // the default retention
  v1::Order order;
  grpc::Status s = TryCheckout(cart.id(), &order);
  EXPECT_EQ(ReasonOf(s), "CART_EXPIRED");
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 0);
}

TEST_F(OrderCartTest, ACustomerReachesOnlyTheirOwnCartsAndNeverAPrice) {
  v1::Cart ann = ReadyCart(kAnn);
  v1::Cart bob = ReadyCart(kBob);
  v1::Cart guest = ReadyCart();
  v1::Cart out;
  v1::GetCartRequest get;
  get.set_id(bob.id());
  EXPECT_EQ(cart_stub_->GetCart(CustomerCtx(kAnn).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.set_id(guest.id());
  EXPECT_EQ(cart_stub_->GetCart(CustomerCtx(kAnn).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.set_id(ann.id());
  ASSERT_TRUE(cart_stub_->GetCart(CustomerCtx(kAnn).get(), get, &out).ok());

  v1::ListCartsRequest list;
  list.mutable_filter()->set_customer_id(kBob);
  v1::ListCartsResponse listed;
  ASSERT_TRUE(cart_stub_->ListCarts(CustomerCtx(kAnn).get(), list, &listed).ok());
  ASSERT_EQ(listed.carts_size(), 1);
  EXPECT_EQ(listed.carts(0).id(), ann.id());

  v1::UpdateCartRequest update;
  update.mutable_cart()->set_id(ann.id());
  update.mutable_cart()->set_email("ann.lee@example.com");
  update.mutable_update_mask()->add_paths("email");
  ASSERT_TRUE(cart_stub_->UpdateCart(CustomerCtx(kAnn).get(), update, &out).ok());
  EXPECT_EQ(out.email(), "ann.lee@example.com");
  update.mutable_cart()->set_id(bob.id());
  EXPECT_EQ(cart_stub_->UpdateCart(CustomerCtx(kAnn).get(), update, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  update.mutable_cart()->set_id(ann.id());
  update.mutable_cart()->mutable_delivery_method()->set_code("free");
  update.mutable_update_mask()->add_paths("delivery_method");
  grpc::Status s = cart_stub_->UpdateCart(CustomerCtx(kAnn).get(), update, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(FieldOf(s), "update_mask");

  v1::AddCartLineRequest add;
  add.set_cart_id(ann.id());
  *add.mutable_line() = Line("FREE-1", 1, 0);
  s = cart_stub_->AddCartLine(CustomerCtx(kAnn).get(), add, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(s), "PRICE_NOT_ALLOWED");
  v1::CreateCartRequest create;
  create.set_request_id(NewUuid());
  EXPECT_EQ(cart_stub_->CreateCart(CustomerCtx(kAnn).get(), create, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::Cart unchanged = Get(ann.id());
  EXPECT_EQ(unchanged.lines_size(), 2);
  EXPECT_EQ(unchanged.delivery_method().code(), "standard");

  // Ann checks out her own cart, never Bob's.
  v1::Order order;
  EXPECT_EQ(TryCheckout(bob.id(), &order, NewUuid(), CustomerCtx(kAnn)).error_code(),
            grpc::StatusCode::NOT_FOUND);
  s = TryCheckout(ann.id(), &order, NewUuid(), CustomerCtx(kAnn));
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(order.customer().customer_id(), kAnn);
  EXPECT_EQ(order.totals().total().amount_minor(), 5000);
}

TEST_F(OrderCartTest, DiscountCodesAreManagedAppliedAndCheckedAgainAtCheckout) {
  v1::DiscountCode ten = CreateCode("ten-off", 1000);
  EXPECT_EQ(ten.code(), "TEN-OFF");
  v1::CreateDiscountCodeRequest dup;
  dup.mutable_discount_code()->set_code("TEN-OFF");
  dup.mutable_discount_code()->set_percent_bp(500);
  v1::DiscountCode out;
  EXPECT_EQ(code_stub_->CreateDiscountCode(Ctx().get(), dup, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::CreateDiscountCodeRequest fixed;
  fixed.mutable_discount_code()->set_code("FIVE");
  fixed.mutable_discount_code()->mutable_amount()->set_amount_minor(500);
  fixed.mutable_discount_code()->mutable_minimum_subtotal()->set_amount_minor(10000);
  ASSERT_TRUE(code_stub_->CreateDiscountCode(Ctx().get(), fixed, &out).ok());
  v1::ListDiscountCodesRequest list;
  v1::ListDiscountCodesResponse codes;
  ASSERT_TRUE(code_stub_->ListDiscountCodes(Ctx().get(), list, &codes).ok());
  ASSERT_EQ(codes.discount_codes_size(), 2);
  EXPECT_EQ(codes.discount_codes(0).code(), "FIVE");

  // Unknown and unmet codes are refused when set; nothing changes.
  v1::Cart cart = ReadyCart();
  v1::UpdateCartRequest update;
  update.mutable_cart()->set_id(cart.id());
  update.mutable_cart()->set_discount_code("NOPE");
  update.mutable_update_mask()->add_paths("discount_code");
  v1::Cart changed;
  EXPECT_EQ(ReasonOf(cart_stub_->UpdateCart(Ctx().get(), update, &changed)),
            "DISCOUNT_CODE_UNKNOWN");
  update.mutable_cart()->set_discount_code("five");
  EXPECT_EQ(ReasonOf(cart_stub_->UpdateCart(Ctx().get(), update, &changed)),
            "DISCOUNT_CODE_MINIMUM_NOT_MET");
  EXPECT_EQ(Get(cart.id()).discount_code(), "");
  update.mutable_cart()->set_discount_code("ten-off");
  ASSERT_TRUE(cart_stub_->UpdateCart(Ctx().get(), update, &changed).ok());
  EXPECT_EQ(changed.discount_code(), "TEN-OFF");
  ASSERT_EQ(changed.discounts_size(), 1);
  EXPECT_EQ(changed.totals().discount().amount_minor(), 450);  // 10% of 45.00

  // Disabled after it was set: checkout refuses it and places nothing.
  v1::UpdateDiscountCodeRequest disable;
  disable.mutable_discount_code()->set_id(ten.id());
  disable.mutable_discount_code()->set_disabled(true);
  disable.mutable_update_mask()->add_paths("disabled");
  ASSERT_TRUE(code_stub_->UpdateDiscountCode(Ctx().get(), disable, &out).ok());
  EXPECT_TRUE(out.disabled());
  v1::Order order;
  EXPECT_EQ(ReasonOf(TryCheckout(cart.id(), &order)), "DISCOUNT_CODE_DISABLED");
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 0);
  disable.mutable_discount_code()->set_disabled(false);
  ASSERT_TRUE(code_stub_->UpdateDiscountCode(Ctx().get(), disable, &out).ok());
  grpc::Status s = TryCheckout(cart.id(), &order);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(order.discounts_size(), 1);
  EXPECT_EQ(order.discounts(0).code(), "TEN-OFF");
  EXPECT_EQ(order.totals().discount().amount_minor(), 450);
  v1::GetDiscountCodeRequest get;
  get.set_id(ten.id());
  ASSERT_TRUE(code_stub_->GetDiscountCode(Ctx().get(), get, &out).ok());
  EXPECT_EQ(out.times_used(), 1);
}

// ORD-17: 50 concurrent checkouts of carts carrying a code limited to 10
// uses: exactly 10 orders carry it, the others are refused with the reason.
TEST_F(OrderCartTest, FiftyConcurrentCheckoutsOfACodeLimitedToTenUses) {
  const v1::DiscountCode code = CreateCode("LIMITED", 2000, 10);
  std::vector<std::string> carts;
  for (int i = 0; i < 50; ++i) carts.push_back(ReadyCart("", "LIMITED").id());
  std::atomic<int> placed{0}, used_up{0}, other{0};
  std::vector<std::thread> threads;
  for (const std::string& id : carts) {
    threads.emplace_back([&, id] {
      v1::Order order;
      grpc::Status s = TryCheckout(id, &order);
      if (s.ok()) {
        ++placed;
      } else if (ReasonOf(s) == "DISCOUNT_CODE_USED_UP") {
        ++used_up;
      } else {
        ++other;
        ADD_FAILURE() << s.error_message();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf(
      "50 concurrent checkouts of a code limited to 10: %d placed, %d refused (used up), %d "
      "other\n",
      placed.load(), used_up.load(), other.load());
  EXPECT_EQ(placed.load(), 10);
  EXPECT_EQ(used_up.load(), 40);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 10);
  EXPECT_EQ(Count("SELECT count(*) FROM discount_redemptions"), 10);
  EXPECT_EQ(Count("SELECT times_used FROM discount_codes WHERE code = 'LIMITED'"), 10);
  EXPECT_EQ(Count("SELECT count(*) FROM carts WHERE state = 2"), 10);
}

}  // namespace
}  // namespace store::order
