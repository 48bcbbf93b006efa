// The gateway's pipeline over real HTTP on loopback, against in-process
// gRPC services that answer with canned data and record what reached them
// (the gateway is the unit under test; the real services are exercised
// through it in tests/e2e/gateway_e2e.sh).
#include "services/gateway/gateway.h"

#include <grpcpp/grpcpp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "libs/auth/signature.h"
#include "libs/core/status.h"
#include "libs/grpcx/status.h"
#include "services/gateway/errors.h"
#include "services/gateway/transcoding/openapi.h"
#include "services/gateway/transcoding/price_fields.h"
#include "services/gateway/transcoding/services.h"
#include "services/gateway/transcoding/transcoder.h"
#include "store/customer/v1/customer_service.grpc.pb.h"
#include "store/invoicing/v1/invoicing_service.grpc.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"

namespace store::gateway {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test";
constexpr char kWebhookSecret[] = "whsec-0123456789abcdef";

// What the fake services saw last.
struct Seen {
  std::mutex mu;
  std::map<std::string, std::string> metadata;
  std::string request_json;
  absl::Duration deadline_left;
  int calls = 0;

  void Record(grpc::ServerContext* ctx, const google::protobuf::Message& request) {
    std::lock_guard<std::mutex> lock(mu);
    metadata.clear();
    for (const auto& [k, v] : ctx->client_metadata()) {
      metadata[std::string(k.data(), k.size())] = std::string(v.data(), v.size());
    }
    request_json = ResponseJson(request);
    deadline_left = absl::FromChrono(ctx->deadline()) - absl::Now();
    ++calls;
  }
  std::string Meta(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    return metadata.count(key) ? metadata[key] : "";
  }
  std::string Json() {
    std::lock_guard<std::mutex> lock(mu);
    return request_json;
  }
};

class FakeOrders final : public order::v1::OrderService::Service {
 public:
  explicit FakeOrders(Seen* seen) : seen_(seen) {}
  grpc::Status PlaceOrder(grpc::ServerContext* ctx, const order::v1::PlaceOrderRequest* req,
                          order::v1::Order* resp) override {
    seen_->Record(ctx, *req);
    resp->set_id("new-order");
    resp->set_number(10001);
    *resp->mutable_customer() = req->customer();
    return grpc::Status::OK;
  }
  grpc::Status GetOrder(grpc::ServerContext* ctx, const order::v1::GetOrderRequest* req,
                        order::v1::Order* resp) override {
    seen_->Record(ctx, *req);
    if (req->id() == "slow") {
      while (!ctx->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "late");
    }
    if (req->id() == "boom") return grpc::Status(grpc::StatusCode::INTERNAL, "pq: relation x at 10.0.0.7");
    if (req->id() != "o-1") return grpcx::ToGrpcStatus(NotFound("order", req->id()));
    resp->set_id("o-1");
    resp->set_number(9007199254740993);  // beyond a double's precision
    resp->set_status(order::v1::ORDER_STATUS_PROCESSING);
    return grpc::Status::OK;
  }
  grpc::Status ListOrders(grpc::ServerContext* ctx, const order::v1::ListOrdersRequest* req,
                          order::v1::ListOrdersResponse* resp) override {
    seen_->Record(ctx, *req);
    resp->set_next_page_token("next");
    return grpc::Status::OK;
  }
  grpc::Status ReceivePaymentNotification(grpc::ServerContext* ctx,
                                          const order::v1::RecordPaymentRequest* req,
                                          order::v1::RecordPaymentResponse* resp) override {
    seen_->Record(ctx, *req);
    resp->mutable_order()->set_id(req->order_id());
    return grpc::Status::OK;
  }

 private:
  Seen* seen_;
};

class FakeInvoicing final : public invoicing::v1::InvoicingService::Service {
 public:
  grpc::Status ExportInvoices(grpc::ServerContext*, const invoicing::v1::ExportInvoicesRequest*,
                              grpc::ServerWriter<invoicing::v1::DocumentChunk>* writer) override {
    for (int i = 0; i < 3; ++i) {
      invoicing::v1::DocumentChunk chunk;
      if (i == 0) chunk.set_file_name("invoices \"2026\".csv\r\nX-Evil: 1");
      chunk.set_data(absl::StrCat("row,", i, "\n"));
      writer->Write(chunk);
    }
    return grpc::Status::OK;
  }
  grpc::Status RenderInvoice(grpc::ServerContext*, const invoicing::v1::RenderInvoiceRequest* req,
                             grpc::ServerWriter<invoicing::v1::DocumentChunk>* writer) override {
    if (req->id() != "inv-1") return grpcx::ToGrpcStatus(NotFound("invoice", req->id()));
    invoicing::v1::DocumentChunk chunk;
    const bool html = req->format() == invoicing::v1::DOCUMENT_FORMAT_HTML;
    chunk.set_content_type(html ? "text/html; charset=utf-8" : "application/pdf");
    chunk.set_file_name(html ? "INV-1.html" : "INV-1.pdf");
    chunk.set_data(html ? "<html></html>" : "%PDF-1.7");
    writer->Write(chunk);
    return grpc::Status::OK;
  }
};

class FakeCustomers final : public customer::v1::CustomerService::Service {
 public:
  grpc::Status AuthenticateCustomer(grpc::ServerContext*,
                                    const customer::v1::AuthenticateCustomerRequest* req,
                                    customer::v1::AuthenticateCustomerResponse* resp) override {
    if (req->email() != "a@example.com" || req->password() != "pw-a") {
      return grpcx::ToGrpcStatus(MakeError(absl::StatusCode::kUnauthenticated,
                                           "INVALID_CREDENTIALS", "", "wrong email or password"));
    }
    resp->mutable_customer()->set_id("cust-a");
    return grpc::Status::OK;
  }
  grpc::Status CreditWallet(grpc::ServerContext* ctx, const customer::v1::CreditWalletRequest* req,
                            customer::v1::WalletEntry* resp) override {
    seen_->Record(ctx, *req);
    resp->set_idempotency_key(req->idempotency_key());
    return grpc::Status::OK;
  }

