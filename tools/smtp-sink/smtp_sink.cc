// smtp-sink: a local SMTP server for development, tests and benchmarks.
//
// Every accepted message is written to a maildir (MAILDIR/new/<file>), one
// file per message and recipient list, as received (dot-stuffing undone,
// line ends as LF), after two headers saying who sent it to whom
// (X-MailFrom, X-RcptTo). To exercise bounce handling, recipients whose
// local part starts with
//
//   bounce-hard   are refused for good:  550 5.1.1 mailbox unavailable
//   bounce-soft   are refused for now:   452 4.2.2 mailbox full
//
// One thread per connection; PIPELINING is offered. It is fast enough that
// a benchmark measures the sender, not the sink (a real relay takes
// thousands of messages a second too).
//
// Usage: smtp-sink --listen 127.0.0.1:2525 --maildir .dev/mail
// Stops on SIGTERM or SIGINT.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t kMaxLine = 64 * 1024;
constexpr size_t kMaxMessage = 32 * 1024 * 1024;

std::atomic<bool> stopping{false};
std::atomic<unsigned long> delivered{0};
std::atomic<int> open_sessions{0};

void OnSignal(int) { stopping = true; }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool StartsWithNoCase(const std::string& s, const char* prefix) {
  const size_t n = std::strlen(prefix);
  return s.size() >= n && Lower(s.substr(0, n)) == prefix;
}

// The address inside "<...>" after "FROM:" / "TO:", without options.
std::string PathOf(const std::string& arg) {
  const size_t open = arg.find('<');
  const size_t close = arg.find('>', open == std::string::npos ? 0 : open);
  if (open != std::string::npos && close != std::string::npos) {
    return arg.substr(open + 1, close - open - 1);
  }
  std::string bare = arg.substr(arg.find(':') + 1);
  bare.erase(0, bare.find_first_not_of(' '));
  return bare.substr(0, bare.find(' '));
}

// Writes `text` to MAILDIR/tmp and moves it to MAILDIR/new, as maildir
// readers expect; names sort by arrival.
bool Store(const std::string& maildir, const std::string& text) {
  timeval now{};
  gettimeofday(&now, nullptr);
  char name[96];
  std::snprintf(name, sizeof name, "%010ld.M%06ldP%dQ%010lu.smtp-sink",
                static_cast<long>(now.tv_sec), static_cast<long>(now.tv_usec),
                static_cast<int>(getpid()), ++delivered);
  const std::string tmp = maildir + "/tmp/" + name;
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return false;
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !written) return false;
  return std::rename(tmp.c_str(), (maildir + "/new/" + name).c_str()) == 0;
}

class Session {
 public:
  Session(int fd, std::string maildir) : fd_(fd), maildir_(std::move(maildir)) {}
  ~Session() { close(fd_); }

  void Run() {
    Reply("220 smtp-sink ESMTP ready");
    std::string line;
    while (ReadLine(&line)) {
      Flush();  // replies go out once the client's pipelined commands are read
      const size_t space = line.find(' ');
      const std::string verb = Lower(line.substr(0, space));
      const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
      if (verb == "ehlo") {
        Reset();
        Reply("250-smtp-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE " +
              std::to_string(kMaxMessage));
      } else if (verb == "helo") {
        Reset();
        Reply("250 smtp-sink");
      } else if (verb == "mail") {
        if (!StartsWithNoCase(arg, "from:")) {
          Reply("501 5.5.4 syntax: MAIL FROM:<address>");
          continue;
        }
        Reset();
        from_ = PathOf(arg);
        has_from_ = true;
        Reply("250 OK");
      } else if (verb == "rcpt") {
        if (!has_from_) {
          Reply("503 5.5.1 MAIL first");
        } else if (!StartsWithNoCase(arg, "to:")) {
          Reply("501 5.5.4 syntax: RCPT TO:<address>");
        } else {
          const std::string address = PathOf(arg);
          const std::string local = Lower(address.substr(0, address.find('@')));
          if (local.rfind("bounce-hard", 0) == 0) {
            Reply("550 5.1.1 mailbox unavailable");
          } else if (local.rfind("bounce-soft", 0) == 0) {
            Reply("452 4.2.2 mailbox full");
          } else {
            recipients_.push_back(address);
            Reply("250 OK");
          }
        }
      } else if (verb == "data") {
        if (recipients_.empty()) {
          Reply("503 5.5.1 no valid recipients");
          continue;
        }
        Reply("354 end data with <CR><LF>.<CR><LF>");
        Flush();
        if (!Data()) return;
      } else if (verb == "rset") {
        Reset();
        Reply("250 OK");
      } else if (verb == "noop") {
        Reply("250 OK");
      } else if (verb == "vrfy") {
        Reply("252 cannot verify");
      } else if (verb == "quit") {
        Reply("221 bye");
        Flush(true);
        return;
      } else {
        Reply("500 5.5.2 command not recognised");
      }
    }
  }

