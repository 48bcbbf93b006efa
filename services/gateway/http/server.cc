#include "services/gateway/http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/core/log.h"

namespace store::gateway::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::chrono::steady_clock::duration Chrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

}  // namespace

absl::string_view Request::Header(absl::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

// Shared by the acceptor and every session.
struct Shared {
  ServerOptions options;
  Handler handler;
  std::atomic<int> connections{0};
  std::atomic<int> in_flight{0};
};

class Session;

class ExchangeImpl final : public Exchange {
 public:
  ExchangeImpl(std::shared_ptr<Session> session, Request request)
      : session_(std::move(session)), request_(std::move(request)) {}
  ~ExchangeImpl() override;
  const Request& request() const override { return request_; }
  void Respond(Response response) override;
  void BeginStream(Response head, std::function<void(bool)> on_ready) override;
  void WriteChunk(std::string data, std::function<void(bool)> on_written) override;
  void EndStream(bool ok) override;

 private:
  std::shared_ptr<Session> session_;
  Request request_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared* shared) : stream_(std::move(socket)), shared_(shared) {
    beast::error_code ec;
    tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = remote.address().to_string();
    shared_->connections.fetch_add(1);
  }
  ~Session() { shared_->connections.fetch_sub(1); }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // Called through the strand by the exchange.
  void Post(std::function<void()> fn) { net::post(stream_.get_executor(), std::move(fn)); }

  void Send(Response response) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), version_);
    res->set(bhttp::field::server, "store-gateway");
    if (!response.content_type.empty()) {
      res->set(bhttp::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) res->insert(name, value);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(Chrono(shared_->options.idle_timeout));
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res](beast::error_code ec, size_t) {
                         self->AfterResponse(ec);
                       });
  }

  void SendHead(Response head, std::function<void(bool)> on_ready) {
    head_ = std::make_shared<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(head.status), version_);
    head_->set(bhttp::field::server, "store-gateway");
    head_->set(bhttp::field::content_type, head.content_type);
    for (const auto& [name, value] : head.headers) head_->insert(name, value);
    head_->keep_alive(keep_alive_);
    head_->chunked(true);
    serializer_ = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head_);
    stream_.expires_after(Chrono(shared_->options.idle_timeout));
    bhttp::async_write_header(stream_, *serializer_,
                              [self = shared_from_this(), on_ready = std::move(on_ready)](
                                  beast::error_code ec, size_t) { on_ready(!ec); });
  }

  void SendChunk(std::string data, std::function<void(bool)> on_written) {
    if (data.empty()) {  // an empty chunk would end the body
      on_written(true);
      return;
    }
    auto owned = std::make_shared<std::string>(std::move(data));
    stream_.expires_after(Chrono(shared_->options.idle_timeout));
    net::async_write(stream_, bhttp::make_chunk(net::buffer(*owned)),
                     [self = shared_from_this(), owned, on_written = std::move(on_written)](
                         beast::error_code ec, size_t) { on_written(!ec); });
  }

  void SendEnd(bool ok) {
    if (!ok) {
      keep_alive_ = false;
      AfterResponse(beast::error_code());
      return;
    }
    net::async_write(stream_, bhttp::make_chunk_last(),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->AfterResponse(ec);
                     });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(shared_->options.max_header_bytes));
    stream_.expires_after(Chrono(shared_->options.idle_timeout));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->OnRead(ec);
                      });
  }

  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof) return Close();
    if (ec == bhttp::error::body_limit) {
      return Reject(413, "PAYLOAD_TOO_LARGE",
                    absl::StrCat("the request body is larger than ",
                                 shared_->options.max_body_bytes, " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      return Reject(431, "HEADERS_TOO_LARGE", "the request headers are too large");
    }
    if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
      return Reject(400, "BAD_REQUEST", "the request is not valid HTTP/1.1");
    }
    if (ec) return Close();  // timeout, reset
    bhttp::request<bhttp::string_body> msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    Request request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    request.body = std::move(msg.body());
    request.remote_ip = remote_ip_;
    for (const auto& field : msg) {
      const auto name = field.name_string();
      request.headers.emplace_back(absl::AsciiStrToLower(absl::string_view(name.data(), name.size())),
                                   std::string(field.value()));
    }
    stream_.expires_after(Chrono(shared_->options.request_timeout));
    shared_->in_flight.fetch_add(1);
    shared_->handler(std::make_shared<ExchangeImpl>(shared_from_this(), std::move(request)));
  }

  void Reject(int status, absl::string_view reason, absl::string_view message) {
    keep_alive_ = false;
    Response response;
    response.status = status;
    if (shared_->options.rejection_headers) {
      std::string origin, request_id;
      // The fields read so far (all of them for a 413; maybe some for a 431).
      if (parser_.has_value()) {
        const auto& fields = parser_->get();
        if (auto it = fields.find("origin"); it != fields.end()) origin = std::string(it->value());
        if (auto it = fields.find("x-request-id"); it != fields.end()) {
          request_id = std::string(it->value());
        }
      }
      response.headers = shared_->options.rejection_headers(origin, request_id);
    }
    response.body = absl::StrCat(R"({"code":)", status, R"(,"reason":)", log::JsonQuote(reason),
                                 R"(,"message":)", log::JsonQuote(message), "}");
    Send(std::move(response));
  }

  void AfterResponse(beast::error_code ec) {
    head_.reset();
    serializer_.reset();
    if (ec || !keep_alive_) return Close();
    Read();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  Shared* shared_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::empty_body>> head_;
  std::shared_ptr<bhttp::response_serializer<bhttp::empty_body>> serializer_;
  std::string remote_ip_;
  bool keep_alive_ = true;
  unsigned version_ = 11;

  friend class ExchangeImpl;
  friend class Server;
};

