// loadgen: places orders over gRPC with N concurrent clients for T seconds
// (PERF-1) and prints one JSON line of figures. Its reference, pgbench of
// PlaceOrder's own SQL, is services/order/store/place_order.pgbench. A tool:
// it uses the services' APIs only (architecture rule 12).
#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/signature.h"
#include "libs/core/ids.h"
#include "libs/core/process.h"
#include "libs/grpcx/server.h"
#include "store/order/v1/cart.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"

namespace {

namespace v1 = store::order::v1;

constexpr char kHelp[] =
    R"(usage: loadgen --addr HOST:PORT [--concurrency N] [--duration-seconds T] [--pay] [--rate R]
               [--json]
       loadgen --http HOST:PORT --token TOKEN [--concurrency N] [--duration-seconds T]
       loadgen --checkout HOST:PORT --token TOKEN --webhook-secret-file FILE [--concurrency N]
               [--duration-seconds T]

Places guest orders (3 lines, card; buyers load+0..999@example.com) with N concurrent clients for T seconds and
prints orders/s, p50 and p99 latency of PlaceOrder. Each client has its own
connection. With --pay each order is then paid in full (RecordPayment), so the
services reacting to OrderPaid (invoicing) get work too. With --rate the
clients together place at most R orders per second (evenly spaced), a
steady background load instead of the most they can. With --http the
same orders go as JSON through the gateway (POST /v1/orders, bearer TOKEN,
one keep-alive connection per client) (PERF-2).

With --checkout each client is a shopper through the gateway with a storefront
TOKEN (PERF-8): create a cart, add 3 lines, set email, addresses and delivery,
check out, then the payment provider's webhook signed with the secret in FILE.
Prints checkouts/s and the whole flow's p50 and p99.
)";

// One client's keep-alive HTTP connection to the gateway.
class HttpClient {
 public:
  HttpClient(const std::string& host_port, std::string token)
      : stream_(ioc_), token_(std::move(token)) {
    const size_t colon = host_port.rfind(':');
    host_ = host_port.substr(0, colon);
    port_ = host_port.substr(colon + 1);
  }
  // The response status (0 when the connection failed; it reconnects).
  int Post(const std::string& target, const std::string& body) {
    return Send("POST", target, body, {}, nullptr);
  }
  // Any verb, with extra headers; the response body into `response`.
  int Send(const std::string& verb, const std::string& target, const std::string& body,
           const std::vector<std::pair<std::string, std::string>>& headers,
           std::string* response) {
    namespace http = boost::beast::http;
    boost::beast::error_code ec;
    if (!connected_) {
      boost::asio::ip::tcp::resolver resolver(ioc_);
      stream_.connect(resolver.resolve(host_, port_, ec), ec);
      if (ec) return 0;
      connected_ = true;
    }
    http::request<http::string_body> req(http::string_to_verb(verb), target, 11);
    req.set(http::field::host, host_);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::authorization, "Bearer " + token_);
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(stream_, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(stream_, buffer_, res, ec);
    if (ec) {
      stream_.socket().close(ec);
      connected_ = false;
      return 0;
    }
    if (!res.keep_alive()) {
      stream_.socket().close(ec);
      connected_ = false;
    }
    if (response != nullptr) *response = std::move(res.body());
    return res.result_int();
  }

 private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string host_, port_, token_;
  bool connected_ = false;
};

