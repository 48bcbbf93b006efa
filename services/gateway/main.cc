// gateway: the HTTP/JSON front door for the admin panel and the storefronts.
// Routes, authorisation and the OpenAPI document come from the
// `store.api.v1.http` annotations of the services' protos (see README.md).
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/config/env_config.h"
#include "libs/core/clock.h"
#include "libs/core/log.h"
#include "libs/core/process.h"
#include "libs/grpcx/server.h"
#include "services/gateway/backends.h"
#include "services/gateway/gateway.h"
#include "services/gateway/http/server.h"
#include "services/gateway/transcoding/services.h"

namespace {

// "store.order.v1.OrderService" -> "ORDER_SERVICE_ADDR".
std::string AddressVariable(const google::protobuf::ServiceDescriptor* service) {
  std::vector<std::string> parts = absl::StrSplit(service->file()->package(), '.');
  return absl::StrCat(absl::AsciiStrToUpper(parts.size() > 1 ? parts[1] : parts[0]),
                      "_SERVICE_ADDR");
}

// Where the build installs Swagger UI's files: <dir of this binary>/../share/
// gateway-docs (build/bin -> build/share, /usr/local/bin -> /usr/local/share).
std::string DefaultDocsDir() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "";
  return (exe.parent_path().parent_path() / "share" / "gateway-docs").string();
}

}  // namespace

int main() {
  store::InitProcess();
  using namespace store;
  grpcx::BlockTerminationSignals();
  EnvConfig env;
  log::Init("gateway", log::ParseLevel(env.Optional("LOG_LEVEL", "info")),
            env.Optional("LOG_FORMAT", "json") != "text");

  absl::StatusOr<gateway::RouteTable> routes =
      gateway::RouteTable::Build(gateway::ExposedServices());
  if (!routes.ok()) {
    std::fprintf(stderr, "gateway: %s\n", routes.status().ToString().c_str());
    return 2;
  }

  gateway::http::ServerOptions server;
  server.listen = env.ListenAddress("GATEWAY_LISTEN", "127.0.0.1:8080");
  server.io_threads = env.Int("GATEWAY_IO_THREADS", 1, 1, 64);
  server.max_body_bytes = env.Int("GATEWAY_MAX_BODY_BYTES", 1 << 20, 1024, 64 << 20);
  server.max_connections = env.Int("GATEWAY_MAX_CONNECTIONS", 10000, 1, 1000000);
  server.idle_timeout = env.Duration("GATEWAY_IDLE_TIMEOUT", absl::Seconds(60));

  gateway::GatewayOptions options;
  options.tokens.secret =
      env.Required("GATEWAY_JWT_SECRET", "HMAC key of the access tokens (at least 32 bytes)");
  options.tokens.issuer = env.Optional("GATEWAY_JWT_ISSUER", "store-backend");
  options.tokens.audience = env.Optional("GATEWAY_JWT_AUDIENCE", "store-api");
  options.customer_token_ttl = env.Duration("GATEWAY_CUSTOMER_TOKEN_TTL", absl::Hours(1));
  options.max_page_size = env.Int("GATEWAY_MAX_PAGE_SIZE", 100, 1, 1000);
  options.default_deadline = env.Duration("GATEWAY_DEFAULT_DEADLINE", absl::Seconds(10));
  options.max_deadline = env.Duration("GATEWAY_MAX_DEADLINE", absl::Seconds(60));
  options.stream_deadline = env.Duration("GATEWAY_STREAM_DEADLINE", absl::Minutes(30));
  options.token_rate = env.Int("GATEWAY_RATE_PER_TOKEN", 50, 0, 1000000);
  options.token_burst = env.Int("GATEWAY_BURST_PER_TOKEN", 100, 1, 1000000);
  options.address_rate = env.Int("GATEWAY_RATE_PER_ADDRESS", 100, 0, 1000000);
  options.address_burst = env.Int("GATEWAY_BURST_PER_ADDRESS", 200, 1, 1000000);
  options.trust_forwarded_for = env.Bool("GATEWAY_TRUST_FORWARDED_FOR", false);
  options.docs_dir = env.Optional("GATEWAY_DOCS_DIR", DefaultDocsDir());
  for (absl::string_view origin :
       absl::StrSplit(env.Optional("GATEWAY_CORS_ORIGINS", ""), ',', absl::SkipWhitespace())) {
    options.cors_origins.emplace_back(absl::StripAsciiWhitespace(origin));
  }
  for (const gateway::Route& route : routes->routes()) {
    const std::string& name = route.http.signed_by();
    if (!name.empty() && !options.signing_secrets.count(name)) {
      options.signing_secrets[name] =
          env.Required(absl::StrCat("GATEWAY_SIGNING_SECRET_", absl::AsciiStrToUpper(name)),
                       absl::StrCat("shared secret of the '", name, "' webhook signatures"));
    }
  }
  gateway::Backends backends;
  for (const auto* service : gateway::ExposedServices()) {
    if (service->full_name() == "store.api.v1.AuthService") continue;  // served here
    backends.Add(service->full_name(),
                 env.Required(AddressVariable(service),
                              absl::StrCat("host:port of ", service->full_name())));
  }
  const absl::Duration drain = env.Duration("GATEWAY_DRAIN_DELAY", absl::ZeroDuration());
  if (absl::Status s = env.Check(); !s.ok()) {
    std::fprintf(stderr, "gateway: %s\n", std::string(s.message()).c_str());
    return 2;
  }

  absl::StatusOr<std::unique_ptr<gateway::Gateway>> gw = gateway::Gateway::Create(
      std::move(options), *std::move(routes), &backends, &SystemClock::Get());
  if (!gw.ok()) {
    std::fprintf(stderr, "gateway: %s\n", std::string(gw.status().message()).c_str());
    return 2;
  }
  backends.StartHealthChecks(absl::Seconds(2));
  server.rejection_headers = [g = gw->get()](absl::string_view origin,
                                             absl::string_view request_id) {
    return g->RejectionHeaders(origin, request_id);
  };
  gateway::http::Server http(server, [g = gw->get()](auto exchange) {
    g->Handle(std::move(exchange));
  });
  if (absl::Status s = http.Start(); !s.ok()) {
    log::Error("cannot start", {{"error", s.ToString()}});
    return 1;
  }
  log::Info("gateway listening", {{"listen", server.listen},
                                  {"port", absl::StrCat(http.port())},
                                  {"routes", absl::StrCat((*gw)->routes().routes().size())}});

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  log::Info("termination signal received, draining", {{"signal", absl::StrCat(sig)}});
  (*gw)->Drain();
  absl::SleepFor(drain);  // readiness fails first, so no new traffic is sent
  http.Stop();
  log::Info("stopped");
  return 0;
}
