#include "services/gateway/gateway.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/auth/signature.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/core/trace.h"
#include "libs/metrics/metrics.h"
#include "services/gateway/errors.h"
#include "services/gateway/transcoding/openapi.h"
#include "services/gateway/transcoding/price_fields.h"
#include "services/gateway/transcoding/transcoder.h"
#include "store/api/v1/auth_service.pb.h"
#include "store/customer/v1/customer_service.pb.h"

namespace store::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const std::string kOtherMethod = "OTHER";

constexpr absl::string_view kAuthService = "store.api.v1.AuthService";

// GET /docs: Swagger UI over the live document, every file from this gateway.
constexpr absl::string_view kDocsPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>store-backend API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  filter: true,
});
</script>
</body>
</html>
)html";
constexpr absl::string_view kAllowedHeaders =
    "Authorization, Content-Type, Idempotency-Key, X-Request-Id, Store-Signature";

prometheus::Family<prometheus::Counter>& RequestsTotal() {
  static auto& family = prometheus::BuildCounter()
                            .Name("http_requests_total")
                            .Help("HTTP requests by route template, method and status code")
                            .Register(metrics::Registry());
  return family;
}

prometheus::Family<prometheus::Histogram>& RequestSeconds() {
  static auto& family = prometheus::BuildHistogram()
                            .Name("http_request_duration_seconds")
                            .Help("HTTP request latency by route template and method")
                            .Register(metrics::Registry());
  return family;
}

std::unique_ptr<Message> NewMessage(const Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

absl::Status Error(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                   absl::string_view field = "") {
  return MakeError(code, reason, field, message);
}

// The text field at a dotted path ("filter.customer_id"); creates the
// messages on the way when `create`.
Message* Parent(Message* message, absl::string_view path, const FieldDescriptor** leaf,
                bool create) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const FieldDescriptor* f = message->GetDescriptor()->FindFieldByName(std::string(parts[i]));
    if (!create && !message->GetReflection()->HasField(*message, f)) return nullptr;
    message = message->GetReflection()->MutableMessage(message, f);
  }
  *leaf = message->GetDescriptor()->FindFieldByName(std::string(parts.back()));
  return message;
}

std::string GetText(Message* message, absl::string_view path) {
  const FieldDescriptor* leaf = nullptr;
  Message* parent = Parent(message, path, &leaf, /*create=*/false);
  return parent == nullptr ? "" : parent->GetReflection()->GetString(*parent, leaf);
}

void SetText(Message* message, absl::string_view path, const std::string& value) {
  const FieldDescriptor* leaf = nullptr;
  Message* parent = Parent(message, path, &leaf, /*create=*/true);
  parent->GetReflection()->SetString(parent, leaf, value);
}

bool ValidRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// A download's file name, reduced to characters safe in a header.
std::string SafeFileName(absl::string_view name) {
  std::string out;
  for (char c : name) {
    if (absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_') out.push_back(c);
  }
  return out.substr(0, 100);
}

}  // namespace

struct Gateway::Call {
  std::shared_ptr<http::Exchange> exchange;
  absl::Time start;
  std::string method;
  std::string path;
  std::string query;
  std::string route_label = "unmatched";
  std::string request_id;
  std::string client;  // address for limits and logs
  // `client` is the shopper's address a storefront server vouched for
  // (X-Buyer-Ip), not the server's own.
  bool buyer_ip = false;
  http::Headers cors;
  RouteTable::Match match;
  std::optional<auth::Claims> claims;
  std::unique_ptr<Message> request;

  const http::Request& http() const { return exchange->request(); }

