// kafka-dev-broker: a real Kafka-protocol broker for development and tests.
//
// It is librdkafka's mock cluster (rdkafka_mock.h) wrapped in a small process:
// N brokers listening on 127.0.0.1 (ephemeral ports), the project's topics
// created up front, the bootstrap list written to a file once everything is
// ready, and a line-oriented control channel (a FIFO and/or stdin) for fault
// injection. Data lives in memory only; it is gone when the process exits.
//
// Every log line on stderr is one JSON object, so the output can be read by
// people and by tests alike. See README.md next to this file for the control
// commands.

#include <dirent.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr int kDefaultBrokers = 3;
constexpr int kMaxBrokers = 16;
constexpr int kMaxReplicationFactor = 3;
constexpr int kMaxPartitions = 10000;
constexpr int16_t kProduceApiKey = 0;
// Highest Kafka ApiKey `clear-errors` (without an argument) clears. Covers
// every request type librdkafka 2.0's mock broker knows.
constexpr int16_t kMaxApiKey = 80;
constexpr size_t kMaxCommandLine = 4096;
constexpr int kAllBrokers = -1;

constexpr char kUsage[] =
    R"usage(Usage: kafka-dev-broker [options]

A Kafka-protocol broker for development and tests (librdkafka mock cluster,
in memory). Listens on 127.0.0.1 with ephemeral ports.

Options:
  --brokers N             number of brokers (default 3, max 16)
  --bootstrap-file PATH   write the bootstrap list ("host:port,...\n") to PATH,
                          atomically, once all topics exist; removed on exit
  --topics-file PATH      create topics listed in PATH: one "name partitions"
                          per line, '#' starts a comment
  --topic NAME:PARTITIONS create one topic (repeatable)
  --control PATH          create a FIFO at PATH and read commands from it
                          (reopened after every writer closes; removed on exit)
  --stdin-control         also read commands from stdin (ignored if a TTY);
                          the broker exits when stdin reaches EOF
  -h, --help              this text

Topics get replication factor min(3, brokers).

Control commands (one per line; each outcome is logged as one JSON line):
  ping                                 log {"msg":"pong"}
  down [BROKER_ID]                     take one broker (default: all) down
  up [BROKER_ID]                       bring one broker (default: all) up
  produce-errors COUNT ERROR           next COUNT Produce requests fail with
                                       ERROR (name such as NOT_LEADER_FOR_PARTITION,
                                       REQUEST_TIMED_OUT, _TRANSPORT, or a number)
  request-errors API_KEY COUNT ERROR   same for any Kafka ApiKey (number)
  clear-errors [API_KEY]               drop queued request errors (default: all)
  rtt MS [BROKER_ID]                   add MS milliseconds of round-trip delay
  create-topic NAME PARTITIONS         create a topic
  help                                 log the command list

Example:
  kafka-dev-broker --bootstrap-file /tmp/k.bootstrap --control /tmp/k.ctl &
  kcat -b "$(cat /tmp/k.bootstrap)" -L
  echo down > /tmp/k.ctl; echo up > /tmp/k.ctl
)usage";

// ---------------------------------------------------------------------------
// JSON logging

std::mutex log_mutex;

std::string JsonEscape(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 2);
  for (unsigned char c : in) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string NowRfc3339() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03ldZ", ts.tv_nsec / 1000000);
  return buf;
}

// Builds one JSON log line: LogLine("info", "ready").Str("k", v).Emit();
class LogLine {
 public:
  LogLine(std::string_view level, std::string_view msg) {
    body_ = "{\"ts\":\"" + NowRfc3339() + "\",\"level\":\"" + JsonEscape(level) +
            "\",\"component\":\"kafka-dev-broker\"";
    Str("msg", msg);
  }

  LogLine& Str(std::string_view key, std::string_view value) {
    body_ += ",\"" + JsonEscape(key) + "\":\"" + JsonEscape(value) + "\"";
    return *this;
  }

