#include "services/gateway/transcoding/openapi.h"

#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "libs/core/log.h"
#include "services/gateway/transcoding/api_comments.h"
#include "services/gateway/transcoding/price_fields.h"

namespace store::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using log::JsonQuote;

const ApiComments& Comments() { return ApiComments::Get(); }

std::string Ref(const Descriptor* d) {
  return absl::StrCat(
      "{\"$ref\":", JsonQuote(absl::StrCat("#/components/schemas/", d->full_name())), "}");
}

// `schema` (a JSON object) with `members` (",\"key\":value..." pairs) added;
// a reference is wrapped in allOf, since OpenAPI 3.0 ignores a $ref's
// siblings.
std::string With(const std::string& schema, absl::string_view members) {
  if (members.empty()) return schema;
  if (absl::StartsWith(schema, "{\"$ref\"")) {
    return absl::StrCat("{\"allOf\":[", schema, "]", members, "}");
  }
  std::string out = schema;
  out.insert(out.size() - 1, members.data(), members.size());
  return out;
}

std::string Description(absl::string_view text) {
  return text.empty() ? "" : absl::StrCat(",\"description\":", JsonQuote(text));
}

// "ListOrderJobItems" -> "List order job items".
std::string Words(absl::string_view name) {
  std::string out;
  for (char c : name) {
    if (absl::ascii_isupper(c) && !out.empty()) {
      out.push_back(' ');
      out.push_back(absl::ascii_tolower(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// A field's own comment, then what the document marks about it.
std::string FieldDescription(const FieldDescriptor* f) {
  std::string text = Comments().Of(f);
  if (f->enum_type() != nullptr) {
    std::vector<std::string> values;
    for (int i = 0; i < f->enum_type()->value_count(); ++i) {
      const auto* v = f->enum_type()->value(i);
      std::string about = Comments().Of(v);
      absl::StrReplaceAll({{"\n", " "}}, &about);
      values.push_back(absl::StrCat("- `", v->name(), "`", about.empty() ? "" : ": ", about));
    }
    std::string enum_text = Comments().Of(f->enum_type());
    absl::StrAppend(&text, text.empty() ? "" : "\n\n", enum_text, enum_text.empty() ? "" : "\n\n",
                    absl::StrJoin(values, "\n"));
  }
  if (IsPriceField(*f)) {
    absl::StrAppend(&text, text.empty() ? "" : "\n\n",
                    "A price: only admin, staff and storefront tokens may set it (403 "
                    "PRICE_NOT_ALLOWED otherwise).");
  }
  return text;
}

bool IsRequired(const FieldDescriptor* f) { return f->options().GetExtension(api::v1::required); }

class SchemaWriter {
 public:
  // The schema of one field's value (not repeated).
  std::string ValueSchema(const FieldDescriptor* f) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_UINT32:
        return "{\"type\":\"integer\",\"format\":\"int32\"}";
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT64:
        return "{\"type\":\"string\",\"format\":\"int64\"}";
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT:
        return "{\"type\":\"number\"}";
      case FieldDescriptor::CPPTYPE_BOOL:
        return "{\"type\":\"boolean\"}";
      case FieldDescriptor::CPPTYPE_STRING:
        return f->type() == FieldDescriptor::TYPE_BYTES
                   ? "{\"type\":\"string\",\"format\":\"byte\"}"
                   : "{\"type\":\"string\"}";
      case FieldDescriptor::CPPTYPE_ENUM: {
        std::vector<std::string> names;
        for (int i = 0; i < f->enum_type()->value_count(); ++i) {
          names.push_back(JsonQuote(f->enum_type()->value(i)->name()));
        }
        return absl::StrCat("{\"type\":\"string\",\"enum\":[", absl::StrJoin(names, ","), "]}");
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return MessageSchema(f->message_type());
    }
    return "{}";
  }

  // The schema of a field as a property: repeated as an array, maps as
  // objects, with its description and read-only or price marks.
  std::string FieldSchema(const FieldDescriptor* f) {
    std::string schema;
    if (f->is_map()) {
      schema = absl::StrCat("{\"type\":\"object\",\"additionalProperties\":",
                            ValueSchema(f->message_type()->map_value()), "}");
    } else if (f->is_repeated()) {
      schema = absl::StrCat("{\"type\":\"array\",\"items\":", ValueSchema(f), "}");
    } else {
      schema = ValueSchema(f);
    }
    std::string members = Description(FieldDescription(f));
    if (IsOutputOnly(*f)) absl::StrAppend(&members, ",\"readOnly\":true");
    if (IsPriceField(*f)) absl::StrAppend(&members, ",\"x-price\":true");
    return With(schema, members);
  }

  // A reference to (or, for well-known types, the inline schema of) a message.
  std::string MessageSchema(const Descriptor* d) {
    const std::string& n = d->full_name();
    if (n == "google.protobuf.Timestamp") {
      return "{\"type\":\"string\",\"format\":\"date-time\",\"example\":\"2026-03-01T09:30:00Z\"}";
    }
    if (n == "google.protobuf.Duration") return "{\"type\":\"string\",\"example\":\"3600s\"}";
    if (n == "google.protobuf.FieldMask") {
      return "{\"type\":\"string\",\"description\":\"Comma-separated field paths "
             "(lowerCamelCase), e.g. `email,shippingAddress`.\"}";
    }
    if (n == "google.protobuf.Any" || n == "google.protobuf.Struct") return "{\"type\":\"object\"}";
    if (d->options().map_entry()) return "{\"type\":\"object\"}";
    Want(d);
    return Ref(d);
  }

  void Want(const Descriptor* d) {
    if (done_.count(d->full_name()) == 0) pending_.push_back(d);
  }

  // Writes every wanted schema (and what they reach) as "name":{...} pairs.
  std::string Components() {
    std::vector<std::string> out;
    while (!pending_.empty()) {
      const Descriptor* d = pending_.back();
      pending_.pop_back();
      if (!done_.insert(d->full_name()).second) continue;
      std::vector<std::string> props;
      std::vector<std::string> required;
      for (int i = 0; i < d->field_count(); ++i) {
        const FieldDescriptor* f = d->field(i);
        props.push_back(absl::StrCat(JsonQuote(f->json_name()), ":", FieldSchema(f)));
        if (IsRequired(f)) required.push_back(JsonQuote(f->json_name()));
      }
      out.push_back(absl::StrCat(
          JsonQuote(d->full_name()), ":{\"type\":\"object\"", Description(Comments().Of(d)),
          required.empty() ? ""
                           : absl::StrCat(",\"required\":[", absl::StrJoin(required, ","), "]"),
          ",\"properties\":{", absl::StrJoin(props, ","), "}}"));
    }
    return absl::StrJoin(out, ",");
  }

 private:
  std::vector<const Descriptor*> pending_;
  std::set<std::string> done_;
};

// Query parameters of a route without a body: scalar and repeated scalar
// fields, one level into sub-messages ("filter.statuses"), minus path ones.
// Named by their lowerCamelCase JSON names, like the bodies (the gateway
// also takes the proto names).
void QueryParams(const Descriptor* d, const std::string& prefix, const std::string& json_prefix,
                 int depth, const std::set<std::string>& skip, SchemaWriter& w,
                 std::vector<std::string>& out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string name = prefix + f->name();
    const std::string json_name = json_prefix + f->json_name();
    if (skip.count(name)) continue;
    if (f->message_type() != nullptr &&
        f->message_type()->full_name() != "google.protobuf.Timestamp") {
      if (depth < 1 && !f->is_repeated()) {
        QueryParams(f->message_type(), name + ".", json_name + ".", depth + 1, skip, w, out);
      }
      continue;
    }
    std::string schema = w.ValueSchema(f);
    if (f->is_repeated()) schema = absl::StrCat("{\"type\":\"array\",\"items\":", schema, "}");
    out.push_back(absl::StrCat("{\"name\":", JsonQuote(json_name), ",\"in\":\"query\"",
                               Description(FieldDescription(f)), ",\"schema\":", schema,
                               f->is_repeated() ? ",\"explode\":true" : "", "}"));
  }
}

// "/v1/carts/{cart_id}/lines/{line.id}" -> "/v1/carts/{}/lines/{}", and the
// variables in order.
std::string Shape(absl::string_view path, std::vector<std::string>* vars) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    const size_t open = path.find('{', i);
    if (open == absl::string_view::npos) break;
    const size_t close = path.find('}', open);
    absl::StrAppend(&out, path.substr(i, open - i), "{}");
    if (vars != nullptr) vars->emplace_back(path.substr(open + 1, close - open - 1));
    i = close + 1;
  }
  absl::StrAppend(&out, path.substr(i));
  return out;
}

// OpenAPI tells paths apart by their shape only ("/v1/customers/{id}" and
// "/v1/customers/{customer.id}" are one path), so every route of one shape
// names its path variables alike: per position, the first name without a
// dot among the routes of that shape ("id" over "customer.id"), else the
// first. Which request field each fills is in the parameter's description
// and its `x-field`.
std::map<std::string, std::vector<std::string>> PathNames(const RouteTable& table) {
  std::map<std::string, std::vector<std::string>> names;
  for (const Route& route : table.routes()) {
    std::vector<std::string> vars;
    const std::string shape = Shape(route.path.text(), &vars);
    auto [it, inserted] = names.emplace(shape, vars);
    for (size_t i = 0; !inserted && i < vars.size(); ++i) {
      if (absl::StrContains(it->second[i], '.') && !absl::StrContains(vars[i], '.')) {
        it->second[i] = vars[i];
      }
    }
  }
  return names;
}

std::string PathText(absl::string_view shape, const std::vector<std::string>& names) {
  std::vector<absl::string_view> parts = absl::StrSplit(shape, "{}");
  std::string out(parts[0]);
  for (size_t i = 1; i < parts.size(); ++i) absl::StrAppend(&out, "{", names[i - 1], "}", parts[i]);
  return out;
}

// Error answers every operation may give (GW-02; services/gateway/errors.h).
constexpr struct {
  const char* status;
  const char* name;
  const char* text;
} kErrorResponses[] = {
    {"400", "BadRequest",
     "Bad input: `field` names the request field at fault and `message` says what is allowed; "
     "nothing was changed."},
    {"401", "Unauthorized", "No bearer token, or one that is expired, badly signed or revoked."},
    {"403", "Forbidden",
     "The token's role may not call this route (`ROLE_NOT_ALLOWED`) or set a price "
     "(`PRICE_NOT_ALLOWED`)."},
    {"404", "NotFound",
     "No such resource, or one that is not the calling customer's (never told apart)."},
    {"409", "Conflict",
     "The resource's state forbids it (`ILLEGAL_TRANSITION`, ...), a concurrent change "
     "(`VERSION_CHANGED`), or an idempotency key reused with another request."},
    {"429", "TooManyRequests", "Rate limited: retry after the `Retry-After` header's seconds."},
};

std::string ErrorResponses(bool is_public) {
  std::vector<std::string> out;
  for (const auto& e : kErrorResponses) {
    if (is_public && std::string_view(e.status) == "401") continue;
    out.push_back(
        absl::StrCat("\"", e.status, "\":{\"$ref\":\"#/components/responses/", e.name, "\"}"));
  }
  out.push_back("\"default\":{\"$ref\":\"#/components/responses/Error\"}");
  return absl::StrJoin(out, ",");
}

std::string ResponseComponents() {
  std::vector<std::string> out;
  auto add = [&out](absl::string_view name, absl::string_view text) {
    out.push_back(absl::StrCat(JsonQuote(name), ":{\"description\":", JsonQuote(text),
                               ",\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
                               "\"#/components/schemas/Error\"}}}}"));
  };
  for (const auto& e : kErrorResponses) add(e.name, e.text);
  add("Error",
      "Any other error: 503 while a service is unavailable (retry), 504 past the deadline, "
      "500 for an internal error.");
  return absl::StrJoin(out, ",");
}

constexpr char kErrorSchema[] =
    R"("Error":{"type":"object","description":"The body of every error answer.",)"
    R"("required":["code","message","reason","field"],"properties":{)"
    R"("code":{"type":"string","description":"The gRPC status name (INVALID_ARGUMENT, NOT_FOUND, ...)."},)"
    R"("message":{"type":"string","description":"What went wrong, for a person."},)"
    R"("reason":{"type":"string","description":"UPPER_SNAKE reason, stable across releases (INVALID_FIELD, ILLEGAL_TRANSITION, ...); empty when there is none."},)"
    R"("field":{"type":"string","description":"The request field at fault as a path (items[0].quantity); empty when none."}}})";

constexpr char kIntroduction[] =
    "The store's HTTP/JSON API, for storefronts, admin panels and other systems. Every route "
    "is a gRPC method of one of the services behind this gateway; bodies and answers follow "
    "the proto3 JSON mapping: lowerCamelCase names, 64-bit integers (money in minor units) as "
    "strings, enums by name, times in RFC 3339. Every field of an answer is present, a list as "
    "`[]` when empty.\n\n"
    "**Authentication**: `Authorization: Bearer <token>`. Customers get a token from "
    "`POST /v1/auth/login`; staff, storefront and service tokens are issued by the operator "
    "(`storectl token issue --role staff|storefront|marketing|admin`). Each operation lists "
    "the roles it admits in `x-roles`.\n\n"
    "**Retries**: send an `Idempotency-Key` header on creating routes: the same key with the "
    "same request returns the first answer, never a second resource.\n\n"
    "**Pages**: list routes take `pageSize` (at most 100) and `pageToken`, and answer "
    "`nextPageToken` (empty on the last page).\n\n"
    "**Rate limits**: per client address and per token; over them the answer is 429 with "
    "`Retry-After`. A storefront server calling for its shoppers sends each shopper's address "
    "in `X-Buyer-Ip` (with its storefront token), so every shopper has their own allowance.";

}  // namespace

