#include "services/gateway/transcoding/transcoder.h"

#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "services/gateway/transcoding/json_parser.h"
#include "services/gateway/transcoding/json_printer.h"

namespace store::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Message types that the JSON mapping writes as one string.
bool IsStringLike(const Descriptor* d) {
  const std::string& n = d->full_name();
  return n == "google.protobuf.Timestamp" || n == "google.protobuf.Duration" ||
         n == "google.protobuf.FieldMask";
}

// A JSON object being built from "a.b.c=value" pairs.
struct Node {
  std::map<std::string, Node> children;
  std::vector<std::string> values;  // JSON literals
  bool repeated = false;

  std::string Json() const {
    if (children.empty()) {
      if (repeated) return absl::StrCat("[", absl::StrJoin(values, ","), "]");
      return values.empty() ? "null" : values.front();
    }
    std::string out = "{";
    bool first = true;
    for (const auto& [name, child] : children) {
      absl::StrAppend(&out, first ? "" : ",", log::JsonQuote(name), ":", child.Json());
      first = false;
    }
    return out + "}";
  }
};

// The field at dotted `path`, each part either the proto field name or its
// lowerCamelCase JSON name (`filter.order_id` or `filter.orderId`, as Envoy's
// and grpc-gateway's transcoders accept); `canonical` gets the path in proto
// names.
const FieldDescriptor* FindQueryField(const Descriptor* type, absl::string_view path,
                                      std::string* canonical) {
  const FieldDescriptor* field = nullptr;
  canonical->clear();
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (type == nullptr) return nullptr;
    field = type->FindFieldByName(std::string(part));
    for (int i = 0; field == nullptr && i < type->field_count(); ++i) {
      if (type->field(i)->json_name() == part) field = type->field(i);
    }
    if (field == nullptr) return nullptr;
    absl::StrAppend(canonical, canonical->empty() ? "" : ".", field->name());
    type = field->message_type();
  }
  return field;
}

absl::Status Add(Node& root, const Descriptor* type, const std::string& path,
                 const std::string& value, bool from_path) {
  std::string canonical;
  const FieldDescriptor* field = FindQueryField(type, path, &canonical);
  if (field == nullptr) {
    return InvalidField(path, absl::StrCat("is not a field of ", type->full_name()));
  }
  if (field->message_type() != nullptr && !IsStringLike(field->message_type())) {
    return InvalidField(path, "is a message: set its fields (e.g. " + path + ".name=...)");
  }
  std::string literal;
  if (field->type() == FieldDescriptor::TYPE_BOOL) {
    if (value != "true" && value != "false") return InvalidField(path, "must be true or false");
    literal = value;
  } else {
    literal = log::JsonQuote(value);  // numbers are accepted as strings too
  }
  Node* node = &root;
  for (absl::string_view part : absl::StrSplit(canonical, '.'))
    node = &node->children[std::string(part)];
  if (field->is_repeated()) {
    node->repeated = true;
  } else if (!node->values.empty() && !from_path) {
    return InvalidField(path, "is given more than once");
  } else {
    node->values.clear();
  }
  node->values.push_back(std::move(literal));
  return absl::OkStatus();
}

// What a field takes, in the words of the API reference.
std::string Takes(const FieldDescriptor& field) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_ENUM: {
      std::vector<std::string> names;
      for (int i = 0; i < field.enum_type()->value_count(); ++i) {
        const std::string& name = field.enum_type()->value(i)->name();
        if (!absl::EndsWith(name, "_UNSPECIFIED")) names.push_back(name);
      }
      return absl::StrCat("must be one of ", absl::StrJoin(names, ", "));
    }
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
      return "must be a whole number from -2147483648 to 2147483647";
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      return "must be a whole number from 0 to 4294967295";
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      return "must be a whole number (a JSON number or a string of digits, e.g. \"1999\")";
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FLOAT:
      return "must be a number";
    case FieldDescriptor::TYPE_BOOL:
      return "must be true or false";
    case FieldDescriptor::TYPE_STRING:
      return "must be a string";
    case FieldDescriptor::TYPE_BYTES:
      return "must be a base64 string";
    default:
      break;
  }
  const std::string& type = field.message_type()->full_name();
  if (type == "google.protobuf.Timestamp") {
    return "must be an RFC 3339 time in UTC, e.g. \"2026-01-31T09:30:00Z\"";
  }
  if (type == "google.protobuf.Duration") return "must be a duration in seconds, e.g. \"90s\"";
  if (type == "google.protobuf.FieldMask") {
    return "must be field names separated by commas, e.g. \"name,email\"";
  }
  return field.is_repeated() ? "must be an array of objects" : "must be an object";
}

// `path` ("items[0].quantity") without its list indexes.
std::string WithoutIndexes(absl::string_view path) {
  std::string bare;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    absl::StrAppend(&bare, bare.empty() ? "" : ".", part.substr(0, part.find('[')));
  }
  return bare;
}

