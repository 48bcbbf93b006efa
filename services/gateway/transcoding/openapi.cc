#include "services/gateway/transcoding/openapi.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/core/log.h"
#include "services/gateway/transcoding/price_fields.h"

namespace store::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using log::JsonQuote;

std::string Ref(const Descriptor* d) {
  return absl::StrCat(
      "{\"$ref\":", JsonQuote(absl::StrCat("#/components/schemas/", d->full_name())), "}");
}

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

  // A reference to (or, for well-known types, the inline schema of) a message.
  std::string MessageSchema(const Descriptor* d) {
    const std::string& n = d->full_name();
    if (n == "google.protobuf.Timestamp") return "{\"type\":\"string\",\"format\":\"date-time\"}";
    if (n == "google.protobuf.Duration" || n == "google.protobuf.FieldMask") {
      return "{\"type\":\"string\"}";
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
      for (int i = 0; i < d->field_count(); ++i) {
        const FieldDescriptor* f = d->field(i);
        std::string schema;
        if (f->is_map()) {
          schema = absl::StrCat("{\"type\":\"object\",\"additionalProperties\":",
                                ValueSchema(f->message_type()->map_value()), "}");
        } else if (f->is_repeated()) {
          schema = absl::StrCat("{\"type\":\"array\",\"items\":", ValueSchema(f), "}");
        } else {
          schema = ValueSchema(f);
        }
        if (IsOutputOnly(*f)) {
          schema = absl::StrCat("{\"allOf\":[", schema, "],\"readOnly\":true}");
        } else if (IsPriceField(*f)) {
          schema = absl::StrCat(
              "{\"allOf\":[", schema,
              "],\"x-price\":true,\"description\":\"A price: only admin, staff and storefront "
              "tokens may set it (403 PRICE_NOT_ALLOWED otherwise).\"}");
        }
        props.push_back(absl::StrCat(JsonQuote(f->json_name()), ":", schema));
      }
      out.push_back(absl::StrCat(JsonQuote(d->full_name()),
                                 ":{\"type\":\"object\",\"properties\":{",
                                 absl::StrJoin(props, ","), "}}"));
    }
    return absl::StrJoin(out, ",");
  }

 private:
  std::vector<const Descriptor*> pending_;
  std::set<std::string> done_;
};

// Query parameters of a route without a body: scalar and repeated scalar
// fields, one level into sub-messages ("filter.statuses"), minus path ones.
void QueryParams(const Descriptor* d, const std::string& prefix, int depth,
                 const std::set<std::string>& skip, SchemaWriter& w,
                 std::vector<std::string>& out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string name = prefix + f->name();
    if (skip.count(name)) continue;
    if (f->message_type() != nullptr &&
        f->message_type()->full_name() != "google.protobuf.Timestamp") {
      if (depth < 1 && !f->is_repeated())
        QueryParams(f->message_type(), name + ".", depth + 1, skip, w, out);
      continue;
    }
    std::string schema = w.ValueSchema(f);
    if (f->is_repeated()) schema = absl::StrCat("{\"type\":\"array\",\"items\":", schema, "}");
    out.push_back(absl::StrCat("{\"name\":", JsonQuote(name), ",\"in\":\"query\",\"schema\":",
                               schema, f->is_repeated() ? ",\"explode\":true" : "", "}"));
  }
}

}  // namespace

std::string OpenApiDocument(const RouteTable& table, absl::string_view title,
                            absl::string_view version) {
  SchemaWriter w;
  std::map<std::string, std::vector<std::string>> paths;  // OpenAPI path -> operations
  for (const Route& route : table.routes()) {
    const Descriptor* in = route.method->input_type();
    std::vector<std::string> params;
    std::set<std::string> bound;
    // OpenAPI paths cannot hold ':'-verbs inside a variable segment; ours
    // stay literal after the last variable, which OpenAPI accepts.
    for (const std::string& var : route.path.Variables()) {
      bound.insert(var);
      params.push_back(absl::StrCat("{\"name\":", JsonQuote(var),
                                    ",\"in\":\"path\",\"required\":true,\"schema\":",
                                    w.ValueSchema(FindFieldByPath(in, var)), "}"));
    }
    if (route.http.body().empty()) QueryParams(in, "", 0, bound, w, params);
    std::string op =
        absl::StrCat("{\"operationId\":", JsonQuote(route.method->full_name()), ",\"tags\":[",
                     JsonQuote(route.method->service()->name()), "]", ",\"x-roles\":[");
    std::vector<std::string> roles;
    bool is_public = false;
    for (const std::string& r : route.http.roles()) {
      roles.push_back(JsonQuote(r));
      is_public |= r == "public";
    }
    absl::StrAppend(&op, absl::StrJoin(roles, ","), "]");
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
    if (!route.http.stream_content_type().empty()) {
      ok = absl::StrCat("{\"description\":\"streamed document\",\"content\":{",
                        JsonQuote(route.http.stream_content_type()),
                        ":{\"schema\":{\"type\":\"string\",\"format\":\"binary\"}}}}");
    } else {
      ok = absl::StrCat("{\"description\":\"OK\",\"content\":{\"application/json\":{\"schema\":",
                        w.MessageSchema(route.method->output_type()), "}}}");
    }
    const std::string first = route.redirect != nullptr ? "302" : "200";
    if (route.redirect != nullptr) {
      ok = "{\"description\":\"redirect to the URL in the Location header\"}";
    }
    absl::StrAppend(&op, ",\"responses\":{\"", first, "\":", ok,
                    ",\"default\":{\"description\":\"error\",\"content\":{\"application/json\":",
                    "{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}}");
    if (is_public) absl::StrAppend(&op, ",\"security\":[]");
    op += "}";
    paths[route.path.text()].push_back(
        absl::StrCat(JsonQuote(absl::AsciiStrToLower(route.http.method())), ":", op));
  }
  std::vector<std::string> path_items;
  for (const auto& [path, ops] : paths) {
    path_items.push_back(absl::StrCat(JsonQuote(path), ":{", absl::StrJoin(ops, ","), "}"));
  }
  const std::string components = w.Components();
  return absl::StrCat(
      "{\"openapi\":\"3.0.3\",\"info\":{\"title\":", JsonQuote(title),
      ",\"version\":", JsonQuote(version), "},", "\"security\":[{\"bearer\":[]}],", "\"paths\":{",
      absl::StrJoin(path_items, ","), "},",
      "\"components\":{\"securitySchemes\":{\"bearer\":{\"type\":\"http\",\"scheme\":\"bearer\","
      "\"bearerFormat\":\"JWT\"}},\"schemas\":{",
      "\"Error\":{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\"},",
      "\"message\":{\"type\":\"string\"},\"reason\":{\"type\":\"string\"},",
      "\"field\":{\"type\":\"string\"}}}", components.empty() ? "" : ",", components, "}}}");
}

}  // namespace store::gateway