  Seen* seen_ = nullptr;
};

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

Reply Send(int port, const std::string& method, const std::string& target,
           const std::string& body = "", const http::Headers& headers = {}) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(boost::none);
  bhttp::read(stream, buffer, parser);
  Reply reply;
  reply.status = parser.get().result_int();
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(f.value());
  }
  reply.body = parser.get().body();
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return reply;
}

http::Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string Token(const std::string& role, const std::string& subject,
                  absl::Duration ttl = absl::Hours(1), absl::Time at = absl::Now(),
                  std::string secret = kSecret, std::string audience = "store-api") {
  auth::TokenConfig config;
  config.secret = std::move(secret);
  config.audience = std::move(audience);
  return *auth::IssueToken(config, auth::Claims{.subject = subject, .role = role, .issued_at = at,
                                                .expires_at = at + ttl, .token_id = ""});
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(Options()); }
  void TearDown() override { Stop(); }

  static GatewayOptions Options() {
    GatewayOptions options;
    options.tokens.secret = kSecret;
    options.signing_secrets["payments"] = kWebhookSecret;
    options.cors_origins = {"https://shop.example.com"};
    options.max_page_size = 100;
    options.default_deadline = absl::Seconds(5);
    options.token_rate = 0;  // off unless a test sets it
    options.address_rate = 0;
    return options;
  }

  void Start(GatewayOptions options, size_t max_body = 4096,
             const std::string& backend_override = "") {
    grpc::EnableDefaultHealthCheckService(true);
    customers_.seen_ = &seen_;
    grpc::ServerBuilder builder;
    int grpc_port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &grpc_port);
    builder.RegisterService(&orders_);
    builder.RegisterService(&invoicing_);
    builder.RegisterService(&customers_);
    grpc_server_ = builder.BuildAndStart();
    ASSERT_NE(grpc_server_, nullptr);
    const std::string address = backend_override.empty()
                                    ? absl::StrCat("127.0.0.1:", grpc_port)
                                    : backend_override;
    backends_ = std::make_unique<Backends>();
    for (const auto* service : ExposedServices()) {
      if (service->full_name() != "store.api.v1.AuthService") {
        backends_->Add(service->full_name(), address);
      }
    }
    backends_->StartHealthChecks(absl::Milliseconds(50));
    absl::StatusOr<RouteTable> routes = RouteTable::Build(ExposedServices());
    ASSERT_TRUE(routes.ok()) << routes.status();
    auto gw = Gateway::Create(std::move(options), *std::move(routes), backends_.get(),
                              &SystemClock::Get());
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = *std::move(gw);
    http::ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.max_body_bytes = max_body;
    server_options.rejection_headers = [g = gateway_.get()](absl::string_view origin,
                                                            absl::string_view request_id) {
      return g->RejectionHeaders(origin, request_id);
    };
    server_ = std::make_unique<http::Server>(
        server_options, [g = gateway_.get()](auto exchange) { g->Handle(std::move(exchange)); });
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
  }

  void Stop() {
    if (server_) server_->Stop();
    server_.reset();
    gateway_.reset();
    backends_.reset();
    if (grpc_server_) grpc_server_->Shutdown(std::chrono::system_clock::now());
    grpc_server_.reset();
  }

  Reply Get(const std::string& target, const http::Headers& headers = {}) {
    return Send(port_, "GET", target, "", headers);
  }
  Reply Post(const std::string& target, const std::string& body, const http::Headers& headers = {}) {
    http::Headers h = headers;
    h.emplace_back("Content-Type", "application/json");
    return Send(port_, "POST", target, body, h);
  }

  Seen seen_;
  FakeOrders orders_{&seen_};
  FakeInvoicing invoicing_;
  FakeCustomers customers_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<Backends> backends_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<http::Server> server_;
  int port_ = 0;
  const std::string staff_ = Token("staff", "alice");
};

// --- transcoding and responses -------------------------------------------

