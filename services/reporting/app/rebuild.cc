#include "services/reporting/app/rebuild.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/pg/values.h"
#include "services/reporting/store/rebuild_store.h"
#include "services/reporting/store/report_store.h"
#include "store/topics.h"

namespace store::reporting {
namespace {

// A busy store never reaches a lag of exactly zero: within this many events
// for kNearlyTimeout the replay counts as caught up (the swap's catch-up
// applies the rest).
constexpr int64_t kNearlyCaughtUp = 1000;
constexpr absl::Duration kNearlyTimeout = absl::Seconds(30);
constexpr absl::Duration kLagTimeout = absl::Seconds(5);
// A rebuild whose runner has not written for this long was interrupted.
constexpr absl::Duration kSilentRunner = absl::Seconds(30);
// Readers of the order topic, each with its share of the partitions.
constexpr int kOrderReplayers = 3;

// The database URL (URI or key=value) with the shadow schema first on the
// search_path.
std::string ShadowUrl(const std::string& url) {
  if (url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0) {
    return absl::StrCat(url, url.find('?') == std::string::npos ? "?" : "&",
                        "options=-csearch_path%3D", RebuildStore::kShadowSchema, "%2Cpublic");
  }
  return absl::StrCat(url, " options='-csearch_path=", RebuildStore::kShadowSchema, ",public'");
}

std::string GroupPrefix(const std::string& id) {
  return absl::StrCat("reporting-rebuild-", id.substr(0, 8), "-");
}

}  // namespace

Rebuilder::Rebuilder(pg::Pool& pool, const Clock& clock, std::string brokers, ReportingApp& app)
    : pool_(pool), clock_(clock), brokers_(std::move(brokers)), app_(app) {}

Rebuilder::~Rebuilder() {
  std::lock_guard<std::mutex> lock(mu_);
  StopConsumers();
  shadow_pool_.reset();
}

absl::Status Rebuilder::Recover() {
  return pool_.InTransaction([&](pqxx::work& tx) {
    for (v1::Rebuild r : RebuildStore::Unfinished(tx, kSilentRunner, /*stale=*/true)) {
      if (running_.has_value() && running_->id() == r.id()) continue;
      r.set_state(v1::REBUILD_STATE_INTERRUPTED);
      r.set_error("the replica running it stopped; start the rebuild again");
      RebuildStore::Save(tx, r);
      log::Warning("rebuild interrupted", {{"rebuild_id", r.id()}});
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Rebuild> Rebuilder::Start(const v1::StartRebuildRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_.has_value()) {
    return Precondition("REBUILD_RUNNING",
                        absl::StrCat("rebuild ", running_->id(), " is still running"));
  }
  v1::Rebuild r;
  r.set_id(NewUuid());
  r.set_state(v1::REBUILD_STATE_REPLAYING);
  r.set_dry_run(request.dry_run());
  *r.mutable_start_time() = pg::ToTimestamp(pg::TruncateToMicros(clock_.Now()));
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) {
    ReportStore::AllowLongStatements(tx);
    if (!RebuildStore::Unfinished(tx, kSilentRunner, /*stale=*/false).empty()) {
      return Precondition("REBUILD_RUNNING", "another replica is running a rebuild");
    }
    RebuildStore::CreateShadow(tx);
    RebuildStore::Save(tx, r);
    return absl::OkStatus();
  }));
  running_ = r;
  applied_ = 0;
  shadow_pool_ =
      std::make_unique<pg::Pool>(pg::PoolOptions{.url = ShadowUrl(pool_.url()),
                                                 .size = kOrderReplayers + 4,
                                                 .statement_timeout = absl::Minutes(30)});
  near_since_.reset();
  if (absl::Status s = StartConsumers(/*shadow=*/true); !s.ok()) {
    STORE_RETURN_IF_ERROR(Finish(v1::REBUILD_STATE_FAILED, s.ToString()));
    return s;
  }
  log::Info("rebuild started", {{"rebuild_id", r.id()}, {"dry_run", r.dry_run() ? "yes" : "no"}});
  return r;
}

absl::StatusOr<v1::Rebuild> Rebuilder::Get(const std::string& id) {
  if (id != "latest" && !IsUuid(id)) return InvalidField("id", "must be a UUID or \"latest\"");
  std::optional<v1::Rebuild> r;
  STORE_RETURN_IF_ERROR(
      pool_.InTransaction(pg::Isolation::kAutocommit, [&](pqxx::transaction_base& tx) {
        r = RebuildStore::Load(tx, id);
        return absl::OkStatus();
      }));
  if (!r.has_value()) return NotFound("rebuild", id);
  return *r;
}

absl::Status Rebuilder::StartConsumers(bool shadow) {
  // The replay of the orders keeps no day rows (they are recomputed once,
  // before the comparison) and runs kOrderReplayers readers: an order's
  // events stay in one partition, so in order.
  const events::Handler orders = [this, shadow](pqxx::work& tx,
                                                const common::v1::EventEnvelope& env) {
    return app_.ApplyOrderEvent(tx, env, /*keep_days=*/!shadow);
  };
  const events::Handler customers = [this](pqxx::work& tx, const common::v1::EventEnvelope& env) {
    return app_.HandleCustomerEvent(tx, env);
  };
  const events::Handler campaigns = [this](pqxx::work& tx, const common::v1::EventEnvelope& env) {
    return app_.HandleCampaignEvent(tx, env);
  };
  struct Feed {
    const char* name;
    std::string topic;
    const events::Handler* handle;
    int members;
  };
  const Feed feeds[] = {
      {"orders", order::v1::kOrdersTopic, &orders, kOrderReplayers},
      {"customers", customer::v1::kCustomersTopic, &customers, 1},
      {"campaigns", newsletter::v1::kCampaignsTopic, &campaigns, 1},
  };
  for (const Feed& feed : feeds) {
    for (int member = 0; member < feed.members; ++member) {
      events::ConsumerOptions options;
      options.name = GroupPrefix(running_->id()) + feed.name;
      options.brokers = brokers_;
      options.topics = {feed.topic};
      options.max_batch = 500;
      // Each member reads its share of the partitions at once: no group to
      // form, in the replay nor in the catch-up.
      options.static_members = feed.members;
      options.static_member = member;
      events::Handler handle = *feed.handle;
      auto consumer = std::make_unique<events::Consumer>(
          options, shadow ? *shadow_pool_ : pool_,
          [this, handle](pqxx::work& tx, const common::v1::EventEnvelope& env) {
            absl::Status s = handle(tx, env);
            if (s.ok()) ++applied_;
            return s;
          });
      STORE_RETURN_IF_ERROR(consumer->Start());
      consumers_.push_back(std::move(consumer));
    }
  }
  return absl::OkStatus();
}

void Rebuilder::StopConsumers() {
  for (auto& c : consumers_) c->Stop();
  consumers_.clear();
}

absl::Status Rebuilder::Save() {
  return pool_.InTransaction([&](pqxx::work& tx) {
    RebuildStore::Save(tx, *running_);
    return absl::OkStatus();
  });
}

absl::Status Rebuilder::Finish(v1::RebuildState state, const std::string& error) {
  StopConsumers();
  shadow_pool_.reset();
  running_->set_state(state);
  running_->set_error(error);
  *running_->mutable_finish_time() = pg::ToTimestamp(pg::TruncateToMicros(clock_.Now()));
  const std::string prefix = GroupPrefix(running_->id());
  absl::Status s = pool_.InTransaction([&](pqxx::work& tx) {
    RebuildStore::Save(tx, *running_);
    RebuildStore::ForgetInbox(tx, prefix);
    return absl::OkStatus();
  });
  log::Info("rebuild finished", {{"rebuild_id", running_->id()},
                                 {"state", v1::RebuildState_Name(state)},
                                 {"events", absl::StrCat(running_->events_applied())}});
  running_.reset();
  return s;
}

absl::Status Rebuilder::Step() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!running_.has_value()) return Recover();
  int64_t lag = 0;
  for (auto& c : consumers_) {
    absl::StatusOr<int64_t> l = c->Lag(kLagTimeout);
    if (!l.ok()) return absl::OkStatus();  // no answer from the broker: next step
    lag += *l;
  }
  running_->set_events_applied(applied_);
  running_->set_events_remaining(lag);
  const absl::Time now = clock_.Now();
  const bool caught_up =
      lag == 0 || (near_since_.has_value() && now - *near_since_ >= kNearlyTimeout);
  if (lag > 0 && lag < kNearlyCaughtUp && !near_since_.has_value()) near_since_ = now;
  if (lag >= kNearlyCaughtUp) near_since_.reset();
  if (!caught_up) return Save();

  if (running_->state() == v1::REBUILD_STATE_CATCHING_UP) return Finish(v1::REBUILD_STATE_DONE);

  // Replayed: stop (the offsets are committed), compare, swap.
  StopConsumers();
  // The shadow's day rows, from the replayed orders and refunds.
  absl::Status s = shadow_pool_->InTransaction([&](pqxx::work& tx) {
    ReportStore::RecomputeDays(tx, app_.options().time_zone);
    return absl::OkStatus();
  });
  shadow_pool_.reset();
  if (!s.ok()) return Finish(v1::REBUILD_STATE_FAILED, s.ToString());
  s = pool_.InTransaction([&](pqxx::work& tx) {
    ReportStore::AllowLongStatements(tx);
    running_->clear_comparison();
    for (v1::TableComparison& c : RebuildStore::Compare(tx)) *running_->add_comparison() = c;
    if (!running_->dry_run()) {
      RebuildStore::Swap(tx);
      running_->set_state(v1::REBUILD_STATE_CATCHING_UP);
      *running_->mutable_switch_time() = pg::ToTimestamp(pg::TruncateToMicros(now));
    }
    RebuildStore::Save(tx, *running_);
    return absl::OkStatus();
  });
  if (!s.ok()) return Finish(v1::REBUILD_STATE_FAILED, s.ToString());
  if (running_->dry_run()) return Finish(v1::REBUILD_STATE_COMPARED);
  log::Info("rebuild swapped in", {{"rebuild_id", running_->id()}});
  near_since_.reset();
  // The same groups go on from their offsets, now into the live tables.
  if (absl::Status started = StartConsumers(/*shadow=*/false); !started.ok()) {
    return Finish(v1::REBUILD_STATE_FAILED, started.ToString());
  }
  return absl::OkStatus();
}

}  // namespace store::reporting
