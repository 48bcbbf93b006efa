// A fixed-size PostgreSQL connection pool and the one transaction helper
// every repository uses. Connections open lazily; a broken one is dropped
// and replaced on next use, so the service recovers from a database restart
// without restarting itself.
#ifndef STORE_LIBS_PG_POOL_H_
#define STORE_LIBS_PG_POOL_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace store::pg {

struct PoolOptions {
  std::string url;
  int size = 16;
  // How long Acquire waits for a free connection before RESOURCE_EXHAUSTED.
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Per-statement timeout set on every connection.
  absl::Duration statement_timeout = absl::Seconds(10);
};

class Pool;

// A leased connection; returns to the pool when destroyed.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  pqxx::connection& operator*() const { return *conn_; }
  pqxx::connection* operator->() const { return conn_.get(); }
  // The connection is broken: close it instead of returning it.
  void Discard() { discard_ = true; }

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<pqxx::connection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  Pool* pool_;
  std::unique_ptr<pqxx::connection> conn_;
  bool discard_ = false;
};

// A named statement prepared on every pooled connection. Define one at
// namespace scope next to the repository that uses it:
//   const pg::Statement kGetOrder("order_get", "SELECT ... WHERE id = $1");
// and run it with tx.exec_prepared(kGetOrder.name, ...).
struct Statement {
  Statement(const char* name, const char* sql);
  // For SQL assembled at start-up (shared column lists, CTEs): keeps it.
  Statement(const char* name, std::string sql);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  const char* name;
  const char* sql;

 private:
  std::string owned_sql_;
};

// Every Statement defined in the process.
const std::vector<const Statement*>& RegisteredStatements();

// kAutocommit runs without BEGIN/COMMIT (each statement commits by itself):
// for a single statement, e.g. a read on a hot path, one round trip.
enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable, kAutocommit };

class Pool {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection, opening one if the pool is below its size. UNAVAILABLE
  // when the database cannot be reached; RESOURCE_EXHAUSTED on timeout.
  absl::StatusOr<Lease> Acquire();

  // Runs `fn` in a transaction and commits when it returns OK; any error
  // rolls back. Serialization failures (40001) and deadlocks (40P01) are
  // retried with jittered backoff up to `max_attempts`; a lost connection is
  // UNAVAILABLE; other database errors are INTERNAL, logged but never shown
  // to the caller.
  absl::Status InTransaction(const std::function<absl::Status(pqxx::work&)>& fn,
                             int max_attempts = 5);
  absl::Status InTransaction(Isolation isolation,
                             const std::function<absl::Status(pqxx::transaction_base&)>& fn,
                             int max_attempts = 5);

  // SELECT 1 on a pooled connection (health checks).
  absl::Status Ping();

  const std::string& url() const { return options_.url; }
  int size() const { return options_.size; }

 private:
  friend class Lease;
  void Release(std::unique_ptr<pqxx::connection> conn, bool discard);

  PoolOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;    // connections that exist (idle + leased) or are opening
  int leased_ = 0;
};

// Maps a database exception to a status (no SQL text in the message).
absl::Status StatusFromException(const std::exception& e);

}  // namespace store::pg

#endif  // STORE_LIBS_PG_POOL_H_