  LogLine& Int(std::string_view key, int64_t value) {
    body_ += ",\"" + JsonEscape(key) + "\":" + std::to_string(value);
    return *this;
  }

  LogLine& Bool(std::string_view key, bool value) {
    body_ += ",\"" + JsonEscape(key) + "\":" + (value ? "true" : "false");
    return *this;
  }

  // `json` must already be valid JSON (an array or object).
  LogLine& Raw(std::string_view key, std::string_view json) {
    body_ += ",\"" + JsonEscape(key) + "\":";
    body_ += json;
    return *this;
  }

  void Emit() {
    body_ += "}\n";
    std::lock_guard<std::mutex> lock(log_mutex);
    std::fwrite(body_.data(), 1, body_.size(), stderr);
    std::fflush(stderr);
  }

 private:
  std::string body_;
};

// librdkafka's own log messages, as JSON lines too.
void RdkafkaLog(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) {
  // The handle that hosts the mock cluster is never used as a client, so the
  // "No `bootstrap.servers` configured" warning is noise.
  if (std::strcmp(fac, "CONFWARN") == 0 && std::strstr(buf, "bootstrap.servers") != nullptr) {
    return;
  }
  const char* name = level <= 3 ? "error" : level <= 4 ? "warn" : level <= 6 ? "info" : "debug";
  LogLine(name, buf).Str("source", "librdkafka").Str("facility", fac).Emit();
}

// ---------------------------------------------------------------------------
// Small parsing helpers

