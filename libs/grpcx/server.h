// The gRPC server host every service runs in:
// - health checking protocol: "" is SERVING only while every readiness
//   check (database, broker) passes, re-checked every second; "liveness"
//   is SERVING while the process runs;
// - server reflection, so grpcurl and other generic clients can list and call;
// - interceptors for metrics (grpc_server_handled_total,
//   grpc_server_handling_seconds) and one JSON access-log line per call;
// - max message sizes; a listen address that must be given explicitly;
// - on SIGTERM/SIGINT: NOT_SERVING, stop accepting, Shutdown(deadline) so
//   in-flight calls finish, then the stop hooks (consumers, relay) in reverse
//   order of registration.
#ifndef STORE_LIBS_GRPCX_SERVER_H_
#define STORE_LIBS_GRPCX_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/core/trace.h"

namespace store::grpcx {

// Health-check service name that reports SERVING while the process is up
// (for liveness probes); "" reports readiness.
inline constexpr char kLivenessService[] = "liveness";

struct ServerOptions {
  std::string listen;  // "127.0.0.1:50051"; port 0 picks a free one
  int max_message_bytes = 8 * 1024 * 1024;
  absl::Duration shutdown_grace = absl::Seconds(20);
  int max_threads = 64;
  // A client connection is asked to go away (GOAWAY, its calls finish)
  // after this long, so clients reconnect and re-resolve the name: replicas
  // added since (an autoscaler's) get their share of calls. Zero: never.
  absl::Duration max_connection_age = absl::Minutes(5);
};

// A named readiness check (returns OK when the dependency is reachable),
// evaluated every second. Each check is also reported as a health-check
// service of its own name ("database", "kafka"): SERVING while it passes.
// The server as a whole ("") is SERVING while every check that `gates` it
// passes: a dependency the service can work without for a while (the broker:
// the outbox keeps the events) reports its state without taking the service
// out of load balancing.
struct ReadinessCheck {
  std::string name;
  std::function<absl::Status()> check;
  bool gates = true;
};

class ServerHost {
 public:
  explicit ServerHost(ServerOptions options);
  ~ServerHost();

  void AddService(grpc::Service* service);
  void AddReadinessCheck(ReadinessCheck check);
  // Called on shutdown after the server stopped, in reverse order.
  void AddStopHook(std::function<void()> hook);

  // Builds and starts the server; the bound port is then port().
  absl::Status Start();
  int port() const { return port_; }
  grpc::Server* server() { return server_.get(); }

  // Blocks until SIGTERM or SIGINT, then shuts down. Call
  // BlockTerminationSignals() first thing in main().
  void WaitForTerminationSignal();
  // The shutdown sequence (also used by tests).
  void Shutdown();

 private:
  void HealthLoop();

  ServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::vector<ReadinessCheck> checks_;
  std::vector<std::function<void()>> stop_hooks_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_down_{false};
  std::thread health_thread_;
};

// Blocks SIGTERM and SIGINT in this thread and every thread started after;
// WaitForTerminationSignal() then receives them synchronously.
void BlockTerminationSignals();

// Per-call context for handlers: installs the caller's trace (traceparent
// metadata, or a new one), x-request-id and x-actor on this thread.
class CallScope {
 public:
  explicit CallScope(const grpc::ServerContext& context);
  // "x-actor" from the caller, or "unknown".
  const std::string& actor() const { return actor_; }
  // "x-customer-id": set by the gateway when a customer calls (their own
  // id); empty for staff and internal callers. Methods that address a
  // customer's data answer NOT_FOUND when it is someone else's.
  const std::string& customer_id() const { return customer_id_; }
  bool is_customer() const { return !customer_id_.empty(); }
  // A customer addressing data that is not theirs (`owner` is the data's
  // customer id, "" for a guest's): the method answers NOT_FOUND.
  bool IsForeign(absl::string_view owner) const { return is_customer() && owner != customer_id_; }
  // "x-client-ip": the HTTP client's address, as the gateway saw it (consent
  // records); empty for internal callers.
  const std::string& client_ip() const { return client_ip_; }

 private:
  std::string actor_;
  std::string customer_id_;
  std::string client_ip_;
  ScopedTrace trace_;
};

// PERMISSION_DENIED (reason STAFF_ONLY) for a staff-only method called with
// a customer identity (the gateway never routes it so; defence in depth).
grpc::Status StaffOnly();

// Asks `channel`'s gRPC health service about `service` ("" = the server):
// OK when SERVING, UNAVAILABLE otherwise (or when unreachable).
absl::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                         absl::Duration timeout);

// A client channel with the project's message limits and keepalive. Calls
// are spread over every address the target resolves to (round_robin): a
// headless Kubernetes Service (`dns:///order-headless:50051`) or a list
// (`ipv4:127.0.0.1:50052,127.0.0.1:50062`) balances calls over replicas; a
// single address behaves as before. `own_connections`: the channel does not
// share connections with other channels of the process (a load generator's
// clients, each on its own connection).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, bool own_connections = false);

// A client context for an outbound call made while serving `inbound` (or
// none): the deadline is `timeout` but never past the inbound deadline, and
// traceparent, x-request-id and x-actor are propagated.
std::unique_ptr<grpc::ClientContext> OutboundContext(absl::Duration timeout,
                                                     const grpc::ServerContext* inbound = nullptr);

}  // namespace store::grpcx

#endif  // STORE_LIBS_GRPCX_SERVER_H_
