#include <map>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"
#include "services/gateway/transcoding/openapi.h"
#include "services/gateway/transcoding/price_fields.h"
#include "services/gateway/transcoding/route_table.h"
#include "services/gateway/transcoding/services.h"
#include "services/gateway/transcoding/transcoder.h"
#include "store/api/v1/annotations.pb.h"
#include "store/customer/v1/customer_service.pb.h"
#include "store/invoicing/v1/invoicing_service.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace ov1 = store::order::v1;
namespace iv1 = store::invoicing::v1;
namespace cv1 = store::customer::v1;

const google::protobuf::ServiceDescriptor* Exposed(absl::string_view name) {
  for (const auto* s : ExposedServices()) {
    if (s->name() == name) return s;
  }
  return nullptr;
}
const google::protobuf::ServiceDescriptor* Orders() { return Exposed("OrderService"); }
const google::protobuf::ServiceDescriptor* Invoicing() { return Exposed("InvoicingService"); }

TEST(ExposedServicesTest, EveryServiceBuildsOneTableWithoutConflicts) {
  auto t = RouteTable::Build(ExposedServices());
  ASSERT_TRUE(t.ok()) << t.status();
  size_t annotated = 0;
  for (const auto* s : ExposedServices()) {
    ASSERT_NE(s, nullptr);
    for (int i = 0; i < s->method_count(); ++i) {
      if (s->method(i)->options().HasExtension(api::v1::http)) ++annotated;
    }
  }
  EXPECT_EQ(t->routes().size(), annotated);
  EXPECT_EQ(t->Find("POST", "/v1/customers:register")->route->method->name(), "RegisterCustomer");
  EXPECT_EQ(t->Find("GET", "/v1/customers/abc")->route->method->name(), "GetCustomer");
}

TEST(PriceFieldsTest, FindsTheFirstSetPriceAnywhereInTheRequest) {
  ov1::PlaceOrderRequest place;
  place.set_currency_code("USD");
  place.add_items()->set_sku("A");
  EXPECT_EQ(SetPriceField(place), std::nullopt);
  place.add_items()->mutable_unit_price()->set_amount_minor(1);
  EXPECT_EQ(SetPriceField(place), "items[1].unit_price");
  place.clear_items();
  place.add_items()->set_tax_rate_bp(0);  // proto3: a zero is not set
  EXPECT_EQ(SetPriceField(place), std::nullopt);
  place.add_discounts()->set_percent_bp(10000);
  EXPECT_EQ(SetPriceField(place), "discounts[0].percent_bp");
  place.clear_discounts();
  place.mutable_delivery_method()->set_code("standard");
  EXPECT_EQ(SetPriceField(place), std::nullopt);
  place.mutable_delivery_method()->mutable_fee();  // present, even if zero
  EXPECT_EQ(SetPriceField(place), "delivery_method.fee");
}

TEST(PriceFieldsTest, MoneyAndBasisPointsLookLikePrices) {
  std::map<std::string, bool> place;
  for (const PriceLikeField& f : PriceLikeFields(ov1::PlaceOrderRequest::descriptor())) {
    place[f.path] = f.marked;
  }
  for (const char* path :
       {"items.unit_price", "items.tax_rate_bp", "discounts.percent_bp", "discounts.amount",
        "delivery_method.fee", "delivery_method.tax_rate_bp"}) {
    ASSERT_TRUE(place.count(path)) << path;
    EXPECT_TRUE(place[path]) << path;
  }
  EXPECT_TRUE(HoldsPriceFields(ov1::PlaceOrderRequest::descriptor()));
  // The payment webhook's amount is money, unmarked: allowed only because
  // that route is signed by the payment provider.
  std::vector<PriceLikeField> payment = PriceLikeFields(ov1::RecordPaymentRequest::descriptor());
  ASSERT_EQ(payment.size(), 1u);
  EXPECT_EQ(payment[0].path, "amount");
  EXPECT_FALSE(payment[0].marked);
  EXPECT_FALSE(HoldsPriceFields(ov1::RecordPaymentRequest::descriptor()));
  EXPECT_FALSE(HoldsPriceFields(ov1::GetOrderRequest::descriptor()));
}

class TranscodingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = RouteTable::Build({Orders(), Invoicing()});
    ASSERT_TRUE(t.ok()) << t.status();
    table_ = *std::move(t);
  }

  // Finds the route and builds its request, as the gateway does.
  template <typename Request>
  absl::Status Transcode(absl::string_view verb, absl::string_view path, const QueryParams& query,
                         absl::string_view body, Request* out) {
    auto match = table_.Find(verb, path);
    if (!match.ok()) return match.status();
    EXPECT_EQ(match->route->method->input_type(), Request::descriptor());
    return BuildRequest(*match->route, match->bindings, query, body, out);
  }

  RouteTable table_;
};

TEST_F(TranscodingTest, EveryAnnotatedMethodIsARoute) {
  EXPECT_EQ(table_.routes().size(),
            static_cast<size_t>(Orders()->method_count() + Invoicing()->method_count()));
  auto m = table_.Find("GET", "/v1/orders/6f1c");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->route->grpc_method, "/store.order.v1.OrderService/GetOrder");
  EXPECT_EQ(m->bindings, (Bindings{{"id", "6f1c"}}));
  EXPECT_EQ(table_.Find("POST", "/v1/orders/6f1c:ship")->route->method->name(), "ShipOrder");
  EXPECT_EQ(table_.Find("GET", "/v1/orders:countUnprocessed")->route->method->name(),
            "CountUnprocessedOrders");
  EXPECT_EQ(table_.Find("PATCH", "/v1/invoicing/settings")->route->method->name(),
            "UpdateSettings");
  auto not_allowed = table_.Find("DELETE", "/v1/orders");
  EXPECT_EQ(not_allowed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorInfo(not_allowed.status())->reason(), "METHOD_NOT_ALLOWED");
  EXPECT_THAT(not_allowed.status().message(), HasSubstr("GET, POST"));
  EXPECT_EQ(table_.Find("GET", "/v1/nothing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(table_.Find("POST", "/v1/orders/6f1c:fly").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(table_.Find("GET", "/v1/orders//notes").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TranscodingTest, QueryParametersFillScalarsRepeatedsAndEnums) {
  ov1::ListOrdersRequest req;
  ASSERT_TRUE(Transcode("GET", "/v1/orders",
                        {{"filter.statuses", "ORDER_STATUS_PENDING"},
                         {"filter.statuses", "ORDER_STATUS_SHIPPED"},
                         {"filter.email", "ann@example.com"},
                         {"filter.total.min_minor", "1000"},
                         {"filter.create_time_from", "2026-01-01T00:00:00Z"},
                         {"page_size", "5"},
                         {"sort_field", "ORDER_SORT_FIELD_TOTAL"}},
                        "", &req)
                  .ok());
  ASSERT_EQ(req.filter().statuses_size(), 2);
  EXPECT_EQ(req.filter().statuses(1), ov1::ORDER_STATUS_SHIPPED);
  EXPECT_EQ(req.filter().email(), "ann@example.com");
  EXPECT_EQ(req.filter().total().min_minor(), 1000);
  EXPECT_EQ(req.filter().create_time_from().seconds(), 1767225600);
  EXPECT_EQ(req.page_size(), 5);
  EXPECT_EQ(req.sort_field(), ov1::ORDER_SORT_FIELD_TOTAL);
}

// A frontend writes the names it sees in the JSON bodies (lowerCamelCase);
// the proto names work too, and one field given both ways is given twice.
TEST_F(TranscodingTest, QueryParametersTakeJsonNamesToo) {
  ov1::ListOrdersRequest req;
  ASSERT_TRUE(Transcode("GET", "/v1/orders",
                        {{"filter.customerId", "6f1c"},
                         {"filter.total.minMinor", "1000"},
                         {"filter.createTimeFrom", "2026-01-01T00:00:00Z"},
                         {"filter.statuses", "ORDER_STATUS_PENDING"},
                         {"pageSize", "5"},
                         {"sortField", "ORDER_SORT_FIELD_TOTAL"}},
                        "", &req)
                  .ok());
  EXPECT_EQ(req.filter().customer_id(), "6f1c");
  EXPECT_EQ(req.filter().total().min_minor(), 1000);
  EXPECT_EQ(req.filter().create_time_from().seconds(), 1767225600);
  EXPECT_EQ(req.page_size(), 5);
  EXPECT_EQ(req.sort_field(), ov1::ORDER_SORT_FIELD_TOTAL);

  ov1::ListOrdersRequest twice;
  absl::Status s =
      Transcode("GET", "/v1/orders", {{"pageSize", "5"}, {"page_size", "6"}}, "", &twice);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorInfo(s)->field(), "page_size");
  EXPECT_THAT(s.message(), HasSubstr("more than once"));
  EXPECT_EQ(Transcode("GET", "/v1/orders", {{"filter.Customer_Id", "x"}}, "", &twice).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TranscodingTest, BodyAndPathWithThePathWinning) {
  ov1::ShipOrderRequest req;
  ASSERT_TRUE(Transcode("POST", "/v1/orders/from-path:ship", {},
                        R"({"carrier":"ups","trackingNumber":"1Z9","orderId":"from-body"})", &req)
                  .ok());
  EXPECT_EQ(req.order_id(), "from-path");
  EXPECT_EQ(req.carrier(), "ups");
  EXPECT_EQ(req.tracking_number(), "1Z9");

  iv1::UpdateSettingsRequest settings;
  ASSERT_TRUE(Transcode("PATCH", "/v1/invoicing/settings", {{"update_mask", "mode,seller.name"}},
                        R"({"mode":"ISSUE_MODE_OFF","seller":{"name":"Nour"}})", &settings)
                  .ok());
  EXPECT_EQ(settings.settings().mode(), iv1::ISSUE_MODE_OFF);
  EXPECT_EQ(settings.settings().seller().name(), "Nour");
  ASSERT_EQ(settings.update_mask().paths_size(), 2);
  EXPECT_EQ(settings.update_mask().paths(1), "seller.name");
}

TEST_F(TranscodingTest, BadInputNamesTheField) {
  ov1::ListOrdersRequest list;
  absl::Status s = Transcode("GET", "/v1/orders", {{"filter.colour", "red"}}, "", &list);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorInfo(s)->field(), "filter.colour");
  s = Transcode("GET", "/v1/orders", {{"page_size", "ten"}}, "", &list);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("page_size"));
  s = Transcode("GET", "/v1/orders", {{"filter.statuses", "ORDER_STATUS_LOST"}}, "", &list);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  // What is allowed, in the error: the enum's values, the number's range.
  EXPECT_EQ(GetErrorInfo(s)->field(), "filter.statuses[0]");
  EXPECT_THAT(s.message(), HasSubstr("must be one of ORDER_STATUS_PENDING, "));
  EXPECT_THAT(s.message(), HasSubstr("ORDER_STATUS_SHIPPED"));
  EXPECT_THAT(s.message(), Not(HasSubstr("UNSPECIFIED")));
  EXPECT_THAT(s.message(), HasSubstr(R"((got "ORDER_STATUS_LOST"))"));
  s = Transcode("GET", "/v1/orders", {{"pageSize", "ten"}}, "", &list);
  EXPECT_EQ(s.message(),
            R"(page_size: must be a whole number from -2147483648 to 2147483647 (got "ten"))");
  s = Transcode("GET", "/v1/orders", {{"filter.createTimeFrom", "yesterday"}}, "", &list);
  EXPECT_EQ(GetErrorInfo(s)->field(), "filter.create_time_from");
  EXPECT_THAT(s.message(), HasSubstr("must be an RFC 3339 time"));
  s = Transcode("GET", "/v1/orders", {{"filter", "x"}}, "", &list);
  EXPECT_EQ(GetErrorInfo(s)->field(), "filter");
  s = Transcode("GET", "/v1/orders", {{"page_size", "1"}, {"page_size", "2"}}, "", &list);
  EXPECT_EQ(GetErrorInfo(s)->field(), "page_size");
  s = Transcode("GET", "/v1/orders", {}, R"({"pageSize":1})", &list);
  EXPECT_EQ(GetErrorInfo(s)->field(), "body");

  ov1::PlaceOrderRequest place;
  s = Transcode("POST", "/v1/orders", {}, R"({"items":[{"quantity":"many"}]})", &place);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("quantity"));
  s = Transcode("POST", "/v1/orders", {}, R"({"currencyCode": "USD",)", &place);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  s = Transcode("POST", "/v1/orders", {}, R"({"totalz": 1})", &place);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorInfo(s)->field(), "totalz");
  EXPECT_THAT(s.message(), HasSubstr("is not a field of store.order.v1.PlaceOrderRequest"));
  s = Transcode("POST", "/v1/orders", {}, R"({"items":[{"sku":"A"},{"colour":"red"}]})", &place);
  EXPECT_EQ(GetErrorInfo(s)->field(), "items[1].colour");
  EXPECT_THAT(s.message(), HasSubstr("is not a field of store.order.v1.OrderItem"));
  s = Transcode("POST", "/v1/orders", {}, R"({"items":[{"quantity":1.5}]})", &place);
  EXPECT_EQ(GetErrorInfo(s)->field(), "items[0].quantity");
  EXPECT_THAT(s.message(), HasSubstr("must be a whole number"));
  // A route whose body is one field of the request names the path from the request.
  iv1::UpdateSettingsRequest settings;
  s = Transcode("PATCH", "/v1/invoicing/settings", {}, R"({"seller":{"nam":"Nour"}})", &settings);
  EXPECT_EQ(GetErrorInfo(s)->field(), "settings.seller.nam");
  s = Transcode("PATCH", "/v1/invoicing/settings", {}, R"({"mode":"OFF"})", &settings);
  EXPECT_EQ(GetErrorInfo(s)->field(), "settings.mode");
  EXPECT_THAT(s.message(), HasSubstr("ISSUE_MODE_OFF"));
  s = Transcode("PATCH", "/v1/invoicing/settings", {}, R"({"mode":)", &settings);
  EXPECT_EQ(GetErrorInfo(s)->field(), "settings");
  EXPECT_THAT(s.message(), HasSubstr("is not valid JSON"));
  s = Transcode("POST", "/v1/orders", {{"currency_code", "USD"}}, "{}", &place);
  EXPECT_EQ(GetErrorInfo(s)->field(), "currency_code");
}

