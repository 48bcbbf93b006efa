#include "services/gateway/transcoding/route_table.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/core/status.h"
#include "services/gateway/transcoding/price_fields.h"

namespace store::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

const std::set<std::string>& KnownVerbs() {
  static const auto* const kVerbs =
      new std::set<std::string>{"GET", "POST", "PUT", "PATCH", "DELETE"};
  return *kVerbs;
}

const std::set<std::string>& KnownRoles() {
  static const auto* const kRoles =
      new std::set<std::string>{"admin",      "staff",    "marketing",
                                                       "storefront", "customer", "public"};
  return *kRoles;
}

}  // namespace

const FieldDescriptor* FindFieldByPath(const Descriptor* type, absl::string_view path) {
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (type == nullptr) return nullptr;
    field = type->FindFieldByName(std::string(part));
    if (field == nullptr) return nullptr;
    type = field->message_type();
  }
  return field;
}

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  PathTemplate t;
  t.text_ = std::string(text);
  if (!absl::StartsWith(text, "/")) {
    return absl::InvalidArgumentError(absl::StrCat("path template '", text, "' must start with /"));
  }
  absl::string_view rest = text.substr(1);
  // A ":verb" after the last segment (AIP-136 custom methods).
  const size_t last_slash = rest.rfind('/');
  const size_t colon = rest.find(':', last_slash == absl::string_view::npos ? 0 : last_slash);
  if (colon != absl::string_view::npos) {
    t.verb_ = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  }
  for (absl::string_view seg : absl::StrSplit(rest, '/')) {
    if (seg.empty())
      return absl::InvalidArgumentError(absl::StrCat("empty segment in '", text, "'"));
    Segment s;
    if (seg.front() == '{') {
      if (seg.back() != '}' || seg.size() < 3) {
        return absl::InvalidArgumentError(absl::StrCat("bad variable '", seg, "' in '", text, "'"));
      }
      s.variable = true;
      s.value = std::string(seg.substr(1, seg.size() - 2));
    } else {
      s.value = std::string(seg);
    }
    t.segments_.push_back(std::move(s));
  }
  return t;
}

bool PathTemplate::Match(absl::string_view path, Bindings* bindings) const {
  if (!absl::ConsumePrefix(&path, "/")) return false;
  const size_t last_slash = path.rfind('/');
  const size_t colon = path.find(':', last_slash == absl::string_view::npos ? 0 : last_slash);
  absl::string_view verb;
  if (colon != absl::string_view::npos) {
    verb = path.substr(colon + 1);
    path = path.substr(0, colon);
  }
  if (verb != verb_) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  if (parts.size() != segments_.size()) return false;
  Bindings out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return false;
    if (segments_[i].variable) {
      out.emplace_back(segments_[i].value, std::string(parts[i]));
    } else if (parts[i] != segments_[i].value) {
      return false;
    }
  }
  *bindings = std::move(out);
  return true;
}

std::vector<std::string> PathTemplate::Variables() const {
  std::vector<std::string> vars;
  for (const Segment& s : segments_) {
    if (s.variable) vars.push_back(s.value);
  }
  return vars;
}

bool Route::allows(absl::string_view role) const {
  for (const std::string& r : http.roles()) {
    if (r == role) return true;
  }
  return false;
}