// One storefront checkout through the gateway (PERF-8); true when every
// step answered 200.
bool Checkout(HttpClient& client, const std::string& secret, int64_t n) {
  std::string body;
  const std::string email = absl::StrCat("shopper+", n % 1000, "@example.com");
  if (client.Send("POST", "/v1/carts", absl::StrCat("{\"email\":\"", email, "\"}"),
                  {{"Idempotency-Key", store::NewUuid()}}, &body) != 200) {
    return false;
  }
  v1::Cart cart;
  google::protobuf::util::JsonParseOptions lenient;
  lenient.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(body, &cart, lenient).ok()) return false;
  const std::string base = absl::StrCat("/v1/carts/", cart.id());
  const char* skus[] = {"MUG-BLUE", "TEE-ORG-M", "TOTE-CNV"};
  for (int i = 0; i < 3; ++i) {
    const std::string line = absl::StrCat(
        "{\"sku\":\"", skus[i], "\",\"name\":\"Load item ", i + 1, "\",\"quantity\":", 1 + i,
        ",\"unitPrice\":{\"amountMinor\":\"", 1000 + 250 * i, "\"},\"taxRateBp\":2000}");
    if (client.Send("POST", base + "/lines", line, {}, nullptr) != 200) return false;
  }
  static const std::string kDetails =
      R"({"email":"@EMAIL@","shippingAddress":{"name":"Load Tester","line1":"1 Bench Street",)"
      R"("city":"Springfield","postalCode":"12345","countryCode":"US"},)"
      R"("billingAddress":{"name":"Load Tester","line1":"1 Bench Street","city":"Springfield",)"
      R"("countryCode":"US"},"deliveryMethod":{"code":"standard","name":"Standard",)"
      R"("fee":{"amountMinor":"500"},"taxRateBp":2000}})";
  if (client.Send("PATCH",
                  base + "?update_mask=email,shipping_address,billing_address,delivery_method",
                  absl::StrReplaceAll(kDetails, {{"@EMAIL@", email}}), {}, nullptr) != 200) {
    return false;
  }
  if (client.Send("POST", base + ":checkout", R"({"paymentMethod":"PAYMENT_METHOD_CARD"})",
                  {{"Idempotency-Key", store::NewUuid()}}, &body) != 200) {
    return false;
  }
  v1::Order order;
  if (!google::protobuf::util::JsonStringToMessage(body, &order, lenient).ok()) return false;
  const std::string payment = absl::StrCat(
      R"({"orderId":")", order.id(), R"(","provider":"testpay","reference":"tp_)", order.id(),
      R"(","amount":{"amountMinor":")", order.totals().total().amount_minor(),
      R"(","currencyCode":"USD"},"outcome":"PAYMENT_OUTCOME_SUCCEEDED"})");
  return client.Send("POST", "/v1/webhooks/payments", payment,
                     {{"Store-Signature", store::auth::SignPayload(secret, payment, absl::Now())}},
                     nullptr) == 200;
}

