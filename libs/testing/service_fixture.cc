#include "libs/testing/service_fixture.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/core/status.h"
#include "store/topics.h"

namespace store::testing {

// What wire() gets in a test: the fixture's database, clock and broker; the
// services, consumers and jobs it adds are kept for the fixture to serve or
// run on demand.
class ServiceFixture::Runtime final : public ServiceRuntime {
 public:
  struct ConsumerEntry {
    std::vector<std::string> topics;
    events::Handler handler;
    events::ConsumerHooks hooks;
  };

  Runtime(std::map<std::string, std::string> vars, pg::Pool& pool, const Clock& clock,
          std::string brokers)
      : vars_(std::move(vars)),
        env_([this](const char* name) -> const char* {
          auto it = vars_.find(name);
          return it == vars_.end() ? nullptr : it->second.c_str();
        }),
        pool_(pool),
        clock_(clock),
        brokers_(std::move(brokers)) {}

  EnvConfig& env() override { return env_; }
  pg::Pool& pool() override { return pool_; }
  const Clock& clock() override { return clock_; }
  const std::string& brokers() override { return brokers_; }
  void AddService(std::unique_ptr<grpc::Service> service) override {
    services_.push_back(std::move(service));
  }
  void Keep(std::shared_ptr<void> object) override { kept_.push_back(std::move(object)); }
  using ServiceRuntime::AddConsumer;
  void AddConsumer(const std::string& name, std::vector<std::string> topics,
                   events::Handler handler, events::ConsumerHooks hooks) override {
    consumers_[name] = {std::move(topics), std::move(handler), std::move(hooks)};
  }
  // Not started: tests run a job with RunPeriodic, so waking it does nothing.
  std::function<void()> AddPeriodic(const std::string& name, absl::Duration,
                                    std::function<absl::Status()> run) override {
    periodic_[name] = std::move(run);
    return [] {};
  }

  std::map<std::string, std::string> vars_;
  EnvConfig env_;
  pg::Pool& pool_;
  const Clock& clock_;
  std::string brokers_;
  std::vector<std::shared_ptr<void>> kept_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::map<std::string, ConsumerEntry> consumers_;
  std::map<std::string, std::function<absl::Status()>> periodic_;
};

ServiceFixture::ServiceFixture() = default;
ServiceFixture::~ServiceFixture() = default;

void ServiceFixture::StartService(const ServiceSpec& spec, std::map<std::string, std::string> env,
                                  FixtureOptions options) {
  options_ = options;
  auto db = TestDatabase::Create(spec.migrations);
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = std::move(*db);
  std::string brokers;
  if (options_.kafka) {
    kafka_ = std::make_unique<TestKafka>();
    for (const TopicSpec& topic : kTopics) kafka_->CreateTopic(topic.name, 3);
    brokers = kafka_->brokers();
  }
  pool_ =
      std::make_unique<pg::Pool>(pg::PoolOptions{.url = db_->url(), .size = options_.pool_size});
  if (options_.kafka) {
    StartRelay();
    if (HasFatalFailure()) return;
  }
  runtime_ = std::make_unique<Runtime>(std::move(env), *pool_, clock_, brokers);
  absl::Status wired = spec.wire(*runtime_);
  ASSERT_TRUE(runtime_->env_.Check().ok()) << spec.name << ": " << runtime_->env_.Check();
  ASSERT_TRUE(wired.ok()) << spec.name << ": " << wired;
  host_ = std::make_unique<grpcx::ServerHost>(grpcx::ServerOptions{.listen = "127.0.0.1:0"});
  for (auto& service : runtime_->services_) host_->AddService(service.get());
  ASSERT_TRUE(host_->Start().ok());
  channel_ = grpcx::MakeChannel(absl::StrCat("127.0.0.1:", host_->port()));
}

void ServiceFixture::TearDown() {
  for (auto& consumer : consumers_) consumer->Stop();
  consumers_.clear();
  if (host_) host_->Shutdown();
  StopRelay();
}

absl::Status ServiceFixture::Deliver(const std::string& name,
                                     const common::v1::EventEnvelope& event) {
  return DeliverTogether(name, {event});
}

absl::Status ServiceFixture::DeliverTogether(const std::string& name,
                                             const std::vector<common::v1::EventEnvelope>& events) {
  auto it = runtime_->consumers_.find(name);
  if (it == runtime_->consumers_.end()) {
    return absl::NotFoundError(absl::StrCat("no consumer named ", name, " is wired"));
  }
  const events::ConsumerHooks& hooks = it->second.hooks;
  return pool_->InTransaction([&](pqxx::work& tx) -> absl::Status {
    if (hooks.on_begin) hooks.on_begin();
    for (const auto& event : events) STORE_RETURN_IF_ERROR(it->second.handler(tx, event));
    return hooks.before_commit ? hooks.before_commit(tx) : absl::OkStatus();
  });
}

void ServiceFixture::StartConsumer(const std::string& name) {
  auto it = runtime_->consumers_.find(name);
  ASSERT_NE(it, runtime_->consumers_.end()) << "no consumer named " << name << " is wired";
  ASSERT_NE(kafka_, nullptr) << "StartConsumer needs FixtureOptions::kafka";
  consumers_.push_back(
      std::make_unique<events::Consumer>(events::ConsumerOptions{.name = name,
                                                                 .brokers = kafka_->brokers(),
                                                                 .topics = it->second.topics,
                                                                 .hooks = it->second.hooks},
                                         *pool_, it->second.handler));
  ASSERT_TRUE(consumers_.back()->Start().ok());
}

absl::Status ServiceFixture::RunPeriodic(const std::string& name) {
  auto it = runtime_->periodic_.find(name);
  if (it == runtime_->periodic_.end()) {
    return absl::NotFoundError(absl::StrCat("no periodic job named ", name, " is wired"));
  }
  return it->second();
}

void ServiceFixture::StartRelay() {
  relay_ = std::make_unique<events::OutboxRelay>(
      events::RelayOptions{.database_url = db_->url(),
                           .brokers = kafka_->brokers(),
                           .poll_interval = options_.relay_poll});
  ASSERT_TRUE(relay_->Start().ok());
}

void ServiceFixture::StopRelay() {
  if (relay_) relay_->Stop(absl::Seconds(2));
  relay_.reset();
}

pqxx::result ServiceFixture::Sql(const std::string& sql) {
  pqxx::connection conn(db_->url());
  pqxx::work tx(conn);
  pqxx::result r = tx.exec(sql);
  tx.commit();
  return r;
}

int64_t ServiceFixture::Count(const std::string& sql) { return Sql(sql)[0][0].as<int64_t>(); }

std::vector<common::v1::EventEnvelope> ServiceFixture::OutboxEvents(const std::string& type) {
  std::vector<common::v1::EventEnvelope> out;
  pqxx::connection conn(db_->url());
  pqxx::work tx(conn);
  for (const auto& r : tx.exec_params(
           "SELECT envelope FROM outbox WHERE $1 = '' OR event_type = $1 ORDER BY id", type)) {
    pqxx::binarystring b(r[0]);
    common::v1::EventEnvelope e;
    e.ParseFromString(b.str());
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace store::testing