  void Record(int status) {
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    // Any token is a method to the HTTP parser: only the known ones become
    // label values, so made-up methods cannot add series without bound.
    static const absl::flat_hash_set<std::string> kKnown = {"GET",    "POST", "PUT",    "PATCH",
                                                            "DELETE", "HEAD", "OPTIONS"};
    const std::string& method_label = kKnown.count(method) ? method : kOtherMethod;
    RequestsTotal()
        .Add({{"route", route_label}, {"method", method_label}, {"code", absl::StrCat(status)}})
        .Increment();
    RequestSeconds()
        .Add({{"route", route_label}, {"method", method_label}}, metrics::LatencyBuckets())
        .Observe(seconds);
    log::Info("http", {{"method", method},
                       {"route", route_label},
                       {"status", absl::StrCat(status)},
                       {"ms", absl::StrCat(static_cast<int64_t>(seconds * 1000))},
                       {"request_id", request_id},
                       {"client", client}});
  }

  void Decorate(http::Headers& headers) const {
    headers.emplace_back("X-Request-Id", request_id);
    headers.insert(headers.end(), cors.begin(), cors.end());
  }

  void Finish(http::Response response) {
    Decorate(response.headers);
    Record(response.status);
    exchange->Respond(std::move(response));
  }

  void Fail(const absl::Status& status) { Finish(ErrorResponse(status)); }
};

http::Headers Gateway::Cors(absl::string_view origin) const {
  if (origin.empty()) return {};
  for (const std::string& allowed : options_.cors_origins) {
    if (allowed == origin || allowed == "*") {
      return {{"Access-Control-Allow-Origin", std::string(origin)},
              {"Vary", "Origin"},
              {"Access-Control-Expose-Headers", "X-Request-Id, Retry-After"}};
    }
  }
  return {};
}

http::Headers Gateway::RejectionHeaders(absl::string_view origin,
                                        absl::string_view request_id) const {
  http::Headers out = {
      {"X-Request-Id", ValidRequestId(request_id) ? std::string(request_id) : NewUuid()}};
  for (auto& h : Cors(origin)) out.push_back(std::move(h));
  return out;
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(GatewayOptions options, RouteTable routes,
                                                         Backends* backends, const Clock* clock) {
  STORE_RETURN_IF_ERROR(auth::CheckTokenConfig(options.tokens));
  for (const gateway::Route& route : routes.routes()) {
    const std::string& name = route.http.signed_by();
    if (!name.empty() && options.signing_secrets[name].size() < 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          route.http.path(), " is signed with secret '", name, "': set GATEWAY_SIGNING_SECRET_",
          absl::AsciiStrToUpper(name), " (at least 16 bytes)"));
    }
    const std::string service = route.method->service()->full_name();
    if (service != kAuthService && !backends->Has(service)) {
      return absl::InvalidArgumentError(absl::StrCat("no backend address for ", service));
    }
  }
  return std::unique_ptr<Gateway>(
      new Gateway(std::move(options), std::move(routes), backends, clock));
}