TEST_F(GatewayTest, GetWithQueryReachesTheServiceAsProto) {
  Reply r = Get("/v1/orders?page_size=5&filter.statuses=ORDER_STATUS_PENDING"
                "&filter.statuses=ORDER_STATUS_PROCESSING&filter.query=blue%20mug",
                Bearer(staff_));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_NE(r.body.find(R"("nextPageToken":"next")"), std::string::npos) << r.body;
  const std::string json = seen_.Json();
  EXPECT_NE(json.find(R"("pageSize":5)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("statuses":["ORDER_STATUS_PENDING","ORDER_STATUS_PROCESSING"])"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("query":"blue mug")"), std::string::npos) << json;
}

TEST_F(GatewayTest, PathBindingAndProto3JsonOut) {
  Reply r = Get("/v1/orders/o-1", Bearer(staff_));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("number":"9007199254740993")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("status":"ORDER_STATUS_PROCESSING")"), std::string::npos);
  EXPECT_FALSE(r.Header("x-request-id").empty());
}

TEST_F(GatewayTest, CallerIdentityTravelsInMetadata) {
  ASSERT_EQ(Get("/v1/orders/o-1", Bearer(staff_)).status, 200);
  EXPECT_EQ(seen_.Meta("x-actor"), "staff:alice");
  EXPECT_EQ(seen_.Meta("x-role"), "staff");
  EXPECT_EQ(seen_.Meta("x-customer-id"), "");
  Reply r = Get("/v1/orders/o-1", {{"Authorization", "Bearer " + staff_},
                                   {"X-Request-Id", "req-123"}});
  EXPECT_EQ(seen_.Meta("x-request-id"), "req-123");
  EXPECT_EQ(r.Header("x-request-id"), "req-123");
}

TEST_F(GatewayTest, PageSizeIsCapped) {
  ASSERT_EQ(Get("/v1/orders?page_size=5000", Bearer(staff_)).status, 200);
  EXPECT_NE(seen_.Json().find(R"("pageSize":100)"), std::string::npos) << seen_.Json();
}

TEST_F(GatewayTest, IdempotencyKeyBecomesRequestId) {
  const std::string body = R"({"currencyCode":"USD","items":[{"sku":"A","quantity":1}]})";
  Reply r = Post("/v1/orders", body, {{"Authorization", "Bearer " + staff_},
                                      {"Idempotency-Key", "key-42"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(seen_.Json().find(R"("requestId":"key-42")"), std::string::npos) << seen_.Json();
  r = Post("/v1/orders", R"({"requestId":"other"})",
           {{"Authorization", "Bearer " + staff_}, {"Idempotency-Key", "key-42"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("field":"Idempotency-Key")"), std::string::npos) << r.body;
}

// Every creating route honours Idempotency-Key, also where the request's key
// field is `idempotency_key` (the wallet).
TEST_F(GatewayTest, IdempotencyKeyFillsTheWalletsKeyToo) {
  const std::string body = R"({"amount":{"amountMinor":"500","currencyCode":"USD"}})";
  Reply r = Post("/v1/customers/cust-a/wallet:credit", body,
                 {{"Authorization", "Bearer " + staff_}, {"Idempotency-Key", "wallet-7"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(seen_.Json().find(R"("idempotencyKey":"wallet-7")"), std::string::npos)
      << seen_.Json();
  r = Post("/v1/customers/cust-a/wallet:credit",
           R"({"amount":{"amountMinor":"500","currencyCode":"USD"},"idempotencyKey":"other"})",
           {{"Authorization", "Bearer " + staff_}, {"Idempotency-Key", "wallet-7"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("field":"Idempotency-Key")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("idempotencyKey"), std::string::npos) << r.body;
}

// --- errors (GW-02) --------------------------------------------------------

TEST(ErrorMappingTest, Table) {
  const std::vector<std::pair<absl::StatusCode, int>> table = {
      {absl::StatusCode::kInvalidArgument, 400}, {absl::StatusCode::kOutOfRange, 400},
      {absl::StatusCode::kUnauthenticated, 401}, {absl::StatusCode::kPermissionDenied, 403},
      {absl::StatusCode::kNotFound, 404},        {absl::StatusCode::kAlreadyExists, 409},
      {absl::StatusCode::kAborted, 409},         {absl::StatusCode::kFailedPrecondition, 409},
      {absl::StatusCode::kResourceExhausted, 429}, {absl::StatusCode::kUnimplemented, 501},
      {absl::StatusCode::kUnavailable, 503},     {absl::StatusCode::kDeadlineExceeded, 504},
      {absl::StatusCode::kInternal, 500},        {absl::StatusCode::kUnknown, 500},
      {absl::StatusCode::kDataLoss, 500},
  };
  for (const auto& [code, status] : table) {
    EXPECT_EQ(HttpStatusFor(code), status) << absl::StatusCodeToString(code);
    EXPECT_EQ(ErrorResponse(absl::Status(code, "x")).status, status);
  }
}

TEST(ErrorMappingTest, BodyNamesTheFieldAndHidesInternals) {
  http::Response r = ErrorResponse(InvalidField("items[0].quantity", "must be 1..10000"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("code":"INVALID_ARGUMENT")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("field":"items[0].quantity")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("reason":"INVALID_FIELD")"), std::string::npos) << r.body;
  r = ErrorResponse(absl::InternalError("pq: connection to 10.1.2.3 failed"));
  EXPECT_EQ(r.body.find("10.1.2.3"), std::string::npos) << r.body;
  r = ErrorResponse(absl::UnavailableError("failed to connect to all addresses; 127.0.0.1:50051"));
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos) << r.body;
}

TEST_F(GatewayTest, ServiceErrorsAreMapped) {
  Reply r = Get("/v1/orders/nope", Bearer(staff_));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find(R"("message":"order nope not found")"), std::string::npos) << r.body;
  r = Get("/v1/orders/boom", Bearer(staff_));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("10.0.0.7"), std::string::npos) << r.body;
  r = Get("/v1/nothing-here", Bearer(staff_));
  EXPECT_EQ(r.status, 404);
  r = Send(port_, "DELETE", "/v1/orders/o-1", "", Bearer(staff_));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET");
}

TEST_F(GatewayTest, BadJsonIsA400NamingTheField) {
  Reply r = Post("/v1/orders", R"({"items": [ )", Bearer(staff_));
  EXPECT_EQ(r.status, 400) << r.body;
  r = Post("/v1/orders", R"({"items":[{"quantity":"many"}]})", Bearer(staff_));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("quantity"), std::string::npos) << r.body;
  r = Get("/v1/orders?page_size=ten", Bearer(staff_));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("page_size"), std::string::npos) << r.body;
  r = Get("/v1/orders?filter.query=%zz", Bearer(staff_));
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(GatewayTest, ServerOwnedFieldsInABodyAreRejected) {
  // SEC-3: totals, status, number are not fields of the request: 400 naming
  // the field, nothing reaches the service.
  const int before = seen_.calls;
  for (const char* field : {R"("status":"ORDER_STATUS_COMPLETED")", R"("total":{"amountMinor":"1"})",
                            R"("number":"1")", R"("id":"x")"}) {
    Reply r = Post("/v1/orders", absl::StrCat(R"({"currencyCode":"USD",)", field, "}"),
                   Bearer(staff_));
    EXPECT_EQ(r.status, 400) << field << " " << r.body;
  }
  EXPECT_EQ(seen_.calls, before);
}

TEST_F(GatewayTest, UnreachableBackendIs503WithoutDetail) {
  Stop();
  Start(Options(), 4096, "127.0.0.1:9");
  Reply r = Get("/v1/orders/o-1", Bearer(staff_));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos) << r.body;
  // A backend down degrades the gateway, it does not take it out of the load
  // balancer; only ?backends=all (the whole stack) says 503.
  r = Get("/readyz");
  for (int i = 0; i < 100 && r.body.find("degraded") == std::string::npos; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    r = Get("/readyz");
  }
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("status":"degraded")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("store.order.v1.OrderService"), std::string::npos) << r.body;
  r = Get("/readyz?backends=all");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("store.order.v1.OrderService"), std::string::npos) << r.body;
}

// --- auth (GW-03, SEC-2) ----------------------------------------------------

TEST_F(GatewayTest, BadTokensAreRefused) {
  const absl::Time past = absl::Now() - absl::Hours(3);
  const std::vector<std::pair<std::string, http::Headers>> cases = {
      {"missing", {}},
      {"not bearer", {{"Authorization", "Basic YTpi"}}},
      {"garbage", Bearer("abc.def.ghi")},
      {"expired", Bearer(Token("staff", "alice", absl::Hours(1), past))},
      {"wrong key", Bearer(Token("staff", "alice", absl::Hours(1), absl::Now(),
                                 std::string(40, 'z')))},
      {"wrong audience", Bearer(Token("staff", "alice", absl::Hours(1), absl::Now(), kSecret,
                                      "other-api"))},
  };
  for (const auto& [name, headers] : cases) {
    Reply r = Get("/v1/orders/o-1", headers);
    EXPECT_EQ(r.status, 401) << name << ": " << r.body;
  }
  // alg=none with a payload claiming admin.
  std::string header, payload;
  absl::WebSafeBase64Escape(R"({"alg":"none","typ":"JWT"})", &header);
  absl::WebSafeBase64Escape(
      absl::StrCat(R"({"iss":"store-backend","aud":"store-api","sub":"eve","role":"admin","exp":)",
                   absl::ToUnixSeconds(absl::Now() + absl::Hours(1)), "}"),
      &payload);
  EXPECT_EQ(Get("/v1/orders/o-1", Bearer(header + "." + payload + ".")).status, 401);
  EXPECT_EQ(seen_.calls, 0);
}

// Every route against every role, from the annotations: a role the route
// does not list gets 403 before anything reaches a service; a listed one
// never does (admin may call everything; public needs no token).
TEST_F(GatewayTest, RoleMatrixFromTheAnnotations) {
  const std::map<std::string, std::string> tokens = {
      {"admin", Token("admin", "root")},
      {"staff", staff_},
      {"marketing", Token("marketing", "mia")},
      {"storefront", Token("storefront", "web-shop")},
      {"customer", Token("customer", "cust-a")},
  };
  int checked = 0;
  for (const Route& route : gateway_->routes().routes()) {
    std::string path = route.http.path();
    for (const std::string& var : route.path.Variables()) {
      path = absl::StrReplaceAll(path, {{"{" + var + "}", "x"}});
    }
    const std::string body = route.http.body().empty() ? "" : "{}";
    for (const auto& [role, token] : tokens) {
      Reply r = Send(port_, route.http.method(), path, body, Bearer(token));
      const bool allowed = role == "admin" || route.allows(role) || route.is_public();
      if (allowed) {
        // Whatever the (fake) service answers, the gateway let it through.
        EXPECT_EQ(r.body.find("ROLE_NOT_ALLOWED"), std::string::npos) << role << " " << path;
        EXPECT_EQ(r.body.find("TOKEN_"), std::string::npos) << role << " " << path << r.body;
      } else {
        EXPECT_EQ(r.status, 403) << role << " " << route.http.method() << " " << path << r.body;
        EXPECT_NE(r.body.find("ROLE_NOT_ALLOWED"), std::string::npos) << r.body;
      }
      ++checked;
    }
    if (!route.is_public()) {
      EXPECT_EQ(Send(port_, route.http.method(), path, body).status, 401) << path;
    }
  }
  EXPECT_GT(checked, 250);
  // Spelled out: marketing cannot change orders; the storefront server
  // cannot run the back office.
  EXPECT_EQ(Post("/v1/orders/o-1:cancel", "{}", Bearer(tokens.at("marketing"))).status, 403);
  EXPECT_EQ(Post("/v1/orders/o-1:ship", "{}", Bearer(tokens.at("marketing"))).status, 403);
  EXPECT_EQ(Post("/v1/orders/o-1:ship", "{}", Bearer(tokens.at("storefront"))).status, 403);
  EXPECT_EQ(Get("/v1/customers", Bearer(tokens.at("storefront"))).status, 403);
}

TEST_F(GatewayTest, CustomerOwnerFieldsAreTheirOwn) {
  const std::string customer = Token("customer", "cust-a");
  // Without a filter: the gateway fills the caller's id.
  ASSERT_EQ(Get("/v1/orders", Bearer(customer)).status, 200);
  EXPECT_NE(seen_.Json().find(R"("customerId":"cust-a")"), std::string::npos) << seen_.Json();
  EXPECT_EQ(seen_.Meta("x-customer-id"), "cust-a");
  EXPECT_EQ(seen_.Meta("x-actor"), "customer:cust-a");
  // Someone else's id: 404, and the service is not called.
  const int before = seen_.calls;
  Reply r = Get("/v1/orders?filter.customer_id=cust-b", Bearer(customer));
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(seen_.calls, before);
}

// --- price authority (ORD-18, SEC-10) ---------------------------------------

// The request the storefront checkout issue found: a customer token setting
// its own unit price and a 100 % discount on PlaceOrder.
TEST_F(GatewayTest, ACustomerCannotPlaceAnOrderWithItsOwnPrices) {
  const std::string body =
      R"({"currencyCode":"USD","customer":{"customerId":"cust-a","email":"a@example.com"},
          "items":[{"sku":"MUG-1","name":"Mug","quantity":1,
                    "unitPrice":{"amountMinor":"1","currencyCode":"USD"}}],
          "discounts":[{"code":"SELF","percentBp":10000}]})";
  const int before = seen_.calls;
  Reply r = Post("/v1/orders", body, Bearer(Token("customer", "cust-a")));
  EXPECT_EQ(r.status, 403) << r.body;
  r = Post("/v1/orders", body);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(seen_.calls, before);
  // The storefront server and staff price orders.
  r = Post("/v1/orders", body, Bearer(Token("storefront", "web-shop")));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(seen_.Meta("x-role"), "storefront");
  EXPECT_EQ(seen_.Meta("x-customer-id"), "");
  EXPECT_EQ(Post("/v1/orders", body, Bearer(staff_)).status, 200);
}

// A JSON object that sets the field at `parts` of `type` (camelCase names;
// a repeated message becomes a one-element array), or "" when the path
// cannot be written so.
std::string JsonSetting(const google::protobuf::Descriptor* type,
                        const std::vector<std::string>& parts, size_t i) {
  const google::protobuf::FieldDescriptor* f = type->FindFieldByName(parts[i]);
  std::string value;
  if (i + 1 < parts.size()) {
    value = JsonSetting(f->message_type(), parts, i + 1);
    if (value.empty()) return "";
  } else if (f->message_type() != nullptr) {
    value = R"({"amountMinor":"1","currencyCode":"USD"})";
  } else {
    value = "10000";
  }
  if (f->is_repeated()) value = absl::StrCat("[", value, "]");
  return absl::StrCat("{\"", f->json_name(), "\":", value, "}");
}

// Every route whose request holds a price field (a Money or a percentage,
// from the annotations), every such field: a customer token or no token
// setting it is refused with 403/401 before any service is called; a trusted
// token the route admits is not refused for it. A new route or field is
// covered without touching this test.
TEST_F(GatewayTest, EveryPriceFieldOnEveryRouteIsRefusedToCustomers) {
  const std::string customer = Token("customer", "cust-a");
  const std::string storefront = Token("storefront", "web-shop");
  int checked = 0;
  for (const Route& route : gateway_->routes().routes()) {
    const google::protobuf::Descriptor* request = route.method->input_type();
    for (const PriceLikeField& price : PriceLikeFields(request)) {
      if (price.output_only) continue;  // ignored by the service (AIP-203)
      if (!price.marked) {
        // Unmarked money is only allowed where no customer or anonymous
        // caller can reach it (the route table refuses it otherwise).
        EXPECT_FALSE(route.allows("customer")) << route.http.path() << " " << price.path;
        EXPECT_TRUE(!route.is_public() || !route.http.signed_by().empty())
            << route.http.path() << " " << price.path;
        continue;
      }
      std::string path = route.http.path();
      for (const std::string& var : route.path.Variables()) {
        path = absl::StrReplaceAll(path, {{"{" + var + "}", "x"}});
      }
      std::vector<std::string> parts = absl::StrSplit(price.path, '.');
      const google::protobuf::Descriptor* body_type = request;
      if (route.http.body() != "*") {
        ASSERT_EQ(parts.front(), route.http.body())
            << route.http.path() << ": extend this test for a price outside the body";
        body_type = request->FindFieldByName(parts.front())->message_type();
        parts.erase(parts.begin());
      }
      const std::string body = JsonSetting(body_type, parts, 0);
      ASSERT_FALSE(body.empty()) << route.http.path() << " " << price.path;
      const int before = seen_.calls;
      Reply r = Send(port_, route.http.method(), path, body,
                     {{"Authorization", "Bearer " + customer}, {"Content-Type", "application/json"}});
      EXPECT_EQ(r.status, 403) << route.http.path() << " " << price.path << " " << r.body;
      if (route.allows("customer")) {
        EXPECT_NE(r.body.find("PRICE_NOT_ALLOWED"), std::string::npos) << r.body;
        EXPECT_NE(r.body.find(absl::StrCat("\"field\":\"")), std::string::npos) << r.body;
      }
      r = Send(port_, route.http.method(), path, body, {{"Content-Type", "application/json"}});
      EXPECT_TRUE(r.status == 401 || r.status == 403) << route.http.path() << " " << r.body;
      EXPECT_EQ(seen_.calls, before) << route.http.path() << " " << price.path;
      if (route.allows("storefront")) {
        r = Send(port_, route.http.method(), path, body,
                 {{"Authorization", "Bearer " + storefront}, {"Content-Type", "application/json"}});
        EXPECT_EQ(r.body.find("PRICE_NOT_ALLOWED"), std::string::npos) << r.body;
        EXPECT_NE(r.status, 403) << route.http.path() << " " << r.body;
      }
      ++checked;
    }
  }
  // PlaceOrder alone has eleven (item prices, tax rates, discounts, fee).
  EXPECT_GE(checked, 11);
}

TEST_F(GatewayTest, CustomerLogin) {
  Reply r = Post("/v1/auth/login", R"({"email":"a@example.com","password":"pw-a"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("cache-control"), "no-store");
  const size_t at = r.body.find(R"("accessToken":")");
  ASSERT_NE(at, std::string::npos);
  const size_t start = at + 15;
  const std::string token = r.body.substr(start, r.body.find('"', start) - start);
  auth::TokenConfig config;
  config.secret = kSecret;
  absl::StatusOr<auth::Claims> claims = auth::VerifyToken(config, token, absl::Now());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->role, "customer");
  EXPECT_EQ(claims->subject, "cust-a");
  ASSERT_EQ(Get("/v1/orders", Bearer(token)).status, 200);
  EXPECT_EQ(seen_.Meta("x-customer-id"), "cust-a");

  r = Post("/v1/auth/login", R"({"email":"a@example.com","password":"wrong"})");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("INVALID_CREDENTIALS"), std::string::npos) << r.body;
  r = Post("/v1/auth/login", R"({"email":"a@example.com"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("field":"password")"), std::string::npos) << r.body;
}

// --- the signed webhook (GW-04) ----------------------------------------------

TEST_F(GatewayTest, PaymentWebhookNeedsAFreshSignature) {
  const std::string body = R"({"orderId":"o-1","provider":"stripe","reference":"pi_1"})";
  const std::string good = auth::SignPayload(kWebhookSecret, body, absl::Now());
  Reply r = Post("/v1/webhooks/payments", body, {{"Store-Signature", good}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(seen_.Meta("x-actor"), "public");
  const int calls = seen_.calls;
  EXPECT_EQ(Post("/v1/webhooks/payments", body).status, 401);
  r = Post("/v1/webhooks/payments", body,
           {{"Store-Signature", auth::SignPayload("another-secret-123", body, absl::Now())}});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("BAD_SIGNATURE"), std::string::npos);
  r = Post("/v1/webhooks/payments", R"({"orderId":"o-2","provider":"stripe","reference":"pi_1"})",
           {{"Store-Signature", good}});
  EXPECT_EQ(r.status, 401);  // the body changed
  r = Post("/v1/webhooks/payments", body,
           {{"Store-Signature",
             auth::SignPayload(kWebhookSecret, body, absl::Now() - absl::Minutes(10))}});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("STALE_SIGNATURE"), std::string::npos);
  EXPECT_EQ(seen_.calls, calls);
}

// --- limits (GW-05, SEC-5) ------------------------------------------------------

TEST_F(GatewayTest, BodyOverTheLimitIs413) {
  Reply r = Post("/v1/orders", std::string(8192, ' '), Bearer(staff_));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(seen_.calls, 0);
  EXPECT_FALSE(r.Header("x-request-id").empty());
}

// The server's own answers carry the request id and CORS headers like every
// other, so a browser app can read them and support can trace them.
TEST_F(GatewayTest, TheServersOwnRefusalsCarryRequestIdAndCors) {
  Reply big = Send(port_, "POST", "/v1/orders", std::string(8192, ' '),
                   {{"Authorization", "Bearer " + staff_},
                    {"Content-Type", "application/json"},
                    {"Origin", "https://shop.example.com"},
                    {"X-Request-Id", "req-413-test"}});
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_EQ(big.Header("x-request-id"), "req-413-test");
  EXPECT_EQ(big.Header("access-control-allow-origin"), "https://shop.example.com");
  Reply huge = Send(port_, "GET", "/v1/orders/o-1", "",
                    {{"Authorization", "Bearer " + staff_},
                     {"Origin", "https://shop.example.com"},
                     {"X-Padding", std::string(20000, 'x')}});
  EXPECT_EQ(huge.status, 431) << huge.body;
  EXPECT_FALSE(huge.Header("x-request-id").empty());
  EXPECT_EQ(seen_.calls, 0);
}

TEST_F(GatewayTest, PerTokenRateLimitAnswers429WithRetryAfter) {
  Stop();
  GatewayOptions options = Options();
  options.token_rate = 1;
  options.token_burst = 3;
  Start(options);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get("/v1/orders/o-1", Bearer(staff_)).status, 200);
  Reply r = Get("/v1/orders/o-1", Bearer(staff_));
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.Header("retry-after"), "1");
  // Another token has its own bucket, even one of the same subject (staff
  // tokens issued without a subject are all named "staff").
  EXPECT_EQ(Get("/v1/orders/o-1", Bearer(Token("staff", "bob"))).status, 200);
  EXPECT_EQ(Get("/v1/orders/o-1", Bearer(Token("staff", "alice"))).status, 200);
  // A customer's tokens share one bucket: a new login is no new allowance.
  const std::string first = Token("customer", "c-1");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get("/v1/orders/o-1", Bearer(first)).status, 200);
  EXPECT_EQ(Get("/v1/orders/o-1", Bearer(Token("customer", "c-1"))).status, 429);
}

TEST_F(GatewayTest, PerAddressRateLimit) {
  Stop();
  GatewayOptions options = Options();
  options.address_rate = 1;
  options.address_burst = 2;
  Start(options);
  EXPECT_EQ(Post("/v1/auth/login", R"({"email":"a@example.com","password":"x"})").status, 401);
  EXPECT_EQ(Post("/v1/auth/login", R"({"email":"a@example.com","password":"x"})").status, 401);
  Reply r = Post("/v1/auth/login", R"({"email":"a@example.com","password":"x"})");
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(r.Header("retry-after").empty());
}

// A storefront server serves every shopper from one address with one
// token: with X-Buyer-Ip each shopper has their own allowance (per address
// and per token), and services see the shopper's address. Nobody else can
// pick their bucket with the header.
TEST_F(GatewayTest, StorefrontCallsCountPerShopperNamedInXBuyerIp) {
  Stop();
  GatewayOptions options = Options();
  options.address_rate = 1;
  options.address_burst = 2;
  options.token_rate = 1;
  options.token_burst = 2;
  Start(options);
  const std::string storefront = Token("storefront", "web-shop");
  auto as_shopper = [&](const std::string& ip) {
    http::Headers h = Bearer(storefront);
    h.emplace_back("X-Buyer-Ip", ip);
    return h;
  };
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Get("/v1/orders/o-1", as_shopper("203.0.113.7")).status, 200);
  }
  EXPECT_EQ(seen_.Meta("x-client-ip"), "203.0.113.7");
  EXPECT_EQ(Get("/v1/orders/o-1", as_shopper("203.0.113.7")).status, 429) << "one shopper's limit";
  // Other shoppers, through the same server and token, are not held back.
  EXPECT_EQ(Get("/v1/orders/o-1", as_shopper("2001:db8::1")).status, 200);
  EXPECT_EQ(seen_.Meta("x-client-ip"), "2001:db8::1");
  EXPECT_EQ(Get("/v1/orders/o-1", as_shopper("198.51.100.9")).status, 200);
  // Not an address: the server's own allowance (two left).
  EXPECT_EQ(Get("/v1/orders/o-1", as_shopper("shopper-1")).status, 200);
  EXPECT_EQ(seen_.Meta("x-client-ip"), "127.0.0.1");
  // A customer (or anyone but the storefront) naming an address is still
  // counted by the connection's: the server's address has one request left.
  const std::string customer = Token("customer", "c-9");
  http::Headers forged = Bearer(customer);
  forged.emplace_back("X-Buyer-Ip", "192.0.2.1");
  EXPECT_EQ(Get("/v1/orders/o-1", forged).status, 200);
  EXPECT_EQ(seen_.Meta("x-client-ip"), "127.0.0.1");
  forged.back().second = "192.0.2.2";
  EXPECT_EQ(Get("/v1/orders/o-1", forged).status, 429);
}

