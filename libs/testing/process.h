// Starting the project's own binaries (build/bin) as child processes for
// fault tests: kill -9 them, SIGTERM them, restart them.
#ifndef STORE_LIBS_TESTING_PROCESS_H_
#define STORE_LIBS_TESTING_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace store::testing {

// The directory holding the running test binary (build/bin), where every
// executable of the project lands.
std::string BinDir();

// `relative` (a path inside the repository, "deploy/prometheus/rules/store-alerts.yml")
// under the checkout: STORE_REPO_ROOT (set by tools/dev), else found upwards
// from BinDir(); `relative` itself when neither has it.
std::string RepoPath(const std::string& relative);

// A free TCP port on 127.0.0.1 (bound and released).
int FreePort();

class ChildProcess {
 public:
  // Starts `binary` (a name in BinDir()) with the current environment plus
  // `env`; stdout and stderr go to `log_path`.
  ChildProcess(const std::string& binary, const std::map<std::string, std::string>& env,
               const std::string& log_path);
  // Starts argv[0] (an absolute path, or a name in BinDir()) with arguments.
  ChildProcess(const std::vector<std::string>& argv,
               const std::map<std::string, std::string>& env, const std::string& log_path);
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits for exit; returns the exit status (or -signal), or nullopt-like
  // INT_MIN on timeout.
  int Wait(absl::Duration timeout);
  bool Running();

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

}  // namespace store::testing

#endif  // STORE_LIBS_TESTING_PROCESS_H_