std::vector<std::string> SplitWords(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

// Parses a whole decimal int; nullopt on anything else (including overflow).
std::optional<int> ParseInt(std::string_view text) {
  int value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string ToUpper(std::string_view in) {
  std::string out(in);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return out;
}

// Accepts a numeric code, or a librdkafka error name with or without the
// RD_KAFKA_RESP_ERR_ prefix, in any case: "NOT_LEADER_FOR_PARTITION",
// "request_timed_out", "_TRANSPORT", "RD_KAFKA_RESP_ERR__TRANSPORT".
std::optional<rd_kafka_resp_err_t> ParseError(std::string_view text) {
  if (auto code = ParseInt(text)) {
    return static_cast<rd_kafka_resp_err_t>(*code);
  }
  std::string name = ToUpper(text);
  constexpr std::string_view kPrefix = "RD_KAFKA_RESP_ERR_";
  if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
  // A few everyday aliases (current Kafka names for old codes).
  if (name == "NOT_LEADER_OR_FOLLOWER") name = "NOT_LEADER_FOR_PARTITION";
  if (name == "TIMEOUT") name = "REQUEST_TIMED_OUT";
  if (name == "DISCONNECT") name = "_TRANSPORT";

  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  for (size_t i = 0; i < count; ++i) {
    if (descs[i].name != nullptr && name == descs[i].name) {
      return descs[i].code;
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Waking the mock cluster thread.
//
// Every control call (topic create, broker up/down, rtt) is a request to the
// mock cluster's own thread. In librdkafka 2.0 that thread is only woken for
// the first such request (the queue's wake-up flag is never reset), so later
// requests wait for its 1 s housekeeping tick. To keep commands instant we
// find the write end of its wake-up pipe (among the pipes
// rd_kafka_mock_cluster_new creates) and, while a call is in flight, write a
// byte to it every millisecond. If the pipe cannot be identified, commands
// still work, only up to ~1 s slower.

std::vector<int> OpenFds() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (dirent* entry = readdir(dir)) {
    if (auto fd = ParseInt(entry->d_name)) {
      if (*fd != dirfd(dir)) fds.push_back(*fd);
    }
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
  return fds;
}

bool IsPipeWriteEnd(int fd) {
  char target[64] = {};
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
  if (n <= 0 || std::string_view(target, static_cast<size_t>(n)).rfind("pipe:", 0) != 0) {
    return false;
  }
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_ACCMODE) == O_WRONLY;
}

class MockWaker {
 public:
  MockWaker() = default;
  MockWaker(const MockWaker&) = delete;
  MockWaker& operator=(const MockWaker&) = delete;

  ~MockWaker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // `before`: the fds open before rd_kafka_mock_cluster_new. Of the pipes
  // the cluster created, keeps those whose reader drains a test byte at once:
  // the mock thread's wake-up pipe (and any other thread's wake-up pipe, which
  // is equally harmless to poke).
  void Start(const std::vector<int>& before) {
    std::vector<int> candidates;
    for (int fd : OpenFds()) {
      if (!std::binary_search(before.begin(), before.end(), fd) && IsPipeWriteEnd(fd)) {
        candidates.push_back(fd);
        Poke(fd);
      }
    }
    // An idle reader drains its pipe within microseconds; allow 50 ms.
    for (int i = 0; i < 50 && fds_.size() < candidates.size(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      fds_.clear();
      for (int fd : candidates) {
        int unread = 0;
        if (ioctl(fd, FIONREAD, &unread) == 0 && unread == 0) {
          fds_.push_back(fd);
        }
      }
    }
    if (fds_.empty()) {
      LogLine("warn", "mock wake-up pipe not found; commands may take ~1 s").Emit();
      return;
    }
    thread_ = std::thread([this] { Loop(); });
  }

  bool active() const { return !fds_.empty(); }

  // Keeps the mock thread awake while alive.
  class Scope {
   public:
    explicit Scope(MockWaker* waker) : waker_(waker) { waker_->Arm(1); }
    ~Scope() { waker_->Arm(-1); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    MockWaker* waker_;
  };

 private:
  void Arm(int delta) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      armed_ += delta;
    }
    cv_.notify_all();
  }

  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      if (armed_ == 0) {
        cv_.wait(lock, [this] { return stop_ || armed_ > 0; });
        continue;
      }
      lock.unlock();
      for (int fd : fds_) Poke(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      lock.lock();
    }
  }

  static void Poke(int fd) {
    const char byte = 1;
    // The pipe is non-blocking; a full pipe (EAGAIN) already means "wake up",
    // and on any other error the 1 s tick still serves the request.
    ssize_t ignored = write(fd, &byte, 1);
    (void)ignored;
  }

  std::vector<int> fds_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int armed_ = 0;
  bool stop_ = false;
};

// ---------------------------------------------------------------------------
// Options

struct TopicSpec {
  std::string name;
  int partitions = 0;
};

struct Options {
  int brokers = kDefaultBrokers;
  std::string bootstrap_file;
  std::string topics_file;
  std::string control_path;
  bool stdin_control = false;
  std::vector<TopicSpec> topics;
};

[[noreturn]] void UsageError(const std::string& message) {
  LogLine("error", "bad command line").Str("error", message).Emit();
  std::fprintf(stderr, "kafka-dev-broker: %s (see --help)\n", message.c_str());
  std::exit(2);
}

bool ValidTopicName(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

std::optional<std::string> ValidateTopic(const TopicSpec& topic) {
  if (!ValidTopicName(topic.name)) {
    return "invalid topic name '" + topic.name + "' (use [A-Za-z0-9._-], at most 249 characters)";
  }
  if (topic.partitions < 1 || topic.partitions > kMaxPartitions) {
    return "topic '" + topic.name + "': partitions must be 1.." + std::to_string(kMaxPartitions);
  }
  return std::nullopt;
}

TopicSpec ParseTopicFlag(const std::string& value) {
  size_t colon = value.rfind(':');
  if (colon == std::string::npos) {
    UsageError("--topic expects NAME:PARTITIONS, got '" + value + "'");
  }
  auto parts = ParseInt(value.substr(colon + 1));
  if (!parts) UsageError("--topic '" + value + "': partitions not a number");
  TopicSpec topic{value.substr(0, colon), *parts};
  if (auto error = ValidateTopic(topic)) UsageError(*error);
  return topic;
}

void ReadTopicsFile(const std::string& path, std::vector<TopicSpec>* topics) {
  std::ifstream in(path);
  if (!in) UsageError("cannot read topics file '" + path + "'");
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string::npos) {
      line.erase(hash);
    }
    std::vector<std::string> words = SplitWords(line);
    if (words.empty()) continue;
    std::string where = path + ":" + std::to_string(line_no);
    if (words.size() != 2) {
      UsageError(where + ": expected 'topic partitions', got '" + line + "'");
    }
    auto parts = ParseInt(words[1]);
    if (!parts) UsageError(where + ": partitions not a number");
    TopicSpec topic{words[0], *parts};
    if (auto error = ValidateTopic(topic)) UsageError(where + ": " + *error);
    topics->push_back(topic);
  }
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_inline_value = false;
    if (arg.rfind("--", 0) == 0) {
      if (size_t eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg.erase(eq);
        has_inline_value = true;
      }
    }
    auto take_value = [&]() -> std::string {
      if (has_inline_value) return value;
      if (i + 1 >= argc) UsageError(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--brokers") {
      auto n = ParseInt(take_value());
      if (!n || *n < 1 || *n > kMaxBrokers) {
        UsageError("--brokers must be 1.." + std::to_string(kMaxBrokers));
      }
      options.brokers = *n;
    } else if (arg == "--bootstrap-file") {
      options.bootstrap_file = take_value();
    } else if (arg == "--topics-file") {
      options.topics_file = take_value();
    } else if (arg == "--topic") {
      options.topics.push_back(ParseTopicFlag(take_value()));
    } else if (arg == "--control") {
      options.control_path = take_value();
    } else if (arg == "--stdin-control") {
      options.stdin_control = true;
    } else {
      UsageError("unknown argument '" + arg + "'");
    }
  }
  if (!options.topics_file.empty()) {
    std::vector<TopicSpec> from_file;
    ReadTopicsFile(options.topics_file, &from_file);
    options.topics.insert(options.topics.begin(), from_file.begin(), from_file.end());
  }
  return options;
}

// ---------------------------------------------------------------------------
// The broker

class DevBroker {
 public:
  DevBroker(rd_kafka_mock_cluster_t* cluster, int brokers, MockWaker* waker)
      : cluster_(cluster), brokers_(brokers), waker_(waker) {}

  rd_kafka_resp_err_t CreateTopic(const TopicSpec& topic) {
    MockWaker::Scope awake(waker_);
    int replication = std::min(kMaxReplicationFactor, brokers_);
    return rd_kafka_mock_topic_create(cluster_, topic.name.c_str(), topic.partitions, replication);
  }

  // Runs one control command and logs its outcome as one JSON line.
  void Execute(std::string_view line, std::string_view source) {
    std::vector<std::string> words = SplitWords(line);
    if (words.empty()) return;
    MockWaker::Scope awake(waker_);
    const std::string& command = words[0];
    LogLine ok("info", "command");
    ok.Str("source", source).Str("command", command).Str("line", line);

    std::string error = Dispatch(words, &ok);
    if (error.empty()) {
      ok.Bool("ok", true).Emit();
    } else {
      LogLine("error", "command failed")
          .Str("source", source)
          .Str("command", command)
          .Str("line", line)
          .Bool("ok", false)
          .Str("error", error)
          .Emit();
    }
  }

 private:
  // Returns "" on success, else an error message. Adds details to `log`.
  std::string Dispatch(const std::vector<std::string>& words, LogLine* log) {
    const std::string& command = words[0];
    size_t args = words.size() - 1;
    if (command == "ping") {
      if (args != 0) return "usage: ping";
      LogLine("info", "pong").Emit();
      return "";
    }
    if (command == "help") {
      LogLine("info", "help").Str("usage", kUsage).Emit();
      return "";
    }
    if (command == "down" || command == "up") {
      if (args > 1) return "usage: " + command + " [BROKER_ID]";
      int broker = kAllBrokers;
      if (args == 1) {
        auto id = ParseInt(words[1]);
        if (!id) return "broker id must be a number";
        broker = *id;
      }
      log->Int("broker_id", broker);
      return ForBrokers(broker, [&](int id) {
        return command == "down" ? rd_kafka_mock_broker_set_down(cluster_, id)
                                 : rd_kafka_mock_broker_set_up(cluster_, id);
      });
    }
    if (command == "rtt") {
      if (args < 1 || args > 2) return "usage: rtt MS [BROKER_ID]";
      auto ms = ParseInt(words[1]);
      if (!ms || *ms < 0 || *ms > 600000) return "MS must be 0..600000";
      int broker = kAllBrokers;
      if (args == 2) {
        auto id = ParseInt(words[2]);
        if (!id) return "broker id must be a number";
        broker = *id;
      }
      log->Int("rtt_ms", *ms).Int("broker_id", broker);
      return ForBrokers(broker,
                        [&](int id) { return rd_kafka_mock_broker_set_rtt(cluster_, id, *ms); });
    }
    if (command == "produce-errors") {
      if (args != 2) return "usage: produce-errors COUNT ERROR";
      return PushErrors(kProduceApiKey, words[1], words[2], log);
    }
    if (command == "request-errors") {
      if (args != 3) return "usage: request-errors API_KEY COUNT ERROR";
      auto key = ParseInt(words[1]);
      if (!key || *key < 0 || *key > kMaxApiKey) {
        return "API_KEY must be 0.." + std::to_string(kMaxApiKey);
      }
      return PushErrors(static_cast<int16_t>(*key), words[2], words[3], log);
    }
    if (command == "clear-errors") {
      if (args > 1) return "usage: clear-errors [API_KEY]";
      if (args == 1) {
        auto key = ParseInt(words[1]);
        if (!key || *key < 0 || *key > kMaxApiKey) {
          return "API_KEY must be 0.." + std::to_string(kMaxApiKey);
        }
        log->Int("api_key", *key);
        rd_kafka_mock_clear_request_errors(cluster_, static_cast<int16_t>(*key));
      } else {
        for (int16_t key = 0; key <= kMaxApiKey; ++key) {
          rd_kafka_mock_clear_request_errors(cluster_, key);
        }
      }
      return "";
    }
    if (command == "create-topic") {
      if (args != 2) return "usage: create-topic NAME PARTITIONS";
      auto parts = ParseInt(words[2]);
      if (!parts) return "PARTITIONS must be a number";
      TopicSpec topic{words[1], *parts};
      if (auto invalid = ValidateTopic(topic)) return *invalid;
      log->Str("topic", topic.name).Int("partitions", topic.partitions);
      rd_kafka_resp_err_t err = CreateTopic(topic);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return rd_kafka_err2name(err);
      return "";
    }
    return "unknown command '" + command + "' (try: help)";
  }

  template <typename Fn>
  std::string ForBrokers(int broker, Fn fn) {
    if (broker != kAllBrokers && (broker < 1 || broker > brokers_)) {
      return "broker id must be 1.." + std::to_string(brokers_) + " (or omitted for all)";
    }
    int first = broker == kAllBrokers ? 1 : broker;
    int last = broker == kAllBrokers ? brokers_ : broker;
    for (int id = first; id <= last; ++id) {
      rd_kafka_resp_err_t err = fn(id);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return "broker " + std::to_string(id) + ": " + rd_kafka_err2name(err);
      }
    }
    return "";
  }

  std::string PushErrors(int16_t api_key, const std::string& count_text,
                         const std::string& error_text, LogLine* log) {
    auto count = ParseInt(count_text);
    if (!count || *count < 1 || *count > 1000000) {
      return "COUNT must be 1..1000000";
    }
    auto err = ParseError(error_text);
    if (!err) {
      return "unknown error '" + error_text +
             "' (use a name such as NOT_LEADER_FOR_PARTITION, "
             "REQUEST_TIMED_OUT, _TRANSPORT, or a numeric code)";
    }
    std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(*count), *err);
    rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
    log->Int("api_key", api_key)
        .Int("count", *count)
        .Str("error", rd_kafka_err2name(*err))
        .Int("error_code", *err);
    return "";
  }

  rd_kafka_mock_cluster_t* cluster_;
  int brokers_;
  MockWaker* waker_;
};

