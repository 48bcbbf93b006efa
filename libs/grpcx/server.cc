#include "libs/grpcx/server.h"

#include <signal.h>

#include <chrono>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/stub_options.h>

#include <condition_variable>
#include <mutex>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/grpcx/status.h"
#include "libs/metrics/metrics.h"

namespace store::grpcx {
namespace {

constexpr absl::string_view kCodeNames[] = {
    "OK",           "Canceled",         "Unknown",          "InvalidArgument",
    "DeadlineExceeded", "NotFound",     "AlreadyExists",    "PermissionDenied",
    "ResourceExhausted", "FailedPrecondition", "Aborted",   "OutOfRange",
    "Unimplemented", "Internal",        "Unavailable",      "DataLoss",
    "Unauthenticated"};

std::string CodeName(grpc::StatusCode code) {
  const int c = static_cast<int>(code);
  if (c >= 0 && c < static_cast<int>(std::size(kCodeNames))) return std::string(kCodeNames[c]);
  return absl::StrCat(c);
}

// "/store.order.v1.OrderService/PlaceOrder" -> {"store.order.v1.OrderService", "PlaceOrder"}
std::pair<std::string, std::string> SplitMethod(absl::string_view full) {
  if (!full.empty() && full[0] == '/') full.remove_prefix(1);
  const size_t slash = full.find('/');
  if (slash == absl::string_view::npos) return {std::string(full), ""};
  return {std::string(full.substr(0, slash)), std::string(full.substr(slash + 1))};
}

class ObservabilityInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ObservabilityInterceptor(grpc::experimental::ServerRpcInfo* info)
      : start_(std::chrono::steady_clock::now()) {
    std::tie(service_, method_) = SplitMethod(info->method());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      const std::string code = CodeName(status.error_code());
      metrics::GrpcServerHandled()
          .Add({{"grpc_service", service_}, {"grpc_method", method_}, {"grpc_code", code}})
          .Increment();
      metrics::GrpcServerHandlingSeconds()
          .Add({{"grpc_service", service_}, {"grpc_method", method_}}, metrics::LatencyBuckets())
          .Observe(seconds);
      const bool server_fault = status.error_code() == grpc::StatusCode::INTERNAL ||
                                status.error_code() == grpc::StatusCode::UNKNOWN ||
                                status.error_code() == grpc::StatusCode::DATA_LOSS;
      const log::Level level = server_fault ? log::Level::kError : log::Level::kDebug;
      if (log::Enabled(level)) {
        log::Write(level, "grpc call",
                   {{"method", method_},
                    {"code", code},
                    {"duration_ms", absl::StrCat(static_cast<int64_t>(seconds * 1000))}});
      }
    }
    methods->Proceed();
  }

 private:
  std::chrono::steady_clock::time_point start_;
  std::string service_;
  std::string method_;
};

class ObservabilityInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ObservabilityInterceptor(info);
  }
};

std::string Metadata(const grpc::ServerContext& context, absl::string_view key) {
  const auto& md = context.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

TraceContext TraceFrom(const grpc::ServerContext& context) {
  std::optional<TraceContext> parent = ParseTraceparent(Metadata(context, "traceparent"));
  TraceContext t = parent.has_value() ? ChildSpan(*parent) : NewTrace();
  t.request_id = Metadata(context, "x-request-id").substr(0, 128);
  t.actor = Metadata(context, "x-actor").substr(0, 128);
  return t;
}

}  // namespace

ServerHost::ServerHost(ServerOptions options) : options_(std::move(options)) {}

ServerHost::~ServerHost() { Shutdown(); }

void ServerHost::AddService(grpc::Service* service) { services_.push_back(service); }

void ServerHost::AddReadinessCheck(ReadinessCheck check) { checks_.push_back(std::move(check)); }

void ServerHost::AddStopHook(std::function<void()> hook) { stop_hooks_.push_back(std::move(hook)); }

absl::Status ServerHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  // One process per port: with SO_REUSEPORT (gRPC's default) a second
  // process binding the same port would silently share its connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (options_.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_MS,
        static_cast<int>(absl::ToInt64Milliseconds(options_.max_connection_age)));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 30000);
  }
  grpc::ResourceQuota quota("store-server");
  quota.SetMaxThreads(options_.max_threads);
  builder.SetResourceQuota(quota);
  // Keep handler threads around between calls instead of creating and
  // destroying one per burst (gRPC's defaults keep at most 2 idle pollers).
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options_.max_threads);
  for (grpc::Service* s : services_) builder.RegisterService(s);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<ObservabilityInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(factories));
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen));
  }
  // "" (the whole server) follows readiness; "liveness" is SERVING while the
  // process runs, so a Kubernetes liveness probe does not restart pods
  // during a database or broker outage they would not fix.
  server_->GetHealthCheckService()->SetServingStatus("", false);
  server_->GetHealthCheckService()->SetServingStatus(std::string(kLivenessService), true);
  health_thread_ = std::thread([this] { HealthLoop(); });
  log::Info("grpc server listening", {{"address", options_.listen}, {"port", absl::StrCat(port_)}});
  return absl::OkStatus();
}