ExchangeImpl::~ExchangeImpl() { session_->shared_->in_flight.fetch_sub(1); }

void ExchangeImpl::Respond(Response response) {
  session_->Post([s = session_, r = std::move(response)]() mutable { s->Send(std::move(r)); });
}

void ExchangeImpl::BeginStream(Response head, std::function<void(bool)> on_ready) {
  session_->Post([s = session_, h = std::move(head), cb = std::move(on_ready)]() mutable {
    s->SendHead(std::move(h), std::move(cb));
  });
}

void ExchangeImpl::WriteChunk(std::string data, std::function<void(bool)> on_written) {
  session_->Post([s = session_, d = std::move(data), cb = std::move(on_written)]() mutable {
    s->SendChunk(std::move(d), std::move(cb));
  });
}

void ExchangeImpl::EndStream(bool ok) {
  session_->Post([s = session_, ok] { s->SendEnd(ok); });
}

struct Server::Impl {
  Shared shared;
  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};

  void Accept() {
    acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (!acceptor->is_open()) return;
      } else if (shared.connections.load() >= shared.options.max_connections) {
        beast::error_code ignored;
        s.close(ignored);  // over the cap: refuse rather than queue
      } else {
        s.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(s), &shared)->Start();
      }
      Accept();
    });
  }
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->shared.options = std::move(options);
  impl_->shared.handler = std::move(handler);
}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  const std::string& listen = impl_->shared.options.listen;
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError("listen address must be host:port: " + listen);
  }
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(listen.substr(0, colon), ec);
  if (ec) return absl::InvalidArgumentError("listen host must be an IP address: " + listen);
  tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
  impl_->acceptor.emplace(impl_->ioc);
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot listen on ", listen, ": ", ec.message()));
  port_ = impl_->acceptor->local_endpoint().port();
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->shared.options.io_threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return absl::OkStatus();
}

void Server::Stop() {
  if (impl_->stopped.exchange(true) || !impl_->acceptor.has_value()) return;
  net::post(impl_->ioc, [this] {
    beast::error_code ignored;
    impl_->acceptor->close(ignored);
  });
  // Let the requests in flight finish (bounded), then stop the loop.
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (impl_->shared.in_flight.load() > 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace store::gateway::http