TEST_F(TranscodingTest, ResponsesUseTheProto3JsonMapping) {
  ov1::Order o;
  o.set_id("6f1c");
  o.set_number(10001);
  o.set_status(ov1::ORDER_STATUS_AWAITING_VERIFICATION);
  o.mutable_totals()->mutable_total()->set_amount_minor(1250);
  const std::string json = ResponseJson(o);
  EXPECT_THAT(json, HasSubstr(R"("number":"10001")"));
  EXPECT_THAT(json, HasSubstr(R"("status":"ORDER_STATUS_AWAITING_VERIFICATION")"));
  EXPECT_THAT(json, HasSubstr(R"("amountMinor":"1250")"));
  // Every field is there, holding its default or not: an empty list is [],
  // an empty text "", a zero "0"; an unset message stays out.
  EXPECT_THAT(json, HasSubstr(R"("customerNote":"")"));
  EXPECT_THAT(json, HasSubstr(R"("version":"0")"));
  EXPECT_THAT(json, HasSubstr(R"("items":[])"));
  EXPECT_THAT(json, Not(HasSubstr("shippingAddress")));

  // proto3 optional fields (presence of their own) stay out when unset.
  cv1::CustomerFilter filter;
  filter.set_orders_count_min(0);
  const std::string filter_json = ResponseJson(filter);
  EXPECT_THAT(filter_json, HasSubstr(R"("ordersCountMin":"0")"));
  EXPECT_THAT(filter_json, Not(HasSubstr("ordersCountMax")));
}