v1::PlaceOrderRequest Template() {
  v1::PlaceOrderRequest r;
  r.set_currency_code("USD");
  r.mutable_customer()->set_email("load@example.com");
  r.mutable_customer()->set_name("Load Tester");
  r.mutable_customer()->set_phone("+15551239999");
  const char* skus[] = {"MUG-BLUE", "TEE-ORG-M", "TOTE-CNV"};
  for (int i = 0; i < 3; ++i) {
    auto* item = r.add_items();
    item->set_sku(skus[i]);
    item->set_name(absl::StrCat("Load item ", i + 1));
    item->set_quantity(1 + i);
    item->mutable_unit_price()->set_amount_minor(1000 + 250 * i);
    item->mutable_unit_price()->set_currency_code("USD");
    item->set_tax_rate_bp(2000);
  }
  auto* a = r.mutable_shipping_address();
  a->set_name("Load Tester");
  a->set_line1("1 Bench Street");
  a->set_city("Springfield");
  a->set_country_code("US");
  r.mutable_delivery_method()->set_code("standard");
  r.mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
  r.mutable_delivery_method()->mutable_fee()->set_currency_code("USD");
  r.set_payment_method(v1::PAYMENT_METHOD_CARD);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  store::InitProcess();
  std::string addr;
  std::string http_addr;
  std::string token;
  std::string checkout_addr;
  std::string secret_file;
  int concurrency = 16;
  int seconds = 20;
  bool pay = false;
  double rate = 0;  // orders/s over all clients; 0: as fast as they can
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--addr") {
      addr = next();
    } else if (a == "--http") {
      http_addr = next();
    } else if (a == "--token") {
      token = next();
    } else if (a == "--checkout") {
      checkout_addr = next();
    } else if (a == "--webhook-secret-file") {
      secret_file = next();
    } else if (a == "--concurrency") {
      (void)absl::SimpleAtoi(next(), &concurrency);
    } else if (a == "--duration-seconds") {
      (void)absl::SimpleAtoi(next(), &seconds);
    } else if (a == "--rate") {
      if (!absl::SimpleAtod(next(), &rate) || rate <= 0) rate = -1;
    } else if (a == "--pay") {
      pay = true;
    } else if (a == "--json") {
      // The only output format.
    } else {
      std::fputs(kHelp, a == "--help" ? stdout : stderr);
      return a == "--help" ? 0 : 2;
    }
  }
  std::string secret;
  if (!checkout_addr.empty()) {
    std::FILE* f = std::fopen(secret_file.c_str(), "r");
    char buf[256] = {};
    if (f == nullptr || token.empty()) {
      std::fputs(kHelp, stderr);
      return 2;
    }
    secret = std::string(buf, std::fread(buf, 1, sizeof(buf) - 1, f));
    std::fclose(f);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    http_addr = checkout_addr;
  }
  if ((addr.empty() == http_addr.empty()) || (!http_addr.empty() && token.empty()) ||
      (!http_addr.empty() && (pay || rate != 0)) || rate < 0 || concurrency < 1 || seconds < 1 ||
      seconds > 3600) {
    std::fputs(kHelp, stderr);
    return 2;
  }
  const v1::PlaceOrderRequest tmpl = Template();
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<int64_t> errors(concurrency, 0);
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < concurrency; ++t) {
    if (!http_addr.empty()) {
      if (!checkout_addr.empty()) {
        threads.emplace_back([&, t] {
          HttpClient client(http_addr, token);
          int64_t n = t;
          while (!stop.load(std::memory_order_relaxed)) {
            const auto t0 = std::chrono::steady_clock::now();
            const bool ok = Checkout(client, secret, n++);
            const auto t1 = std::chrono::steady_clock::now();
            if (ok) {
              latencies[t].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
            } else {
              ++errors[t];
            }
          }
        });
        continue;
      }
      threads.emplace_back([&, t] {
        HttpClient client(http_addr, token);
        // The JSON is made once (a frontend's work, not the server's); each
        // order only gets its own request id and buyer.
        v1::PlaceOrderRequest req = tmpl;
        req.set_request_id("@RID@");
        req.mutable_customer()->set_email("@EMAIL@");
        std::string json;
        (void)google::protobuf::util::MessageToJsonString(req, &json);
        int64_t n = t;
        std::string body;
        while (!stop.load(std::memory_order_relaxed)) {
          body = absl::StrReplaceAll(
              json, {{"@RID@", store::NewUuid()},
                     {"@EMAIL@", absl::StrCat("load+", n++ % 1000, "@example.com")}});
          const auto t0 = std::chrono::steady_clock::now();
          const int status = client.Post("/v1/orders", body);
          const auto t1 = std::chrono::steady_clock::now();
          if (status == 200) {
            latencies[t].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
          } else {
            ++errors[t];
          }
        }
      });
      continue;
    }
    threads.emplace_back([&, t] {
      // One connection per client; a target of several addresses
      // (replicas): calls spread over them.
      auto stub =
          v1::OrderService::NewStub(store::grpcx::MakeChannel(addr, /*own_connections=*/true));
      v1::PlaceOrderRequest req = tmpl;
      int64_t n = t;
      // With --rate: this client's share, its slots spread over the interval.
      const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(rate > 0 ? concurrency / rate : 0));
      auto slot = std::chrono::steady_clock::now() + interval * t / concurrency;
      while (!stop.load(std::memory_order_relaxed)) {
        if (rate > 0) {
          std::this_thread::sleep_until(slot);
          slot += interval;
        }
        req.set_request_id(store::NewUuid());
        // A thousand returning guest buyers, as a shop has (the customer
        // service keeps a guest record and purchase facts per email).
        req.mutable_customer()->set_email(absl::StrCat("load+", n++ % 1000, "@example.com"));
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        ctx.AddMetadata("x-actor", "loadgen");
        v1::Order resp;
        const auto t0 = std::chrono::steady_clock::now();
        grpc::Status s = stub->PlaceOrder(&ctx, req, &resp);
        const auto t1 = std::chrono::steady_clock::now();
        if (s.ok()) {
          latencies[t].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        } else {
          ++errors[t];
          continue;
        }
        if (pay) {
          v1::RecordPaymentRequest p;
          p.set_order_id(resp.id());
          p.set_provider("loadgen");
          p.set_reference(resp.id());
          *p.mutable_amount() = resp.totals().total();
          p.set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
          grpc::ClientContext pctx;
          pctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
          pctx.AddMetadata("x-actor", "loadgen");
          v1::RecordPaymentResponse presp;
          if (!stub->RecordPayment(&pctx, p, &presp).ok()) ++errors[t];
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));  // the load's duration
  stop = true;
  for (auto& th : threads) th.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  int64_t error_count = 0;
  for (int t = 0; t < concurrency; ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    error_count += errors[t];
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  std::printf(
      "{\"orders\":%zu,\"seconds\":%.2f,\"orders_per_second\":%.1f,\"p50_ms\":%.2f,"
      "\"p99_ms\":%.2f,\"errors\":%lld,\"concurrency\":%d}\n",
      all.size(), elapsed, all.size() / elapsed, pct(0.50), pct(0.99),
      static_cast<long long>(error_count), concurrency);
  return error_count > 0 && all.empty() ? 1 : 0;
}
