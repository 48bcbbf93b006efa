// The gateway's routes, built at start-up from the `store.api.v1.http`
// option on the services' methods (proto/store/api/v1/annotations.proto):
// adding a route is an annotation, not gateway code.
#ifndef STORE_SERVICES_GATEWAY_TRANSCODING_ROUTE_TABLE_H_
#define STORE_SERVICES_GATEWAY_TRANSCODING_ROUTE_TABLE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "store/api/v1/annotations.pb.h"

namespace store::gateway {

// Field path -> value bound from the URL path ("order_id" -> "6f1c...").
using Bindings = std::vector<std::pair<std::string, std::string>>;

// "/v1/orders/{order_id}:ship": literal segments, `{field.path}` segments
// matching one non-empty segment, and an optional ":verb" after the last.
class PathTemplate {
 public:
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);
  // True when `path` (no query string) matches; fills `bindings`.
  bool Match(absl::string_view path, Bindings* bindings) const;
  const std::string& text() const { return text_; }
  // The field paths bound by the template, in order.
  std::vector<std::string> Variables() const;

 private:
  struct Segment {
    bool variable = false;
    std::string value;  // the literal, or the field path
  };
  std::string text_;
  std::vector<Segment> segments_;
  std::string verb_;  // "ship" for ":ship", or ""
};

struct Route {
  const google::protobuf::MethodDescriptor* method = nullptr;
  api::v1::HttpRoute http;
  PathTemplate path;
  // "/store.order.v1.OrderService/GetOrder", as gRPC names it.
  std::string grpc_method;
  // Found once at start-up, so requests need no lookups by name:
  // the streamed bytes (and suggested file name) of a download route,
  const google::protobuf::FieldDescriptor* stream_data = nullptr;
  const google::protobuf::FieldDescriptor* stream_file_name = nullptr;
  // the first message's own content type, when the response has one
  // (an invoice is HTML or PDF as asked); else stream_content_type.
  const google::protobuf::FieldDescriptor* stream_content_type = nullptr;
  // the request's `request_id` (filled from Idempotency-Key) and
  // `page_size` (capped), when it has them.
  const google::protobuf::FieldDescriptor* request_id = nullptr;
  const google::protobuf::FieldDescriptor* page_size = nullptr;
  // the response's redirect URL, for a redirect route.
  const google::protobuf::FieldDescriptor* redirect = nullptr;
  // The request holds fields only trusted callers may set (price_fields.h).
  bool has_price_fields = false;
  bool allows(absl::string_view role) const;
  bool is_public() const { return allows("public"); }
};

class RouteTable {
 public:
  // Every annotated method of `services`. Checks each annotation: a known
  // verb and roles, path variables and body and owner fields that exist on
  // the request (owner fields: text), no two routes with the same verb and
  // template, streamed downloads on server-streaming methods whose messages
  // carry `bytes data`, no other streaming methods, signatures only on
  // public routes, and on routes open to customers or the public (unsigned)
  // every money or basis-point field of the request marked as a price.
  static absl::StatusOr<RouteTable> Build(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  struct Match {
    const Route* route = nullptr;
    Bindings bindings;
  };
  // NOT_FOUND when no template matches the path; FAILED_PRECONDITION with
  // reason METHOD_NOT_ALLOWED (and the allowed verbs) when one matches with
  // another verb.
  absl::StatusOr<Match> Find(absl::string_view verb, absl::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// The field at a dotted path of `type` ("filter.customer_id"), or nullptr.
const google::protobuf::FieldDescriptor* FindFieldByPath(const google::protobuf::Descriptor* type,
                                                         absl::string_view path);

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_TRANSCODING_ROUTE_TABLE_H_