TEST_F(GatewayTest, DeadlineIsPropagatedAndEnforced) {
  Stop();
  GatewayOptions options = Options();
  options.default_deadline = absl::Milliseconds(300);
  Start(options);
  ASSERT_EQ(Get("/v1/orders/o-1", Bearer(staff_)).status, 200);
  // The server sees the 300 ms deadline (give or take the clocks' rounding).
  EXPECT_LE(seen_.deadline_left, absl::Milliseconds(320));
  EXPECT_GT(seen_.deadline_left, absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  Reply r = Get("/v1/orders/slow", Bearer(staff_));
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(GatewayTest, Cors) {
  Reply r = Get("/v1/orders/o-1", {{"Authorization", "Bearer " + staff_},
                                   {"Origin", "https://shop.example.com"}});
  EXPECT_EQ(r.Header("access-control-allow-origin"), "https://shop.example.com");
  r = Send(port_, "OPTIONS", "/v1/orders",
           "", {{"Origin", "https://shop.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_NE(r.Header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_NE(r.Header("access-control-allow-headers").find("Idempotency-Key"), std::string::npos);
  r = Get("/v1/orders/o-1", {{"Authorization", "Bearer " + staff_},
                             {"Origin", "https://evil.example.com"}});
  EXPECT_EQ(r.Header("access-control-allow-origin"), "");
}

// --- downloads (GW-07) ------------------------------------------------------------

// A download carries the type of what the backend sent (an invoice asked
// for as HTML is text/html), else the route's.
TEST_F(GatewayTest, DownloadsCarryTheirOwnContentType) {
  Reply html = Get("/v1/invoices/inv-1/document?format=DOCUMENT_FORMAT_HTML", Bearer(staff_));
  ASSERT_EQ(html.status, 200) << html.body;
  EXPECT_EQ(html.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(html.body, "<html></html>");
  Reply pdf = Get("/v1/invoices/inv-1/document", Bearer(staff_));
  ASSERT_EQ(pdf.status, 200) << pdf.body;
  EXPECT_EQ(pdf.Header("content-type"), "application/pdf");
  EXPECT_EQ(pdf.Header("content-disposition"), "attachment; filename=\"INV-1.pdf\"");
}

TEST_F(GatewayTest, StreamedDownloadIsChunked) {
  Reply r = Get("/v1/invoices:export", Bearer(staff_));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(r.Header("transfer-encoding"), "chunked");
  // The file name is reduced to safe characters: no header injection.
  EXPECT_EQ(r.Header("content-disposition"), "attachment; filename=\"invoices2026.csvX-Evil1\"");
  EXPECT_EQ(r.Header("x-evil"), "");
  EXPECT_EQ(r.body, "row,0\nrow,1\nrow,2\n");
  // Again, one after the other on one connection (keep-alive), and the
  // gateway is still there afterwards.
  {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port_)));
    beast::flat_buffer buffer;
    for (int i = 0; i < 5; ++i) {
      bhttp::request<bhttp::empty_body> req(bhttp::verb::get, "/v1/invoices:export", 11);
      req.set(bhttp::field::authorization, "Bearer " + staff_);
      bhttp::write(stream, req);
      bhttp::response<bhttp::string_body> res;
      bhttp::read(stream, buffer, res);
      EXPECT_EQ(res.result_int(), 200);
      EXPECT_EQ(res.body(), "row,0\nrow,1\nrow,2\n");
    }
  }
  EXPECT_EQ(Get("/healthz").status, 200);
  r = Get("/v1/invoices/inv-9/document", Bearer(staff_));
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(r.body.find("invoice inv-9 not found"), std::string::npos) << r.body;
}

// --- fixed endpoints --------------------------------------------------------------

TEST_F(GatewayTest, HealthReadinessMetricsAndOpenApi) {
  EXPECT_EQ(Get("/healthz").status, 200);
  const absl::Time until = absl::Now() + absl::Seconds(10);
  Reply ready = Get("/readyz?backends=all");
  while (ready.status != 200 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
    ready = Get("/readyz?backends=all");
  }
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.body, R"({"status":"ready","notReady":[]})");
  EXPECT_EQ(Get("/readyz").status, 200);
  gateway_->Drain();
  ready = Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.body, R"({"status":"draining","notReady":[]})");

  ASSERT_EQ(Get("/v1/orders/o-1", Bearer(staff_)).status, 200);
  Reply metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find(
                R"(http_requests_total{code="200",method="GET",route="/v1/orders/{id}"})"),
            std::string::npos)
      << metrics.body.substr(0, 2000);
  EXPECT_NE(metrics.body.find(R"(http_request_duration_seconds_bucket{method="GET",route="/v1/orders/{id}")"),
            std::string::npos);
  Reply doc = Get("/v1/openapi.json");
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body, OpenApiDocument(gateway_->routes(), "store-backend", "1.0.0"));
}