absl::StatusOr<RouteTable> RouteTable::Build(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  RouteTable table;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      if (!method->options().HasExtension(api::v1::http)) continue;
      Route route;
      route.method = method;
      route.http = method->options().GetExtension(api::v1::http);
      route.grpc_method = absl::StrCat("/", service->full_name(), "/", method->name());
      const std::string where = method->full_name();
      if (!KnownVerbs().count(route.http.method())) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": unknown HTTP method '", route.http.method(), "'"));
      }
      absl::StatusOr<PathTemplate> path = PathTemplate::Parse(route.http.path());
      if (!path.ok())
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", path.status().message()));
      route.path = *std::move(path);
      const Descriptor* request = method->input_type();
      for (const std::string& var : route.path.Variables()) {
        const FieldDescriptor* f = FindFieldByPath(request, var);
        if (f == nullptr || f->is_repeated() || f->message_type() != nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": path variable {", var,
                                                         "} is not a scalar field of ",
                                                         request->full_name()));
        }
      }
      if (!route.http.body().empty() && route.http.body() != "*" &&
          (request->FindFieldByName(route.http.body()) == nullptr ||
           request->FindFieldByName(route.http.body())->message_type() == nullptr)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": body '", route.http.body(),
                                                       "' is not a message field of the request"));
      }
      if (!route.http.owner_field().empty()) {
        const FieldDescriptor* owner = FindFieldByPath(request, route.http.owner_field());
        if (owner == nullptr || owner->is_repeated() ||
            owner->type() != FieldDescriptor::TYPE_STRING) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": owner_field '", route.http.owner_field(), "' is not a text field"));
        }
      }
      if (method->client_streaming()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": client-streaming methods cannot have an HTTP route"));
      }
      if (method->server_streaming() != !route.http.stream_content_type().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": stream_content_type goes with, and only with, server-streaming methods"));
      }
      if (method->server_streaming()) {
        route.stream_data = method->output_type()->FindFieldByName("data");
        route.stream_file_name = method->output_type()->FindFieldByName("file_name");
        route.stream_content_type = method->output_type()->FindFieldByName("content_type");
        if (route.stream_content_type != nullptr &&
            route.stream_content_type->type() != FieldDescriptor::TYPE_STRING) {
          route.stream_content_type = nullptr;
        }
        if (route.stream_data == nullptr ||
            route.stream_data->type() != FieldDescriptor::TYPE_BYTES) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": a streamed response needs a `bytes data` field"));
        }
      }
      if (!route.http.redirect_field().empty()) {
        route.redirect = method->output_type()->FindFieldByName(route.http.redirect_field());
        if (route.redirect == nullptr || route.redirect->type() != FieldDescriptor::TYPE_STRING ||
            method->server_streaming()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": redirect_field '", route.http.redirect_field(),
                           "' must be a text field of a unary method's response"));
        }
      }
      // The field Idempotency-Key fills: `request_id`, else `idempotency_key`
      // (the wallet's routes).
      route.request_id = request->FindFieldByName("request_id");
      if (route.request_id == nullptr) {
        route.request_id = request->FindFieldByName("idempotency_key");
      }
      if (route.request_id != nullptr && route.request_id->type() != FieldDescriptor::TYPE_STRING) {
        route.request_id = nullptr;
      }
      route.page_size = request->FindFieldByName("page_size");
      if (route.page_size != nullptr &&
          route.page_size->cpp_type() != FieldDescriptor::CPPTYPE_INT32) {
        route.page_size = nullptr;
      }
      if (route.http.roles().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": a route needs at least one role"));
      }
      for (const std::string& role : route.http.roles()) {
        if (!KnownRoles().count(role)) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": unknown role '", role, "'"));
        }
      }
      if (route.http.form_body() && !route.http.body().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": form_body takes its fields like the query string; leave body empty"));
      }
      if (route.http.roles_size() > 1 && route.is_public()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": a public route takes no other roles"));
      }
      if (!route.http.signed_by().empty() && !route.is_public()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": signed_by is for public routes (the signature is the auth)"));
      }
      route.has_price_fields = HoldsPriceFields(request);
      if (route.allows("customer") || (route.is_public() && route.http.signed_by().empty())) {
        for (const PriceLikeField& f : PriceLikeFields(request)) {
          if (f.marked || f.output_only) continue;
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": ", request->full_name(), ".", f.path,
              " looks like a price on a route customers or the public may call: mark it "
              "[(store.api.v1.price) = true] so only trusted callers set it, or "
              "[(store.api.v1.output_only) = true] if the service never reads it"));
        }
      }
      if (!seen.insert({route.http.method(), route.http.path()}).second) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", route.http.method(), " ",
                                                       route.http.path(), " is declared twice"));
      }
      table.routes_.push_back(std::move(route));
    }
  }
  return table;
}

absl::StatusOr<RouteTable::Match> RouteTable::Find(absl::string_view verb,
                                                   absl::string_view path) const {
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    Bindings bindings;
    if (!route.path.Match(path, &bindings)) continue;
    if (route.http.method() == verb) return Match{&route, std::move(bindings)};
    allowed.push_back(route.http.method());
  }
  if (!allowed.empty()) {
    std::sort(allowed.begin(), allowed.end());
    return Precondition(
        "METHOD_NOT_ALLOWED",
        absl::StrCat(verb, " is not allowed here; use ", absl::StrJoin(allowed, ", ")),
        {{"allowed", absl::StrJoin(allowed, ", ")}});
  }
  return MakeError(absl::StatusCode::kNotFound, "NO_ROUTE", "",
                   absl::StrCat("no route for ", path));
}

}  // namespace store::gateway
