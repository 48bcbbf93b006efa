// ServiceProcess: one of the project's services (build/bin/<name>-service)
// run as a real process for fault tests, on a fixed gRPC address that
// survives restarts, and waited on until it is SERVING.
//
//   testing::ServiceProcess order("order", {{"DATABASE_URL", db->url()},
//                                           {"KAFKA_BROKERS", kafka.brokers()}});
//   ASSERT_TRUE(order.Start().ok());
//   order.Signal(SIGKILL);
//   order.Wait(absl::Seconds(10));
//   ASSERT_TRUE(order.Start().ok());  // same address, same log (appended)
#ifndef STORE_LIBS_TESTING_SERVICE_PROCESS_H_
#define STORE_LIBS_TESTING_SERVICE_PROCESS_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/testing/process.h"

namespace store::testing {

class ServiceProcess {
 public:
  // `name`: "order" for order-service. `env` is added to the defaults
  // (GRPC_LISTEN and METRICS_LISTEN on free ports, SHUTDOWN_GRACE 10s,
  // LOG_LEVEL warning) and wins over them.
  ServiceProcess(std::string name, std::map<std::string, std::string> env);
  ~ServiceProcess();

  // Starts the process (again, after it exited) and waits until health ""
  // is SERVING; an error naming the log when it does not within `timeout`.
  absl::Status Start(absl::Duration timeout = absl::Seconds(30));
  void Signal(int sig);
  // Exit status (or -signal); INT_MIN on timeout.
  int Wait(absl::Duration timeout);
  bool Running();
  pid_t pid() const { return process_ ? process_->pid() : -1; }

  const std::string& name() const { return name_; }
  const std::string& addr() const { return addr_; }
  const std::string& metrics_addr() const { return metrics_addr_; }
  const std::string& log() const { return log_; }
  // A channel to the process of the latest Start().
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // health "" (readiness) or a named check ("database", "kafka").
  bool Serving(const std::string& check = "") const;

 private:
  std::string name_;
  std::map<std::string, std::string> env_;
  std::string addr_;
  std::string metrics_addr_;
  std::string log_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace store::testing

#endif  // STORE_LIBS_TESTING_SERVICE_PROCESS_H_