TEST_F(GatewayTest, DocsPageServesSwaggerUiFromTheGatewayItself) {
  EXPECT_EQ(Get("/docs").status, 404);  // not installed: says so
  EXPECT_NE(Get("/docs").body.find("DOCS_NOT_INSTALLED"), std::string::npos);

  const std::string dir = ::testing::TempDir() + "/gateway-docs";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/swagger-ui-bundle.js") << "window.SwaggerUIBundle = function () {};";
  std::ofstream(dir + "/swagger-ui.css") << ".swagger-ui {}";
  Stop();
  GatewayOptions options = Options();
  options.docs_dir = dir;
  Start(options);
  Reply page = Get("/docs");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find(R"(src="/docs/swagger-ui-bundle.js")"), std::string::npos);
  EXPECT_NE(page.body.find(R"(href="/docs/swagger-ui.css")"), std::string::npos);
  EXPECT_NE(page.body.find(R"(url: "/v1/openapi.json")"), std::string::npos);
  EXPECT_EQ(page.body.find("https://"), std::string::npos) << "no CDN";
  Reply js = Get("/docs/swagger-ui-bundle.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, "window.SwaggerUIBundle = function () {};");
  EXPECT_EQ(Get("/docs/swagger-ui.css").Header("content-type"), "text/css; charset=utf-8");
  // Only the two files: no path into the directory.
  EXPECT_EQ(Get("/docs/../gateway-docs/swagger-ui.css").status, 404);
  EXPECT_EQ(Get("/docs/index.html").status, 404);
}