Gateway::Gateway(GatewayOptions options, RouteTable routes, Backends* backends, const Clock* clock)
    : options_(std::move(options)),
      routes_(std::move(routes)),
      backends_(backends),
      clock_(clock),
      by_token_(options_.token_rate, options_.token_burst),
      by_address_(options_.address_rate, options_.address_burst),
      openapi_(OpenApiDocument(routes_, "store-backend", "1.0.0")) {
  if (options_.docs_dir.empty()) return;
  const std::pair<const char*, const char*> files[] = {
      {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
      {"swagger-ui.css", "text/css; charset=utf-8"},
  };
  for (const auto& [name, type] : files) {
    const std::string path = absl::StrCat(options_.docs_dir, "/", name);
    std::ifstream in(path, std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) body.clear();
    if (body.empty()) {
      log::Warning("the API reference (/docs) is not installed",
                   {{"missing", path}, {"hint", "build the gateway_docs target (npm)"}});
      docs_.clear();
      return;
    }
    docs_[absl::StrCat("/docs/", name)] = StaticFile{type, std::move(body)};
  }
  docs_["/docs"] = StaticFile{"text/html; charset=utf-8", std::string(kDocsPage)};
}

bool Gateway::DocsEndpoint(const std::shared_ptr<Call>& call) {
  if (call->path != "/docs" && !absl::StartsWith(call->path, "/docs/")) return false;
  auto it = docs_.find(call->path);
  if (it == docs_.end()) {
    if (call->path != "/docs") return false;  // an unknown file: the router's 404
    call->route_label = "/docs";
    call->Fail(MakeError(absl::StatusCode::kNotFound, "DOCS_NOT_INSTALLED", "",
                         "the API reference is not installed on this gateway (GATEWAY_DOCS_DIR); "
                         "the document itself is at /v1/openapi.json"));
    return true;
  }
  http::Response response;
  response.content_type = it->second.content_type;
  response.body = it->second.body;
  response.headers.emplace_back("Cache-Control",
                                it->first == "/docs" ? "no-cache" : "public, max-age=3600");
  call->route_label = it->first;
  call->Finish(std::move(response));
  return true;
}

void Gateway::Handle(std::shared_ptr<http::Exchange> exchange) {
  auto call = std::make_shared<Call>();
  call->exchange = std::move(exchange);
  call->start = absl::Now();
  const http::Request& req = call->http();
  call->method = req.method;
  const size_t q = req.target.find('?');
  call->path = req.target.substr(0, q);
  if (q != std::string::npos) call->query = req.target.substr(q + 1);
  absl::string_view given_id = req.Header("x-request-id");
  call->request_id = ValidRequestId(given_id) ? std::string(given_id) : NewUuid();
  call->client = req.remote_ip;
  if (options_.trust_forwarded_for) {
    absl::string_view forwarded = req.Header("x-forwarded-for");
    if (!forwarded.empty()) {
      // The proxy in front appends the address it saw: the last entry is
      // the one it vouches for (earlier ones come from the client).
      const size_t comma = forwarded.rfind(',');
      call->client = std::string(absl::StripAsciiWhitespace(
          comma == absl::string_view::npos ? forwarded : forwarded.substr(comma + 1)));
    }
  }
  call->cors = Cors(req.Header("origin"));
  if (req.method == "OPTIONS") {
    call->route_label = "preflight";
    http::Response response;
    response.status = 204;
    response.content_type.clear();
    if (!call->cors.empty()) {
      response.headers = {{"Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE"},
                          {"Access-Control-Allow-Headers", std::string(kAllowedHeaders)},
                          {"Access-Control-Max-Age", "600"}};
    }
    return call->Finish(std::move(response));
  }
  if (FixedEndpoint(call)) return;
  BuyerAddress(call);
  if (absl::Duration wait = by_address_.Take(call->client, absl::Now());
      wait > absl::ZeroDuration()) {
    return call->Fail(
        MakeError(absl::StatusCode::kResourceExhausted, "RATE_LIMITED", "",
                  "too many requests from this address",
                  {{"retry_after_seconds",
                    absl::StrCat(static_cast<int64_t>(absl::ToDoubleSeconds(wait)) + 1)}}));
  }
  Route(call);
}

namespace {

// The token of `Authorization: Bearer <token>`; empty without one.
absl::string_view BearerToken(const http::Request& req) {
  absl::string_view authorization = req.Header("authorization");
  if (!absl::StartsWithIgnoreCase(authorization, "bearer ")) return {};
  return absl::StripAsciiWhitespace(authorization.substr(7));
}

}  // namespace

// A storefront server calls on behalf of many shoppers from one address
// with one token. When its request names the shopper's address in
// X-Buyer-Ip (and its token is a valid storefront token), that address
// stands for the client: the per-address and per-token limits count each
// shopper on their own, and services see it as x-client-ip. From anyone
// else the header is ignored: it would let a client pick its own bucket.
void Gateway::BuyerAddress(const std::shared_ptr<Call>& call) {
  const http::Request& req = call->http();
  absl::string_view buyer = absl::StripAsciiWhitespace(req.Header("x-buyer-ip"));
  if (buyer.empty() || buyer.size() > 45) return;
  unsigned char bytes[sizeof(in6_addr)];
  const std::string address(buyer);
  if (inet_pton(AF_INET, address.c_str(), bytes) != 1 &&
      inet_pton(AF_INET6, address.c_str(), bytes) != 1) {
    return;
  }
  absl::StatusOr<auth::Claims> claims = Verify(BearerToken(req), clock_->Now());
  if (!claims.ok() || claims->role != auth::kRoleStorefront) return;
  call->client = address;
  call->buyer_ip = true;
}

bool Gateway::FixedEndpoint(const std::shared_ptr<Call>& call) {
  if (call->method != "GET") return false;
  http::Response response;
  if (call->path == "/healthz") {
    response.body = R"({"status":"ok"})";
  } else if (call->path == "/readyz") {
    // Ready while it can route: one backend down does not take the gateway
    // out of the load balancer (every replica sees the same backends; its
    // routes answer 503 at once, the others keep working). Not ready while
    // draining; `?backends=all` also wants every backend SERVING (scripts
    // that wait for the whole stack).
    const std::vector<std::string> not_ready = backends_->NotReady();
    const bool draining = draining_.load();
    const bool strict = call->query == "backends=all";
    std::vector<std::string> quoted;
    for (const std::string& name : not_ready) quoted.push_back(log::JsonQuote(name));
    const char* status = draining ? "draining" : not_ready.empty() ? "ready" : "degraded";
    response.status = draining || (strict && !not_ready.empty()) ? 503 : 200;
    response.body = absl::StrCat(R"({"status":")", status, R"(","notReady":[)",
                                 absl::StrJoin(quoted, ","), "]}");
  } else if (call->path == "/metrics") {
    response.content_type = "text/plain; version=0.0.4";
    response.body = prometheus::TextSerializer().Serialize(metrics::Registry().Collect());
  } else if (call->path == "/v1/openapi.json") {
    response.body = openapi_;
  } else {
    return DocsEndpoint(call);
  }
  call->route_label = call->path;
  call->Finish(std::move(response));
  return true;
}

absl::StatusOr<auth::Claims> Gateway::Verify(absl::string_view token, absl::Time now) {
  constexpr size_t kMaxCached = 50000;
  {
    std::lock_guard<std::mutex> lock(verified_mu_);
    auto it = verified_.find(token);
    if (it != verified_.end()) {
      if (now < it->second.expires_at + options_.tokens.leeway) return it->second;
      verified_.erase(it);
    }
  }
  absl::StatusOr<auth::Claims> claims = auth::VerifyToken(options_.tokens, token, now);
  if (claims.ok()) {
    std::lock_guard<std::mutex> lock(verified_mu_);
    if (verified_.size() >= kMaxCached) verified_.clear();
    verified_.emplace(std::string(token), *claims);
  }
  return claims;
}

void Gateway::Route(const std::shared_ptr<Call>& call) {
  const http::Request& req = call->http();
  absl::StatusOr<RouteTable::Match> match = routes_.Find(call->method, call->path);
  if (!match.ok()) return call->Fail(match.status());
  call->match = *std::move(match);
  const gateway::Route& route = *call->match.route;
  call->route_label = route.http.path();
  const absl::Time now = clock_->Now();

  if (!route.is_public()) {
    absl::StatusOr<auth::Claims> claims = Verify(BearerToken(req), now);
    if (!claims.ok()) return call->Fail(claims.status());
    if (claims->role != auth::kRoleAdmin && !route.allows(claims->role)) {
      return call->Fail(Error(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                              absl::StrCat("the ", claims->role, " role may not call this route")));
    }
    call->claims = *std::move(claims);
    // A customer's tokens share the customer's bucket (logging in again
    // gives no fresh one); every other token has its own, so staff and
    // service tokens issued without a subject (storectl names them after
    // the role) do not throttle each other.
    // A storefront token's calls for a shopper (X-Buyer-Ip) count per
    // shopper.
    std::string key = call->claims->role == auth::kRoleCustomer
                          ? absl::StrCat(call->claims->role, ":", call->claims->subject)
                          : absl::StrCat(call->claims->role, ":", call->claims->subject, ":",
                                         call->claims->token_id);
    if (call->buyer_ip) absl::StrAppend(&key, "@", call->client);
    if (absl::Duration wait = by_token_.Take(key, absl::Now()); wait > absl::ZeroDuration()) {
      return call->Fail(
          MakeError(absl::StatusCode::kResourceExhausted, "RATE_LIMITED", "",
                    "too many requests for this token",
                    {{"retry_after_seconds",
                      absl::StrCat(static_cast<int64_t>(absl::ToDoubleSeconds(wait)) + 1)}}));
    }
  }
  if (!route.http.signed_by().empty()) {
    absl::Status signature =
        auth::VerifyPayloadSignature(options_.signing_secrets.at(route.http.signed_by()),
                                     req.Header("store-signature"), req.body, now);
    if (!signature.ok()) return call->Fail(signature);
  }

  std::vector<std::pair<std::string, std::string>> query;
  if (absl::Status s = ParseQuery(call->query, &query); !s.ok()) return call->Fail(s);
  absl::string_view body = req.body;
  if (route.http.form_body() &&
      absl::StartsWithIgnoreCase(req.Header("content-type"), "application/x-www-form-urlencoded")) {
    std::vector<std::pair<std::string, std::string>> form;
    if (absl::Status s = ParseQuery(body, &form); !s.ok()) return call->Fail(s);
    for (auto& [name, value] : form) {
      const absl::string_view top = name.substr(0, name.find('.'));
      if (route.method->input_type()->FindFieldByName(std::string(top)) != nullptr) {
        query.emplace_back(std::move(name), std::move(value));
      }
    }
    body = {};
  }
  call->request = NewMessage(route.method->input_type());
  if (absl::Status s = BuildRequest(route, call->match.bindings, query, body, call->request.get());
      !s.ok()) {
    return call->Fail(s);
  }
  Message* message = call->request.get();
  if (route.has_price_fields &&
      !(call->claims.has_value() && auth::IsPriceAuthority(call->claims->role))) {
    // ORD-18: customers and anonymous callers never set a price, discount,
    // fee or tax rate, on any route.
    if (std::optional<std::string> field = SetPriceField(*message); field.has_value()) {
      return call->Fail(Error(absl::StatusCode::kPermissionDenied, "PRICE_NOT_ALLOWED",
                              absl::StrCat(*field,
                                           " is a price: only staff and the storefront server "
                                           "set prices, discounts, fees and tax rates"),
                              *field));
    }
  }
  const auto* reflection = message->GetReflection();
  absl::string_view idempotency_key = req.Header("idempotency-key");
  if (!idempotency_key.empty() && route.request_id != nullptr) {
    if (!ValidRequestId(idempotency_key)) {
      return call->Fail(InvalidField("Idempotency-Key", "must be 1..128 visible ASCII characters"));
    }
    const std::string current = reflection->GetString(*message, route.request_id);
    if (!current.empty() && current != idempotency_key) {
      return call->Fail(InvalidField(
          "Idempotency-Key",
          absl::StrCat("differs from the body's ", route.request_id->json_name())));
    }
    reflection->SetString(message, route.request_id, std::string(idempotency_key));
  }
  if (route.page_size != nullptr &&
      reflection->GetInt32(*message, route.page_size) > options_.max_page_size) {
    reflection->SetInt32(message, route.page_size, options_.max_page_size);
  }
  if (call->claims.has_value() && call->claims->role == auth::kRoleCustomer &&
      !route.http.owner_field().empty()) {
    const std::string owner = GetText(message, route.http.owner_field());
    if (owner.empty()) {
      SetText(message, route.http.owner_field(), call->claims->subject);
    } else if (owner != call->claims->subject) {
      // Someone else's data does not exist for a customer: 404, never 403.
      return call->Fail(NotFound("customer", owner));
    }
  }
  if (route.method->service()->full_name() == kAuthService) return Login(call);
  if (route.stream_data != nullptr) return Stream(call);
  Invoke(call);
}

namespace {

std::unique_ptr<grpc::ClientContext> BackendContext(
    const GatewayOptions& options, const Route& route, const std::optional<auth::Claims>& claims,
    const std::string& request_id, absl::string_view traceparent, const std::string& client) {
  auto context = std::make_unique<grpc::ClientContext>();
  absl::Duration deadline = route.http.deadline_ms() > 0
                                ? absl::Milliseconds(route.http.deadline_ms())
                                : options.default_deadline;
  deadline = std::min(deadline, options.max_deadline);
  // A download (CSV export, PDF batch) runs as long as it streams: it is
  // cut only past GATEWAY_STREAM_DEADLINE, or when the client goes away.
  if (route.stream_data != nullptr) deadline = std::max(deadline, options.stream_deadline);
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  context->AddMetadata("x-request-id", request_id);
  if (!client.empty()) context->AddMetadata("x-client-ip", client);
  if (ParseTraceparent(traceparent).has_value()) {
    context->AddMetadata("traceparent", std::string(traceparent));
  }
  if (claims.has_value()) {
    context->AddMetadata("x-actor", absl::StrCat(claims->role, ":", claims->subject));
    context->AddMetadata("x-role", claims->role);
    if (claims->role == auth::kRoleCustomer) context->AddMetadata("x-customer-id", claims->subject);
  } else {
    context->AddMetadata("x-actor", "public");
  }
  return context;
}

}  // namespace

void Gateway::Invoke(const std::shared_ptr<Call>& call) {
  const gateway::Route& route = *call->match.route;
  backends_->CallUnary(
      route.method, route.grpc_method,
      BackendContext(options_, route, call->claims, call->request_id,
                     call->http().Header("traceparent"), call->client),
      *call->request, [call, &route](absl::StatusOr<std::unique_ptr<Message>> response) {
        if (!response.ok()) return call->Fail(response.status());
        http::Response ok;
        if (route.redirect != nullptr) {
          const std::string url =
              (*response)->GetReflection()->GetString(**response, route.redirect);
          if (!absl::StartsWith(url, "https://") && !absl::StartsWith(url, "http://")) {
            return call->Fail(Error(absl::StatusCode::kInternal, "BAD_REDIRECT",
                                    "the service answered no usable address"));
          }
          ok.status = 302;
          ok.headers.emplace_back("Location", url);
          ok.headers.emplace_back("Cache-Control", "no-store");
          ok.content_type = "text/plain";
          return call->Finish(std::move(ok));
        }
        ok.body = ResponseJson(**response);
        call->Finish(std::move(ok));
      });
}

void Gateway::Login(const std::shared_ptr<Call>& call) {
  const auto& login = static_cast<const api::v1::LoginRequest&>(*call->request);
  if (login.email().empty()) return call->Fail(InvalidField("email", "is required"));
  if (login.password().empty()) return call->Fail(InvalidField("password", "is required"));
  customer::v1::AuthenticateCustomerRequest check;
  check.set_email(login.email());
  check.set_password(login.password());
  const auto* method = customer::v1::AuthenticateCustomerRequest::descriptor()
                           ->file()
                           ->FindServiceByName("CustomerService")
                           ->FindMethodByName("AuthenticateCustomer");
  const std::string grpc_method =
      absl::StrCat("/", method->service()->full_name(), "/", method->name());
  backends_->CallUnary(
      method, grpc_method,
      BackendContext(options_, *call->match.route, std::nullopt, call->request_id,
                     call->http().Header("traceparent"), call->client),
      check, [this, call](absl::StatusOr<std::unique_ptr<Message>> response) {
        if (!response.ok()) return call->Fail(response.status());
        const auto& customer =
            static_cast<const customer::v1::AuthenticateCustomerResponse&>(**response).customer();
        const absl::Time now = clock_->Now();
        absl::StatusOr<std::string> token = auth::IssueToken(
            options_.tokens, auth::Claims{.subject = customer.id(),
                                          .role = std::string(auth::kRoleCustomer),
                                          .issued_at = now,
                                          .expires_at = now + options_.customer_token_ttl,
                                          .token_id = ""});
        if (!token.ok()) return call->Fail(token.status());
        api::v1::LoginResponse out;
        out.set_access_token(*token);
        out.set_token_type("Bearer");
        out.set_expires_in(absl::ToInt64Seconds(options_.customer_token_ttl));
        out.set_customer_id(customer.id());
        http::Response ok;
        ok.body = ResponseJson(out);
        ok.headers.emplace_back("Cache-Control", "no-store");
        call->Finish(std::move(ok));
      });
}

void Gateway::Stream(const std::shared_ptr<Call>& call) {
  struct State {
    bool started = false;
  };
  auto state = std::make_shared<State>();
  const gateway::Route& route = *call->match.route;
  Backends::StreamHandlers handlers;
  handlers.on_message = [call, state, &route](const Message& message,
                                              std::function<void(bool)> next) {
    std::string data = message.GetReflection()->GetString(message, route.stream_data);
    if (state->started) {
      return call->exchange->WriteChunk(std::move(data), std::move(next));
    }
    state->started = true;
    http::Response head;
    head.status = 200;
    head.content_type = route.http.stream_content_type();
    if (route.stream_content_type != nullptr) {
      // The backend's own type (an invoice asked for as HTML is HTML), when
      // it is a plain header value.
      std::string own = message.GetReflection()->GetString(message, route.stream_content_type);
      const bool plain = !own.empty() && own.size() <= 200 &&
                         std::all_of(own.begin(), own.end(), [](char c) {
                           return c >= 0x20 && c < 0x7f;
                         });
      if (plain) head.content_type = std::move(own);
    }
    if (route.stream_file_name != nullptr) {
      std::string name =
          SafeFileName(message.GetReflection()->GetString(message, route.stream_file_name));
      if (!name.empty()) {
        head.headers.emplace_back("Content-Disposition",
                                  absl::StrCat("attachment; filename=\"", name, "\""));
      }
    }
    call->Decorate(head.headers);
    call->exchange->BeginStream(
        std::move(head), [call, data = std::move(data), next = std::move(next)](bool ok) mutable {
          if (!ok) return next(false);
          call->exchange->WriteChunk(std::move(data), std::move(next));
        });
  };
  handlers.on_done = [call, state, &route](absl::Status status) {
    if (!state->started) {
      if (!status.ok()) return call->Fail(status);
      // An empty document: headers, then the end.
      http::Response head;
      head.content_type = route.http.stream_content_type();
      call->Decorate(head.headers);
      call->Record(200);
      call->exchange->BeginStream(std::move(head),
                                  [call](bool) { call->exchange->EndStream(true); });
      return;
    }
    call->Record(status.ok() ? 200 : ErrorResponse(status).status);
    if (!status.ok()) {
      log::Warning("stream failed after the headers were sent",
                   {{"route", call->route_label}, {"error", std::string(status.message())}});
    }
    call->exchange->EndStream(status.ok());
  };
  backends_->CallServerStream(route.method, route.grpc_method,
                              BackendContext(options_, route, call->claims, call->request_id,
                                             call->http().Header("traceparent"), call->client),
                              *call->request, std::move(handlers));
}

}  // namespace store::gateway