void ServerHost::HealthLoop() {
  std::vector<int> last(checks_.size(), -1);  // -1: not reported yet
  int last_overall = -1;
  while (!stopping_) {
    bool overall = true;
    for (size_t i = 0; i < checks_.size() && !stopping_; ++i) {
      const ReadinessCheck& c = checks_[i];
      const absl::Status s = c.check();
      const int ok = s.ok() ? 1 : 0;
      if (c.gates && !s.ok()) overall = false;
      if (ok == last[i]) continue;
      if (!s.ok()) {
        log::Warning(c.gates ? "not ready" : "degraded",
                     {{"check", c.name}, {"error", s.ToString()}});
      } else if (last[i] == 0) {
        log::Info("check passes again", {{"check", c.name}});
      }
      server_->GetHealthCheckService()->SetServingStatus(c.name, s.ok());
      last[i] = ok;
    }
    if (stopping_) break;
    if (static_cast<int>(overall) != last_overall) {
      server_->GetHealthCheckService()->SetServingStatus("", overall);
      if (overall) log::Info("serving");
      last_overall = overall ? 1 : 0;
    }
    for (int i = 0; i < 20 && !stopping_; ++i) absl::SleepFor(absl::Milliseconds(50));
  }
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void ServerHost::WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  log::Info("termination signal received, draining", {{"signal", absl::StrCat(sig)}});
  Shutdown();
}

void ServerHost::Shutdown() {
  if (shut_down_.exchange(true)) return;
  stopping_ = true;
  if (health_thread_.joinable()) health_thread_.join();
  if (server_) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoNanoseconds(options_.shutdown_grace));
    server_->Wait();
  }
  for (auto it = stop_hooks_.rbegin(); it != stop_hooks_.rend(); ++it) (*it)();
  log::Info("stopped");
}

grpc::Status StaffOnly() {
  return ToGrpcStatus(MakeError(absl::StatusCode::kPermissionDenied, "STAFF_ONLY", "",
                                "this method is for staff"));
}

CallScope::CallScope(const grpc::ServerContext& context)
    : actor_(Metadata(context, "x-actor")),
      customer_id_(Metadata(context, "x-customer-id")),
      client_ip_(Metadata(context, "x-client-ip").substr(0, 64)),
      trace_(TraceFrom(context)) {
  if (actor_.empty()) actor_ = "unknown";
}

absl::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                         absl::Duration timeout) {
  // grpc.health.v1.HealthCheckRequest{service = 1}, encoded by hand: the
  // health protos are not shipped with Debian's gRPC headers.
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1);
  grpc::ByteBuffer resp;
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout));
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  std::vector<grpc::Slice> slices;
  (void)resp.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = SERVING (1)} is 08 01.
  if (bytes.size() >= 2 && bytes[0] == 0x08 && bytes[1] == 0x01) return absl::OkStatus();
  return absl::UnavailableError("NOT_SERVING");
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, bool own_connections) {
  grpc::ChannelArguments args;
  if (own_connections) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(8 * 1024 * 1024);
  args.SetMaxSendMessageSize(8 * 1024 * 1024);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  args.SetServiceConfigJSON(R"({"loadBalancingConfig": [{"round_robin": {}}]})");
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<grpc::ClientContext> OutboundContext(absl::Duration timeout,
                                                     const grpc::ServerContext* inbound) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  auto deadline = std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout);
  if (inbound != nullptr && inbound->deadline() < deadline) deadline = inbound->deadline();
  ctx->set_deadline(deadline);
  const TraceContext& trace = CurrentTrace();
  if (!trace.trace_id.empty()) {
    ctx->AddMetadata("traceparent", ChildSpan(trace).Traceparent());
  }
  if (!trace.request_id.empty()) ctx->AddMetadata("x-request-id", trace.request_id);
  if (!trace.actor.empty()) ctx->AddMetadata("x-actor", trace.actor);
  return ctx;
}

}  // namespace store::grpcx