 private:
  void Reset() {
    from_.clear();
    has_from_ = false;
    recipients_.clear();
  }

  // The message after DATA, up to the line ".".
  bool Data() {
    std::string text = "X-MailFrom: " + from_ + "\nX-RcptTo: ";
    for (size_t i = 0; i < recipients_.size(); ++i) {
      text += (i ? ", " : "") + recipients_[i];
    }
    text += "\n";
    bool too_big = false;
    std::string line;
    while (ReadLine(&line)) {
      if (line == ".") {
        if (too_big) {
          Reply("552 5.3.4 message too big");
        } else if (Store(maildir_, text)) {
          Reply("250 OK queued");
        } else {
          Reply(std::string("451 4.3.0 cannot store the message: ") + std::strerror(errno));
        }
        Reset();
        return true;
      }
      if (!line.empty() && line[0] == '.') line.erase(0, 1);
      if (text.size() + line.size() > kMaxMessage) too_big = true;
      if (!too_big) text.append(line).push_back('\n');
    }
    return false;
  }

  // One line without its CRLF; false at the end of the connection or on stop.
  bool ReadLine(std::string* line) {
    for (;;) {
      const size_t eol = in_.find('\n', pos_);
      if (eol != std::string::npos) {
        size_t end = eol;
        if (end > pos_ && in_[end - 1] == '\r') --end;
        line->assign(in_, pos_, end - pos_);
        pos_ = eol + 1;
        return true;
      }
      if (in_.size() - pos_ > kMaxLine) return false;
      in_.erase(0, pos_);
      pos_ = 0;
      if (!Flush()) return false;
      pollfd p{fd_, POLLIN, 0};
      const int ready = poll(&p, 1, 200);
      if (stopping) return false;
      if (ready <= 0) continue;
      char buf[64 * 1024];
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) return false;
      in_.append(buf, static_cast<size_t>(n));
    }
  }

  void Reply(const std::string& text) { out_.append(text).append("\r\n"); }

  // Sends the replies gathered so far when no more input is waiting (or
  // always, with `now`).
  bool Flush(bool now = false) {
    if (out_.empty()) return true;
    if (!now && in_.find('\n', pos_) != std::string::npos) return true;
    size_t sent = 0;
    while (sent < out_.size()) {
      const ssize_t n = write(fd_, out_.data() + sent, out_.size() - sent);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    out_.clear();
    return true;
  }

  int fd_;
  std::string maildir_;
  std::string in_;
  size_t pos_ = 0;
  std::string out_;
  std::string from_;
  bool has_from_ = false;
  std::vector<std::string> recipients_;
};

int Usage() {
  std::fprintf(stderr, "usage: smtp-sink --listen HOST:PORT --maildir DIR\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen_at = "127.0.0.1:2525";
  std::string maildir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--listen") == 0) {
      listen_at = argv[i + 1];
    } else if (std::strcmp(argv[i], "--maildir") == 0) {
      maildir = argv[i + 1];
    } else {
      return Usage();
    }
  }
  if (maildir.empty() || argc % 2 == 0) return Usage();
  const size_t colon = listen_at.rfind(':');
  if (colon == std::string::npos) return Usage();
  const std::string host = colon == 0 ? "127.0.0.1" : listen_at.substr(0, colon);
  const int port = std::atoi(listen_at.c_str() + colon + 1);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (port <= 0 || port > 65535 || inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    std::fprintf(stderr, "smtp-sink: --listen %s: expected IPv4-HOST:PORT\n", listen_at.c_str());
    return 2;
  }
  mkdir(maildir.c_str(), 0755);
  for (const char* sub : {"/tmp", "/new", "/cur"}) mkdir((maildir + sub).c_str(), 0755);

  struct sigaction sa {};
  sa.sa_handler = OnSignal;  // no SA_RESTART: accept's poll wakes up
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(server, 128) != 0) {
    std::fprintf(stderr, "smtp-sink: cannot listen on %s: %s\n", listen_at.c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::printf("smtp sink listening on %s, writing to %s\n", listen_at.c_str(), maildir.c_str());
  std::fflush(stdout);
  while (!stopping) {
    pollfd p{server, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const int fd = accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++open_sessions;
    std::thread([fd, maildir] {
      Session(fd, maildir).Run();
      --open_sessions;
    }).detach();
  }
  close(server);
  // Sessions see `stopping` within 200 ms and close.
  for (int i = 0; i < 50 && open_sessions > 0; ++i) usleep(20000);
  std::printf("smtp sink stopped, %lu messages stored\n", delivered.load());
  return 0;
}