// ---------------------------------------------------------------------------
// Control channel: line-buffered reading from non-blocking fds.

class LineSource {
 public:
  explicit LineSource(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  // Reads what is available; calls on_line for each complete line. Returns
  // false on EOF (or a hard error).
  template <typename Fn>
  bool Drain(int fd, Fn on_line) {
    char buf[4096];
    while (true) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) {
        pending_.append(buf, static_cast<size_t>(n));
        size_t newline;
        while ((newline = pending_.find('\n')) != std::string::npos) {
          std::string line = pending_.substr(0, newline);
          pending_.erase(0, newline + 1);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          on_line(line);
        }
        if (pending_.size() > kMaxCommandLine) {
          LogLine("warn", "dropping over-long control line").Str("source", name_).Emit();
          pending_.clear();
        }
        continue;
      }
      if (n == 0) {
        // EOF: a final line without '\n' still counts.
        if (!pending_.empty()) on_line(pending_);
        pending_.clear();
        return false;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      LogLine("error", "control read failed")
          .Str("source", name_)
          .Str("error", std::strerror(errno))
          .Emit();
      pending_.clear();
      return false;
    }
  }

 private:
  std::string name_;
  std::string pending_;
};

bool WriteFileAtomically(const std::string& path, const std::string& content, std::string* error) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  FILE* out = std::fopen(tmp.c_str(), "w");
  if (out == nullptr) {
    *error = "open " + tmp + ": " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(content.data(), 1, content.size(), out) == content.size();
  ok = (std::fflush(out) == 0) && ok;
  ok = (fsync(fileno(out)) == 0) && ok;
  ok = (std::fclose(out) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "write " + path + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

// Creates (or reuses a stale) FIFO at `path`.
bool MakeFifo(const std::string& path, std::string* error) {
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (S_ISFIFO(st.st_mode)) return true;
    *error = path + " exists and is not a FIFO";
    return false;
  }
  if (mkfifo(path.c_str(), 0600) != 0) {
    *error = "mkfifo " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

int OpenFifo(const std::string& path) {
  // O_NONBLOCK: the open does not wait for a writer; poll() reports data.
  return open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

int Run(const Options& options) {
  // Block the termination signals in every thread (librdkafka's threads
  // inherit this mask) and receive them through a signalfd in the loop.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  if (pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) {
    LogLine("error", "pthread_sigmask failed").Emit();
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) {
    LogLine("error", "signalfd failed").Str("error", std::strerror(errno)).Emit();
    return 1;
  }

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, RdkafkaLog);
  if (rd_kafka_conf_set(conf, "client.id", "kafka-dev-broker", errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    LogLine("error", "rdkafka config").Str("error", errstr).Emit();
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    LogLine("error", "rd_kafka_new failed").Str("error", errstr).Emit();
    return 1;
  }
  const std::vector<int> fds_before = OpenFds();
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, options.brokers);
  if (cluster == nullptr) {
    LogLine("error", "rd_kafka_mock_cluster_new failed").Emit();
    rd_kafka_destroy(rk);
    return 1;
  }
  // Declared after the cluster handle but stopped before it is destroyed
  // (see the explicit reset at the end).
  auto waker = std::make_unique<MockWaker>();
  waker->Start(fds_before);
  DevBroker broker(cluster, options.brokers, waker.get());
  const std::string bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);

  int exit_code = 0;
  std::string topics_json = "[";
  for (const TopicSpec& topic : options.topics) {
    rd_kafka_resp_err_t err = broker.CreateTopic(topic);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      LogLine("error", "topic creation failed")
          .Str("topic", topic.name)
          .Str("error", rd_kafka_err2name(err))
          .Emit();
      exit_code = 1;
      break;
    }
    if (topics_json.size() > 1) topics_json += ",";
    topics_json += "{\"name\":\"" + JsonEscape(topic.name) +
                   "\",\"partitions\":" + std::to_string(topic.partitions) + "}";
  }
  topics_json += "]";

  int fifo_fd = -1;
  bool fifo_created = false;
  if (exit_code == 0 && !options.control_path.empty()) {
    std::string error;
    if (!MakeFifo(options.control_path, &error) || (fifo_fd = OpenFifo(options.control_path)) < 0) {
      if (error.empty()) error = std::strerror(errno);
      LogLine("error", "control FIFO").Str("error", error).Emit();
      exit_code = 1;
    } else {
      fifo_created = true;
    }
  }

  bool stdin_enabled = options.stdin_control && !isatty(STDIN_FILENO);
  if (options.stdin_control && !stdin_enabled) {
    LogLine("warn", "stdin is a TTY; --stdin-control ignored").Emit();
  }
  if (stdin_enabled) {
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    if (flags >= 0) fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK);
  }

  // The bootstrap file is the readiness signal: write it last.
  bool bootstrap_written = false;
  if (exit_code == 0 && !options.bootstrap_file.empty()) {
    std::string error;
    if (!WriteFileAtomically(options.bootstrap_file, bootstraps + "\n", &error)) {
      LogLine("error", "bootstrap file").Str("error", error).Emit();
      exit_code = 1;
    } else {
      bootstrap_written = true;
    }
  }

  if (exit_code == 0) {
    LogLine("info", "ready")
        .Str("bootstrap_servers", bootstraps)
        .Int("brokers", options.brokers)
        .Int("replication_factor", std::min(kMaxReplicationFactor, options.brokers))
        .Raw("topics", topics_json)
        .Str("control", options.control_path)
        .Bool("stdin_control", stdin_enabled)
        .Bool("fast_commands", waker->active())
        .Int("pid", getpid())
        .Emit();
  }

  LineSource fifo_source("fifo");
  LineSource stdin_source("stdin");
  while (exit_code == 0) {
    pollfd fds[3];
    int n = 0;
    fds[n++] = {signal_fd, POLLIN, 0};
    int fifo_index = -1;
    int stdin_index = -1;
    if (fifo_fd >= 0) {
      fifo_index = n;
      fds[n++] = {fifo_fd, POLLIN, 0};
    }
    if (stdin_enabled) {
      stdin_index = n;
      fds[n++] = {STDIN_FILENO, POLLIN, 0};
    }
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      LogLine("error", "poll failed").Str("error", std::strerror(errno)).Emit();
      exit_code = 1;
      break;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
        LogLine("info", "shutting down")
            .Str("signal", strsignal(static_cast<int>(info.ssi_signo)))
            .Emit();
        break;
      }
    }
    auto run = [&](const LineSource& source) {
      return [&broker, &source](const std::string& line) { broker.Execute(line, source.name()); };
    };
    if (fifo_index >= 0 && fds[fifo_index].revents != 0) {
      if (!fifo_source.Drain(fifo_fd, run(fifo_source))) {
        // The last writer closed: reopen so the next writer is heard (and
        // poll() stops reporting POLLHUP).
        close(fifo_fd);
        fifo_fd = OpenFifo(options.control_path);
        if (fifo_fd < 0) {
          LogLine("error", "reopening control FIFO").Str("error", std::strerror(errno)).Emit();
          exit_code = 1;
        }
      }
    }
    if (stdin_index >= 0 && fds[stdin_index].revents != 0) {
      if (!stdin_source.Drain(STDIN_FILENO, run(stdin_source))) {
        // The controlling parent closed the pipe (or died): stop with it.
        LogLine("info", "stdin closed; shutting down").Emit();
        break;
      }
    }
  }

  if (fifo_fd >= 0) close(fifo_fd);
  if (fifo_created) unlink(options.control_path.c_str());
  if (bootstrap_written) unlink(options.bootstrap_file.c_str());
  waker.reset();  // Stop writing to the pipe before the cluster closes it.
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  close(signal_fd);
  LogLine("info", "stopped").Int("exit_code", exit_code).Emit();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = ParseOptions(argc, argv);
  return Run(options);
}
