// The gateway's connections to the services: one channel and generic stub
// per exposed gRPC service, calls made with the callback API (no thread
// waits on a backend), and each backend's readiness from its gRPC health
// service, refreshed in the background for /readyz.
#ifndef STORE_SERVICES_GATEWAY_BACKENDS_H_
#define STORE_SERVICES_GATEWAY_BACKENDS_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace store::gateway {

class Backends {
 public:
  Backends() = default;
  ~Backends();

  // `service` ("store.order.v1.OrderService") is served at `address`.
  void Add(const std::string& service, const std::string& address);
  bool Has(const std::string& service) const { return backends_.count(service) > 0; }

  // Starts the readiness loop (every `interval`).
  void StartHealthChecks(absl::Duration interval);
  // The services that are not ready; empty when all are.
  std::vector<std::string> NotReady() const;

  using UnaryDone = std::function<void(absl::StatusOr<std::unique_ptr<google::protobuf::Message>>)>;
  // Calls a unary method; `done` runs on a gRPC thread with the response
  // or the call's status (ErrorInfo payload included).
  void CallUnary(const google::protobuf::MethodDescriptor* method, const std::string& grpc_method,
                 std::unique_ptr<grpc::ClientContext> context,
                 const google::protobuf::Message& request, UnaryDone done);

  // A server-streaming call: `on_message` gets each message and calls its
  // `next(true)` when ready for the following one (backpressure; false
  // cancels the call); `on_done` gets
  // the final status. Both run on gRPC threads.
  struct StreamHandlers {
    std::function<void(const google::protobuf::Message& message, std::function<void(bool)> next)>
        on_message;
    std::function<void(absl::Status status)> on_done;
  };
  void CallServerStream(const google::protobuf::MethodDescriptor* method,
                        const std::string& grpc_method,
                        std::unique_ptr<grpc::ClientContext> context,
                        const google::protobuf::Message& request, StreamHandlers handlers);

 private:
  struct Backend {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> stub;
    std::atomic<bool> ready{false};
  };
  Backend* For(const google::protobuf::MethodDescriptor* method);
  void HealthLoop(absl::Duration interval);

  std::map<std::string, std::unique_ptr<Backend>> backends_;
  std::thread health_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_BACKENDS_H_
