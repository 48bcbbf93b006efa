// PrivatePostgres: a PostgreSQL cluster of one test's own (initdb in a
// temporary directory, 127.0.0.1 on a free port), for fault tests that stop
// and restart the database itself, which the shared test cluster of
// `tools/dev test` must never do. Run as root, the server runs as user
// postgres (it refuses root). Removed, stopped first, when destroyed.
//
//   auto pg = testing::PrivatePostgres::Create();
//   ASSERT_TRUE(pg.ok()) << pg.status();
//   std::string url = (*pg)->CreateDatabase("store_order");
//   (*pg)->Stop(testing::PrivatePostgres::kImmediate);  // as a crash
//   (*pg)->Start();                                      // crash recovery
#ifndef STORE_LIBS_TESTING_PRIVATE_POSTGRES_H_
#define STORE_LIBS_TESTING_PRIVATE_POSTGRES_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace store::testing {

class PrivatePostgres {
 public:
  enum StopMode { kFast, kImmediate };

  // initdb (about a second) and start. The binaries come from
  // STORE_PG_BIN, else /usr/lib/postgresql/15/bin.
  static absl::StatusOr<std::unique_ptr<PrivatePostgres>> Create();
  ~PrivatePostgres();

  // A new empty database; its superuser URL.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);
  absl::Status Start();
  // kFast: a clean shutdown (sessions ended, checkpoint); kImmediate: every
  // process killed at once, recovery at the next start, as after a crash.
  absl::Status Stop(StopMode mode);
  std::string Url(const std::string& dbname) const;
  const std::string& log() const { return log_; }

 private:
  PrivatePostgres() = default;
  absl::Status Run(const std::vector<std::string>& argv);
  std::string dir_;
  std::string data_;
  std::string log_;
  int port_ = 0;
};

}  // namespace store::testing

#endif  // STORE_LIBS_TESTING_PRIVATE_POSTGRES_H_
