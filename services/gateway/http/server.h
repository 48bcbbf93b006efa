// The gateway's HTTP/1.1 server on Boost.Beast: asynchronous sessions on a
// small fixed pool of I/O threads (no thread is tied to a connection, idle
// or busy), keep-alive, a header and body size limit (431/413 answered by the
// server itself), idle and request timeouts, a connection cap. Each request
// becomes an Exchange handed to the handler, which answers once, later and
// from any thread, either with a whole response or as a chunked stream with
// backpressure.
#ifndef STORE_SERVICES_GATEWAY_HTTP_SERVER_H_
#define STORE_SERVICES_GATEWAY_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace store::gateway::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET"
  std::string target;  // "/v1/orders?page_size=10"
  Headers headers;     // names lower-case
  std::string body;
  std::string remote_ip;
  // The first value of a header (name lower-case), or "".
  absl::string_view Header(absl::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  std::string content_type = "application/json";
};

// One request in flight. Every method may be called from any thread.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual const Request& request() const = 0;
  // The whole response (call once, and not after BeginStream).
  virtual void Respond(Response response) = 0;
  // A chunked response: the status line and headers go out, then
  // `on_ready(true)` is called (false: the client is gone).
  virtual void BeginStream(Response head, std::function<void(bool)> on_ready) = 0;
  // One chunk; `on_written(true)` once it is on the wire.
  virtual void WriteChunk(std::string data, std::function<void(bool)> on_written) = 0;
  // The last chunk (ok) or, after an error mid-stream, closes the connection
  // so the client sees a truncated body rather than a complete-looking one.
  virtual void EndStream(bool ok) = 0;
};

using Handler = std::function<void(std::shared_ptr<Exchange>)>;

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";
  int io_threads = 1;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  int max_connections = 10000;
  absl::Duration idle_timeout = absl::Seconds(60);
  // From the first byte of a request to the end of its response.
  absl::Duration request_timeout = absl::Seconds(60);
  // Headers for the answers the server gives by itself (413, 431, 400 for
  // broken HTTP), from the request's Origin and X-Request-Id when they were
  // read (empty when the headers themselves were too large): the request id
  // and CORS headers the gateway puts on every other answer.
  std::function<Headers(absl::string_view origin, absl::string_view request_id)>
      rejection_headers;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  // Binds and starts the I/O threads; the port is then port().
  absl::Status Start();
  int port() const { return port_; }
  // Stops accepting, closes connections, joins the threads.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace store::gateway::http

#endif  // STORE_SERVICES_GATEWAY_HTTP_SERVER_H_
