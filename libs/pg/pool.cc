#include "libs/pg/pool.h"

#include <thread>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/metrics/metrics.h"

namespace store::pg {
namespace {

bool IsRetryable(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  return state == "40001" || state == "40P01";
}

std::vector<const Statement*>& MutableStatements() {
  static auto* const kStatements = new std::vector<const Statement*>();
  return *kStatements;
}

}  // namespace

Statement::Statement(const char* name, const char* sql) : name(name), sql(sql) {
  MutableStatements().push_back(this);
}

Statement::Statement(const char* name, std::string sql)
    : name(name), sql(nullptr), owned_sql_(std::move(sql)) {
  this->sql = owned_sql_.c_str();
  MutableStatements().push_back(this);
}

const std::vector<const Statement*>& RegisteredStatements() { return MutableStatements(); }

absl::Status StatusFromException(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return absl::UnavailableError("database unavailable, retry later");
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return absl::UnavailableError("database connection lost during commit; the outcome is "
                                  "unknown, retry with the same request_id");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    if (sql->sqlstate() == "57014") {
      return absl::DeadlineExceededError("database statement timed out");
    }
    if (sql->sqlstate().rfind("08", 0) == 0 || sql->sqlstate() == "57P01" ||
        sql->sqlstate() == "57P02" || sql->sqlstate() == "57P03") {
      return absl::UnavailableError("database unavailable, retry later");
    }
    log::Error("database error", {{"sqlstate", sql->sqlstate()}, {"error", e.what()}});
    return absl::InternalError("internal database error");
  }
  log::Error("unexpected error in transaction", {{"error", e.what()}});
  return absl::InternalError("internal error");
}

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), discard_(other.discard_) {
  other.pool_ = nullptr;
}

Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_), discard_);
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
  metrics::DbPoolSize().Set(options_.size);
}

Pool::~Pool() = default;

absl::StatusOr<Lease> Pool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  const absl::Time deadline = absl::Now() + options_.acquire_timeout;
  while (idle_.empty() && open_ >= options_.size) {
    if (cv_.wait_for(lock, absl::ToChronoNanoseconds(deadline - absl::Now())) ==
            std::cv_status::timeout &&
        idle_.empty() && open_ >= options_.size) {
      return absl::ResourceExhaustedError("all database connections are busy, retry later");
    }
  }
  ++leased_;
  metrics::DbPoolInUse().Set(leased_);
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  try {
    auto conn = std::make_unique<pqxx::connection>(options_.url);
    conn->set_variable("statement_timeout",
                       absl::StrCat(absl::ToInt64Milliseconds(options_.statement_timeout)));
    for (const Statement* statement : RegisteredStatements()) {
      conn->prepare(statement->name, statement->sql);
    }
    return Lease(this, std::move(conn));
  } catch (const std::exception& e) {
    lock.lock();
    --open_;
    --leased_;
    metrics::DbPoolInUse().Set(leased_);
    cv_.notify_one();
    log::Warning("cannot connect to the database", {{"error", e.what()}});
    return absl::UnavailableError("database unavailable, retry later");
  }
}

void Pool::Release(std::unique_ptr<pqxx::connection> conn, bool discard) {
  std::lock_guard<std::mutex> lock(mu_);
  --leased_;
  metrics::DbPoolInUse().Set(leased_);
  if (discard || !conn->is_open()) {
    --open_;
    conn.reset();
  } else {
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

absl::Status Pool::InTransaction(const std::function<absl::Status(pqxx::work&)>& fn,
                                 int max_attempts) {
  return InTransaction(
      Isolation::kReadCommitted,
      [&fn](pqxx::transaction_base& tx) { return fn(static_cast<pqxx::work&>(tx)); },
      max_attempts);
}

absl::Status Pool::InTransaction(Isolation isolation,
                                 const std::function<absl::Status(pqxx::transaction_base&)>& fn,
                                 int max_attempts) {
  thread_local absl::BitGen gen;
  absl::Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    absl::StatusOr<Lease> lease = Acquire();
    if (!lease.ok()) return lease.status();
    try {
      std::unique_ptr<pqxx::transaction_base> tx;
      switch (isolation) {
        case Isolation::kReadCommitted:
          tx = std::make_unique<pqxx::work>(**lease);
          break;
        case Isolation::kRepeatableRead:
          tx = std::make_unique<pqxx::transaction<pqxx::repeatable_read>>(**lease);
          break;
        case Isolation::kSerializable:
          tx = std::make_unique<pqxx::transaction<pqxx::serializable>>(**lease);
          break;
        case Isolation::kAutocommit:
          tx = std::make_unique<pqxx::nontransaction>(**lease);
          break;
      }
      absl::Status status = fn(*tx);
      if (!status.ok()) {
        tx->abort();
        return status;
      }
      tx->commit();
      return absl::OkStatus();
    } catch (const pqxx::sql_error& e) {
      if (!IsRetryable(e) || attempt == max_attempts) {
        if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) lease->Discard();
        return StatusFromException(e);
      }
      last = absl::AbortedError("transaction conflict");
      absl::SleepFor(absl::Milliseconds(absl::Uniform(gen, 1, 5 << attempt)));
    } catch (const pqxx::broken_connection& e) {
      lease->Discard();
      return StatusFromException(e);
    } catch (const std::exception& e) {
      if (!(**lease).is_open()) lease->Discard();
      return StatusFromException(e);
    }
  }
  return last;
}

absl::Status Pool::Ping() {
  absl::StatusOr<Lease> lease = Acquire();
  if (!lease.ok()) return lease.status();
  try {
    pqxx::nontransaction tx(**lease);
    tx.exec("SELECT 1");
    return absl::OkStatus();
  } catch (const std::exception& e) {
    lease->Discard();
    return absl::UnavailableError("database unavailable");
  }
}

}  // namespace store::pg
