#include "services/gateway/backends.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"

namespace store::gateway {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

absl::Status Serialize(const Message& message, grpc::ByteBuffer* out) {
  std::string bytes;
  if (!message.SerializeToString(&bytes)) {
    return absl::InternalError("the request could not be serialised");
  }
  grpc::Slice slice(bytes);
  *out = grpc::ByteBuffer(&slice, 1);
  return absl::OkStatus();
}

bool Parse(grpc::ByteBuffer* buffer, Message* out) {
  grpc::ProtoBufferReader reader(buffer);
  return out->ParseFromZeroCopyStream(&reader);
}

absl::Status NoBackend(const MethodDescriptor* method) {
  return absl::UnavailableError(
      absl::StrCat("no backend is configured for ", method->service()->full_name()));
}

class StreamCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamCall(const MethodDescriptor* method, std::unique_ptr<grpc::ClientContext> context,
             Backends::StreamHandlers handlers)
      : method_(method), context_(std::move(context)), handlers_(std::move(handlers)) {}

  void Start(grpc::GenericStub* stub, const std::string& name, const Message& request) {
    if (absl::Status s = Serialize(request, &request_); !s.ok()) {
      handlers_.on_done(s);
      delete this;
      return;
    }
    stub->PrepareBidiStreamingCall(context_.get(), name, grpc::StubOptions(), this);
    // Reads are started from outside the reactions (when the HTTP client has
    // taken the previous chunk): the hold keeps the call, and this object,
    // alive until the stream has been read to its end.
    AddHold();
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&incoming_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // end of stream (or failure): OnDone follows
      RemoveHold();
      return;
    }
    std::unique_ptr<Message> message = NewMessage(method_->output_type());
    if (!Parse(&incoming_, message.get())) {
      context_->TryCancel();
      parse_failed_ = true;
      RemoveHold();
      return;
    }
    handlers_.on_message(*message, [this](bool more) {
      if (!more) context_->TryCancel();
      StartRead(&incoming_);
    });
  }

  void OnDone(const grpc::Status& status) override {
    handlers_.on_done(parse_failed_ ? absl::InternalError("a streamed message could not be read")
                                    : grpcx::FromGrpcStatus(status));
    delete this;
  }

 private:
  const MethodDescriptor* method_;
  std::unique_ptr<grpc::ClientContext> context_;
  Backends::StreamHandlers handlers_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer incoming_;
  bool parse_failed_ = false;
};

}  // namespace

Backends::~Backends() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
}

void Backends::Add(const std::string& service, const std::string& address) {
  auto backend = std::make_unique<Backend>();
  backend->address = address;
  backend->channel = grpcx::MakeChannel(address);
  backend->stub = std::make_unique<grpc::GenericStub>(backend->channel);
  backends_[service] = std::move(backend);
}

Backends::Backend* Backends::For(const MethodDescriptor* method) {
  auto it = backends_.find(method->service()->full_name());
  return it == backends_.end() ? nullptr : it->second.get();
}

void Backends::StartHealthChecks(absl::Duration interval) {
  health_thread_ = std::thread([this, interval] { HealthLoop(interval); });
}

void Backends::HealthLoop(absl::Duration interval) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    for (auto& [name, backend] : backends_) {
      backend->ready.store(
          grpcx::CheckHealth(backend->channel, "", absl::Seconds(1)).ok());
    }
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoNanoseconds(interval), [this] { return stopping_; });
  }
}

std::vector<std::string> Backends::NotReady() const {
  std::vector<std::string> out;
  for (const auto& [name, backend] : backends_) {
    if (!backend->ready.load()) out.push_back(name);
  }
  return out;
}

void Backends::CallUnary(const MethodDescriptor* method, const std::string& grpc_method,
                         std::unique_ptr<grpc::ClientContext> context, const Message& request,
                         UnaryDone done) {
  Backend* backend = For(method);
  if (backend == nullptr) return done(NoBackend(method));
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };
  auto call = std::make_shared<Call>();
  call->context = std::move(context);
  if (absl::Status s = Serialize(request, &call->request); !s.ok()) return done(s);
  backend->stub->UnaryCall(
      call->context.get(), grpc_method, grpc::StubOptions(), &call->request, &call->response,
      [call, method, done = std::move(done)](grpc::Status status) {
        if (!status.ok()) return done(grpcx::FromGrpcStatus(status));
        std::unique_ptr<Message> response = NewMessage(method->output_type());
        if (!Parse(&call->response, response.get())) {
          return done(absl::InternalError("the response could not be read"));
        }
        done(std::move(response));
      });
}

void Backends::CallServerStream(const MethodDescriptor* method, const std::string& grpc_method,
                                std::unique_ptr<grpc::ClientContext> context,
                                const Message& request, StreamHandlers handlers) {
  Backend* backend = For(method);
  if (backend == nullptr) return handlers.on_done(NoBackend(method));
  auto* call = new StreamCall(method, std::move(context), std::move(handlers));
  call->Start(backend->stub.get(), grpc_method, request);  // deletes itself when done
}

}  // namespace store::gateway