TEST_F(TranscodingTest, OpenApiDocumentDescribesEveryRoute) {
  const std::string doc = OpenApiDocument(table_, "store-backend", "1.0.0");
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(doc, &parsed).ok()) << doc.substr(0, 500);
  const auto& paths = parsed.fields().at("paths").struct_value().fields();
  ASSERT_TRUE(paths.count("/v1/orders/{id}"));
  ASSERT_TRUE(paths.count("/v1/orders/{order_id}:ship"));
  const auto& get = paths.at("/v1/orders/{id}").struct_value().fields().at("get").struct_value();
  EXPECT_EQ(get.fields().at("operationId").string_value(), "store.order.v1.OrderService.GetOrder");
  const auto& schemas = parsed.fields()
                            .at("components")
                            .struct_value()
                            .fields()
                            .at("schemas")
                            .struct_value()
                            .fields();
  EXPECT_TRUE(schemas.count("store.order.v1.Order"));
  EXPECT_TRUE(schemas.count("store.common.v1.Money"));
  EXPECT_TRUE(schemas.count("Error"));
  const auto& list = paths.at("/v1/orders").struct_value().fields().at("get").struct_value();
  std::vector<std::string> names;
  for (const auto& p : list.fields().at("parameters").list_value().values()) {
    names.push_back(p.struct_value().fields().at("name").string_value());
  }
  EXPECT_THAT(names, ::testing::Contains("filter.statuses"));
  EXPECT_THAT(names, ::testing::Contains("pageToken"));
}

}  // namespace
}  // namespace store::gateway