TEST(ParseQueryTest, DecodesAndRejects) {
  std::vector<std::pair<std::string, std::string>> out;
  ASSERT_TRUE(ParseQuery("a=1&b=x%20y&b=z+w&c=", &out).ok());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1].second, "x y");
  EXPECT_EQ(out[2].second, "z w");
  EXPECT_EQ(out[3].second, "");
  out.clear();
  EXPECT_FALSE(ParseQuery("a=%4", &out).ok());
  EXPECT_FALSE(ParseQuery("a=%G1", &out).ok());
  EXPECT_FALSE(ParseQuery("=1", &out).ok());
}

TEST(RateLimiterTest, RefillsOverTime) {
  RateLimiter limiter(2, 2);
  const absl::Time t = absl::FromUnixSeconds(1000);
  EXPECT_EQ(limiter.Take("k", t), absl::ZeroDuration());
  EXPECT_EQ(limiter.Take("k", t), absl::ZeroDuration());
  EXPECT_EQ(limiter.Take("k", t), absl::Milliseconds(500));
  EXPECT_EQ(limiter.Take("k", t + absl::Milliseconds(500)), absl::ZeroDuration());
  EXPECT_EQ(limiter.Take("other", t), absl::ZeroDuration());
  RateLimiter off(0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(off.Take("k", t), absl::ZeroDuration());
}

}  // namespace
}  // namespace store::gateway