std::string OpenApiDocument(const RouteTable& table, absl::string_view title,
                            absl::string_view version) {
  SchemaWriter w;
  const std::map<std::string, std::vector<std::string>> path_names = PathNames(table);
  std::map<std::string, std::vector<std::string>> paths;  // OpenAPI path -> operations
  std::map<std::string, std::string> tags;                // service name -> description
  for (const Route& route : table.routes()) {
    const MethodDescriptor* method = route.method;
    const Descriptor* in = method->input_type();
    std::vector<std::string> params;
    std::set<std::string> bound;
    std::vector<std::string> vars;
    const std::string shape = Shape(route.path.text(), &vars);
    const std::vector<std::string>& names = path_names.at(shape);
    // OpenAPI paths cannot hold ':'-verbs inside a variable segment; ours
    // stay literal after the last variable, which OpenAPI accepts.
    for (size_t i = 0; i < vars.size(); ++i) {
      bound.insert(vars[i]);
      const FieldDescriptor* f = FindFieldByPath(in, vars[i]);
      std::string about = FieldDescription(f);
      if (names[i] != vars[i]) {
        about = absl::StrCat("The request's `", vars[i], "`.", about.empty() ? "" : " ", about);
      }
      params.push_back(absl::StrCat("{\"name\":", JsonQuote(names[i]),
                                    ",\"in\":\"path\",\"required\":true", Description(about),
                                    ",\"x-field\":", JsonQuote(vars[i]),
                                    ",\"schema\":", w.ValueSchema(f), "}"));
    }
    if (route.http.body().empty()) QueryParams(in, "", "", 0, bound, w, params);
    const std::string tag = method->service()->name();
    tags.emplace(tag, Comments().Of(method->service()));
    std::vector<std::string> roles;
    for (const std::string& r : route.http.roles()) roles.push_back(JsonQuote(r));
    std::string about = Comments().Of(method);
    absl::StrAppend(&about, about.empty() ? "" : "\n\n",
                    "Roles: ", absl::StrJoin(route.http.roles(), ", "), ".");
    std::string op = absl::StrCat("{\"operationId\":", JsonQuote(method->full_name()),
                                  ",\"summary\":", JsonQuote(Words(method->name())),
                                  Description(about), ",\"tags\":[", JsonQuote(tag),
                                  "],\"x-roles\":[", absl::StrJoin(roles, ","), "]");
    if (!route.http.owner_field().empty()) {
      absl::StrAppend(&op, ",\"x-owner-field\":", JsonQuote(route.http.owner_field()));
    }
    if (!route.http.signed_by().empty()) {
      absl::StrAppend(&op, ",\"x-signed-by\":", JsonQuote(route.http.signed_by()));
    }
    if (!params.empty()) absl::StrAppend(&op, ",\"parameters\":[", absl::StrJoin(params, ","), "]");
    if (!route.http.body().empty()) {
      const Descriptor* body_type =
          route.http.body() == "*" ? in : in->FindFieldByName(route.http.body())->message_type();
      absl::StrAppend(&op, ",\"requestBody\":{\"required\":true,\"content\":{\"application/json\":",
                      "{\"schema\":", w.MessageSchema(body_type), "}}}");
    }
    std::string ok;
    if (route.redirect != nullptr) {
      ok = "\"302\":{\"description\":\"redirect to the URL in the Location header\"}";
    } else if (!route.http.stream_content_type().empty()) {
      ok = absl::StrCat("\"200\":{\"description\":\"streamed document\",\"content\":{",
                        JsonQuote(route.http.stream_content_type()),
                        ":{\"schema\":{\"type\":\"string\",\"format\":\"binary\"}}}}");
    } else {
      ok = absl::StrCat(
          "\"200\":{\"description\":\"OK\",\"content\":{\"application/json\":{\"schema\":",
          w.MessageSchema(method->output_type()), "}}}");
    }
    absl::StrAppend(&op, ",\"responses\":{", ok, ",", ErrorResponses(route.is_public()), "}");
    if (route.is_public()) absl::StrAppend(&op, ",\"security\":[]");
    op += "}";
    paths[PathText(shape, names)].push_back(
        absl::StrCat(JsonQuote(absl::AsciiStrToLower(route.http.method())), ":", op));
  }
  std::vector<std::string> path_items;
  for (const auto& [path, ops] : paths) {
    path_items.push_back(absl::StrCat(JsonQuote(path), ":{", absl::StrJoin(ops, ","), "}"));
  }
  std::vector<std::string> tag_items;
  for (const auto& [name, about] : tags) {
    tag_items.push_back(absl::StrCat("{\"name\":", JsonQuote(name), Description(about), "}"));
  }
  const std::string components = w.Components();
  return absl::StrCat(
      "{\"openapi\":\"3.0.3\",\"info\":{\"title\":", JsonQuote(title),
      ",\"version\":", JsonQuote(version), ",\"description\":", JsonQuote(kIntroduction),
      "},\"servers\":[{\"url\":\"/\",\"description\":\"this gateway\"}],",
      "\"security\":[{\"bearer\":[]}],\"tags\":[", absl::StrJoin(tag_items, ","), "],",
      "\"paths\":{", absl::StrJoin(path_items, ","), "},",
      "\"components\":{\"securitySchemes\":{\"bearer\":{\"type\":\"http\",\"scheme\":\"bearer\","
      "\"bearerFormat\":\"JWT\"}},\"responses\":{",
      ResponseComponents(), "},\"schemas\":{", kErrorSchema, components.empty() ? "" : ",",
      components, "}}}");
}

}  // namespace store::gateway