// INVALID_ARGUMENT from protobuf's JSON parser's message, reworded: the
// field's path from the request (`where` is the field the JSON was parsed
// into: "body" and "query" stand for the request itself) and what it takes.
//   (items[0].quantity): invalid value "x" for type TYPE_INT32
//   kind: Cannot find field.            (an unknown key at the top)
//   (items[0]) colour: Cannot find field.
absl::Status ParseError(const Descriptor* type, absl::string_view where,
                        absl::string_view message) {
  const bool at_root = where == "body" || where == "query";
  auto path_of = [&](absl::string_view inner) {
    return at_root ? std::string(inner) : absl::StrCat(where, ".", inner);
  };
  absl::string_view rest = message;
  std::string inner;  // the path in parentheses, if any
  if (absl::ConsumePrefix(&rest, "(")) {
    const size_t close = rest.find(')');
    if (close == absl::string_view::npos || close == 0) {
      return InvalidField(std::string(where), absl::StrCat("is not valid JSON: ", message));
    }
    inner = std::string(rest.substr(0, close));
    rest = absl::StripLeadingAsciiWhitespace(absl::StripPrefix(rest.substr(close + 1), ":"));
  }
  std::string canonical;
  if (absl::ConsumeSuffix(&rest, ": Cannot find field.")) {
    const Descriptor* parent = type;
    if (!inner.empty()) {
      const FieldDescriptor* f = FindQueryField(type, WithoutIndexes(inner), &canonical);
      parent = f != nullptr ? f->message_type() : nullptr;
    }
    const std::string key = inner.empty() ? std::string(rest) : absl::StrCat(inner, ".", rest);
    return InvalidField(
        path_of(key),
        absl::StrCat("is not a field of ", parent != nullptr ? parent->full_name() : "this object",
                     " (names are lowerCamelCase or snake_case)"));
  }
  if (!inner.empty()) {
    const FieldDescriptor* field = FindQueryField(type, WithoutIndexes(inner), &canonical);
    if (field == nullptr) return InvalidField(path_of(inner), absl::StrCat("is not valid: ", rest));
    std::string got;
    // Scalars and enums echo the value; Timestamp's parser words its own.
    if (field->message_type() == nullptr && absl::ConsumePrefix(&rest, "invalid value ")) {
      const size_t for_type = rest.rfind(" for type ");
      got = absl::StrCat(" (got ", rest.substr(0, for_type), ")");
    }
    return InvalidField(path_of(inner), absl::StrCat(Takes(*field), got));
  }
  const std::string first_line(rest.substr(0, rest.find('\n')));
  return InvalidField(std::string(where), absl::StrCat("is not valid JSON: ", first_line));
}

absl::Status ParseJson(absl::string_view json, Message* out, absl::string_view where) {
  if (ParsePlainJson(json, out)) return absl::OkStatus();
  out->Clear();  // protobuf's parser decides; its error is reworded
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(std::string(json), out, options);
  if (!status.ok()) return ParseError(out->GetDescriptor(), where, std::string(status.message()));
  return absl::OkStatus();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view text, absl::string_view where) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) {
        return InvalidField(where, "has an incomplete %-escape");
      }
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return InvalidField(where, "has an invalid %-escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

absl::Status ParseQuery(absl::string_view query, QueryParams* out) {
  if (query.empty()) return absl::OkStatus();
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    STORE_ASSIGN_OR_RETURN(std::string name, PercentDecode(kv.first, "query"));
    STORE_ASSIGN_OR_RETURN(std::string value, PercentDecode(kv.second, name));
    if (name.empty()) return InvalidField("query", "has a parameter without a name");
    out->emplace_back(std::move(name), std::move(value));
  }
  return absl::OkStatus();
}

absl::Status BuildRequest(const Route& route, const Bindings& bindings, const QueryParams& query,
                          absl::string_view body, Message* request) {
  const Descriptor* type = request->GetDescriptor();
  const std::string& body_field = route.http.body();
  const bool has_body = !absl::StripAsciiWhitespace(body).empty();
  if (body_field.empty() && has_body) return InvalidField("body", "this route takes no body");
  if (body_field == "*" && !query.empty()) {
    return InvalidField(query.front().first,
                        "this route takes its fields from the JSON body, not the query string");
  }
  if (has_body) {
    if (body_field == "*") {
      STORE_RETURN_IF_ERROR(ParseJson(body, request, "body"));
    } else {
      const FieldDescriptor* f = type->FindFieldByName(body_field);
      STORE_RETURN_IF_ERROR(
          ParseJson(body, request->GetReflection()->MutableMessage(request, f), body_field));
    }
  }
  Node root;
  for (const auto& [name, value] : query) {
    STORE_RETURN_IF_ERROR(Add(root, type, name, value, /*from_path=*/false));
  }
  for (const auto& [name, value] : bindings) {
    STORE_RETURN_IF_ERROR(Add(root, type, name, value, /*from_path=*/true));
  }
  if (!root.children.empty()) {
    std::unique_ptr<Message> extra(request->New());
    STORE_RETURN_IF_ERROR(ParseJson(root.Json(), extra.get(), "query"));
    request->MergeFrom(*extra);  // path values win over the body's
  }
  return absl::OkStatus();
}

std::string ResponseJson(const Message& response) {
  // Every field is printed, holding its default or not: a list the frontend
  // iterates is `[]` rather than missing, a count `0`, a flag `false` (what
  // typed clients and JavaScript code expect; grpc-gateway's EmitUnpopulated).
  // Unset messages and unset members of a oneof stay out. json_printer.h
  // says why this is not protobuf's MessageToJsonString.
  std::string out;
  out.reserve(512);
  AppendMessageJson(response, &out);
  return out;
}

}  // namespace store::gateway
