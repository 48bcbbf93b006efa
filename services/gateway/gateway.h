// The gateway's request pipeline (GW-01 … GW-07), independent of sockets:
//
//   CORS preflight / fixed endpoints (/healthz, /readyz, /metrics,
//   /v1/openapi.json, /docs) → per-address rate limit → route (404/405) → token
//   (401) and role (403) → per-token rate limit → HMAC signature for signed
//   public routes → request message from path, query and JSON body (400
//   naming the field) → Idempotency-Key into request_id, page_size capped,
//   a customer's own id into the owner field (someone else's: 404) → gRPC
//   call with the route's deadline and the caller's identity in metadata →
//   proto3 JSON, or the chunked stream of a download, or the mapped error.
//
// Every response carries X-Request-Id; every request is counted in
// http_requests_total{route,method,code} and timed in
// http_request_duration_seconds{route,method} by route template.
#ifndef STORE_SERVICES_GATEWAY_GATEWAY_H_
#define STORE_SERVICES_GATEWAY_GATEWAY_H_

#include <atomic>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "libs/auth/token.h"
#include "libs/core/clock.h"
#include "services/gateway/backends.h"
#include "services/gateway/http/server.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/transcoding/route_table.h"

namespace store::gateway {

struct GatewayOptions {
  auth::TokenConfig tokens;
  absl::Duration customer_token_ttl = absl::Hours(1);
  // signed_by name ("payments") -> shared secret.
  std::map<std::string, std::string> signing_secrets;
  // Origins allowed to call from a browser ("https://shop.example.com").
  std::vector<std::string> cors_origins;
  int max_page_size = 100;
  // For routes without deadline_ms; no route waits longer than the maximum.
  absl::Duration default_deadline = absl::Seconds(10);
  absl::Duration max_deadline = absl::Seconds(60);
  // For streamed downloads (routes with stream_content_type).
  absl::Duration stream_deadline = absl::Minutes(30);
  // Requests per second and burst, per token subject and per client address
  // (<= 0: off).
  double token_rate = 50, token_burst = 100;
  double address_rate = 100, address_burst = 200;
  // Behind a trusted load balancer: the client address is the first entry
  // of X-Forwarded-For.
  bool trust_forwarded_for = false;
  // Swagger UI's files (swagger-ui-bundle.js, swagger-ui.css), installed at
  // build time; GET /docs is the API reference of /v1/openapi.json, served
  // from here with no CDN. Empty or without the files: /docs answers 404.
  std::string docs_dir;
};

class Gateway {
 public:
  // Fails when a signed route's secret is not configured.
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(GatewayOptions options,
                                                         RouteTable routes, Backends* backends,
                                                         const Clock* clock);

  void Handle(std::shared_ptr<http::Exchange> exchange);
  // The X-Request-Id (the caller's when valid, else a new one) and CORS
  // headers of an answer the HTTP server gives by itself (413, 431):
  // http::ServerOptions::rejection_headers.
  http::Headers RejectionHeaders(absl::string_view origin, absl::string_view request_id) const;

  // /readyz answers 503 from now on (shutdown: the load balancer stops
  // sending before the server stops).
  void Drain() { draining_.store(true); }
  const RouteTable& routes() const { return routes_; }

 private:
  Gateway(GatewayOptions options, RouteTable routes, Backends* backends, const Clock* clock);
  // The CORS headers for a request from `origin` (none when not allowed).
  http::Headers Cors(absl::string_view origin) const;
  struct Call;
  void Route(const std::shared_ptr<Call>& call);
  void Invoke(const std::shared_ptr<Call>& call);
  void Login(const std::shared_ptr<Call>& call);
  void Stream(const std::shared_ptr<Call>& call);
  bool FixedEndpoint(const std::shared_ptr<Call>& call);
  void BuyerAddress(const std::shared_ptr<Call>& call);

  GatewayOptions options_;
  RouteTable routes_;
  Backends* backends_;
  const Clock* clock_;
  // Verified tokens (signature, issuer, audience), so a client's every
  // request does not redo the HMAC and JSON work; expiry is checked on each
  // use. Bounded: cleared when full.
  absl::StatusOr<auth::Claims> Verify(absl::string_view token, absl::Time now);
  std::mutex verified_mu_;
  absl::flat_hash_map<std::string, auth::Claims> verified_;

  RateLimiter by_token_;
  RateLimiter by_address_;
  std::string openapi_;
  // GET /docs and its files ("/docs/swagger-ui.css" -> the file), read at
  // start-up from docs_dir; empty when they are not installed.
  struct StaticFile {
    std::string content_type;
    std::string body;
  };
  std::map<std::string, StaticFile> docs_;
  bool DocsEndpoint(const std::shared_ptr<Call>& call);
  std::atomic<bool> draining_{false};
};

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_GATEWAY_H_
