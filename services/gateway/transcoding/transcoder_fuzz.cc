// libFuzzer entry for the gateway's JSON -> proto path (SEC-8): the first
// byte picks a route of the real route table, the first line of the rest
// is the query string, the remainder the JSON body; path variables are
// bound to "x". It must never crash, every failure must be INVALID_ARGUMENT
// (a 400 naming the field), and a request that was accepted must survive
// the proto3 JSON round trip unchanged. The body alone is also given to the
// fast parser (json_parser.h): whatever it accepts, protobuf's parser must
// accept and parse to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/gateway/transcoding/json_parser.h"
#include "services/gateway/transcoding/route_table.h"
#include "services/gateway/transcoding/services.h"
#include "services/gateway/transcoding/transcoder.h"

namespace {

const store::gateway::RouteTable& Table() {
  static const auto* const kTable = [] {
    auto table = store::gateway::RouteTable::Build(store::gateway::ExposedServices());
    if (!table.ok()) {
      std::cerr << table.status() << "\n";
      std::abort();
    }
    return new store::gateway::RouteTable(*std::move(table));
  }();
  return *kTable;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& routes = Table().routes();
  const store::gateway::Route& route = routes[data[0] % routes.size()];
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t newline = rest.find('\n');
  const std::string query = newline == std::string::npos ? "" : rest.substr(0, newline);
  const std::string body = newline == std::string::npos ? rest : rest.substr(newline + 1);

  store::gateway::Bindings bindings;
  for (const std::string& var : route.path.Variables()) bindings.emplace_back(var, "x");
  store::gateway::QueryParams params;
  absl::Status parsed = store::gateway::ParseQuery(query, &params);
  if (!parsed.ok()) {
    if (parsed.code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(route.method->input_type())
          ->New());
  {
    std::unique_ptr<google::protobuf::Message> fast(request->New());
    std::unique_ptr<google::protobuf::Message> slow(request->New());
    if (store::gateway::ParsePlainJson(body, fast.get()) &&
        (!google::protobuf::util::JsonStringToMessage(body, slow.get()).ok() ||
         !google::protobuf::util::MessageDifferencer::Equals(*fast, *slow))) {
      std::cerr << "the fast parser differs from protobuf's: " << body << "\n";
      std::abort();
    }
  }
  absl::Status built = store::gateway::BuildRequest(route, bindings, params, body, request.get());
  if (!built.ok()) {
    if (built.code() != absl::StatusCode::kInvalidArgument) {
      std::cerr << "not INVALID_ARGUMENT: " << built << "\n";
      std::abort();
    }
    return 0;
  }
  const std::string json = store::gateway::ResponseJson(*request);
  std::unique_ptr<google::protobuf::Message> again(request->New());
  if (!google::protobuf::util::JsonStringToMessage(json, again.get()).ok() ||
      !google::protobuf::util::MessageDifferencer::Equals(*request, *again)) {
    std::cerr << "round trip changed the request: " << json << "\n";
    std::abort();
  }
  return 0;
}
