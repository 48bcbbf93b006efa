#include "services/gateway/transcoding/json_printer.h"

#include <cstdint>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/stubs/strutil.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace store::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A JSON string literal. Besides what JSON requires, <, > and & are escaped
// (a response pasted into HTML can open no tag or entity), and so are
// U+2028 and U+2029 (line ends to older JavaScript).
void AppendString(absl::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out->append("\\\"");
        continue;
      case '\\':
        out->append("\\\\");
        continue;
      case '\b':
        out->append("\\b");
        continue;
      case '\f':
        out->append("\\f");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      case '<':
      case '>':
      case '&':
      case 0x7f:
        break;
      case 0xe2:
        // U+2028 / U+2029: E2 80 A8 / E2 80 A9.
        if (i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
            (static_cast<unsigned char>(s[i + 2]) == 0xa8 ||
             static_cast<unsigned char>(s[i + 2]) == 0xa9)) {
          out->append(static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029");
          i += 2;
          continue;
        }
        out->push_back(static_cast<char>(c));
        continue;
      default:
        if (c >= 0x20) {
          out->push_back(static_cast<char>(c));
          continue;
        }
    }
    out->append("\\u00");
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 0xf]);
  }
  out->push_back('"');
}

void AppendFloating(double value, bool is_float, std::string* out) {
  if (value != value) {
    out->append("\"NaN\"");
  } else if (value == std::numeric_limits<double>::infinity()) {
    out->append("\"Infinity\"");
  } else if (value == -std::numeric_limits<double>::infinity()) {
    out->append("\"-Infinity\"");
  } else {
    out->append(is_float ? google::protobuf::SimpleFtoa(static_cast<float>(value))
                         : google::protobuf::SimpleDtoa(value));
  }
}

void AppendEnum(const FieldDescriptor* field, int number, std::string* out) {
  const EnumValueDescriptor* v = field->enum_type()->FindValueByNumber(number);
  if (v == nullptr) {
    absl::StrAppend(out, number);  // a value this build does not know
  } else {
    AppendString(v->name(), out);
  }
}

void AppendMessage(const Message& message, std::string* out);

// One value of `field` (element `index` when repeated, else -1).
void AppendValue(const Message& m, const Reflection* r, const FieldDescriptor* f, int index,
                 std::string* out) {
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(out, "\"", rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f), "\"");
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, "\"", rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f),
                      "\"");
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendFloating(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f), false, out);
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      AppendFloating(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f), true, out);
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append((rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false");
      return;
    case FieldDescriptor::CPPTYPE_ENUM:
      AppendEnum(f, rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f), out);
      return;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                 : r->GetStringReference(m, f, &scratch);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        out->push_back('"');
        out->append(absl::Base64Escape(s));
        out->push_back('"');
      } else {
        AppendString(s, out);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessage(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), out);
      return;
  }
}

// A map entry's key as a JSON object key (always a string).
void AppendMapKey(const Message& entry, const FieldDescriptor* key, std::string* out) {
  const Reflection* r = entry.GetReflection();
  if (key->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    AppendString(r->GetString(entry, key), out);
  } else if (key->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
    out->append(r->GetBool(entry, key) ? "\"true\"" : "\"false\"");
  } else {
    std::string number;
    AppendValue(entry, r, key, -1, &number);
    if (number.front() != '"')
      absl::StrAppend(out, "\"", number, "\"");
    else
      out->append(number);
  }
}

// Timestamp, Duration, FieldMask and Empty here; the other well-known types
// (Any, Struct, wrappers...) by protobuf. False for every other message.
bool AppendWellKnown(const Message& m, std::string* out) {
  const std::string& name = m.GetDescriptor()->full_name();
  if (name.rfind("google.protobuf.", 0) != 0) return false;
  // Read by reflection: `m` may come from another descriptor pool than the
  // generated Timestamp (a dynamic message), so no CopyFrom.
  using google::protobuf::util::TimeUtil;
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  if (name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration") {
    const int64_t seconds = r->GetInt64(m, d->FindFieldByNumber(1));
    const int32_t nanos = r->GetInt32(m, d->FindFieldByNumber(2));
    if (name == "google.protobuf.Timestamp") {
      google::protobuf::Timestamp t;
      t.set_seconds(seconds);
      t.set_nanos(nanos);
      AppendString(TimeUtil::ToString(t), out);
    } else {
      google::protobuf::Duration t;
      t.set_seconds(seconds);
      t.set_nanos(nanos);
      AppendString(TimeUtil::ToString(t), out);
    }
  } else if (name == "google.protobuf.FieldMask") {
    google::protobuf::FieldMask mask;
    const FieldDescriptor* paths = d->FindFieldByNumber(1);
    for (int i = 0; i < r->FieldSize(m, paths); ++i) {
      mask.add_paths(r->GetRepeatedString(m, paths, i));
    }
    std::string json;
    google::protobuf::util::FieldMaskUtil::ToJsonString(mask, &json);
    AppendString(json, out);
  } else if (name == "google.protobuf.Empty") {
    out->append("{}");
  } else {
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(m, &json, options);
    out->append(json);
  }
  return true;
}

void AppendMessage(const Message& m, std::string* out) {
  if (AppendWellKnown(m, out)) return;
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  out->push_back('{');
  bool first = true;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) {
      // printed even when empty: [] or {}
    } else if (f->has_presence()) {
      // messages, members of a oneof, proto3 `optional`: only when set
      if (!r->HasField(m, f)) continue;
    }
    if (!first) out->push_back(',');
    first = false;
    AppendString(f->json_name(), out);
    out->push_back(':');
    if (f->is_map()) {
      const FieldDescriptor* key = f->message_type()->map_key();
      const FieldDescriptor* value = f->message_type()->map_value();
      out->push_back('{');
      const int n = r->FieldSize(m, f);
      for (int j = 0; j < n; ++j) {
        if (j > 0) out->push_back(',');
        const Message& entry = r->GetRepeatedMessage(m, f, j);
        AppendMapKey(entry, key, out);
        out->push_back(':');
        AppendValue(entry, entry.GetReflection(), value, -1, out);
      }
      out->push_back('}');
    } else if (f->is_repeated()) {
      out->push_back('[');
      const int n = r->FieldSize(m, f);
      for (int j = 0; j < n; ++j) {
        if (j > 0) out->push_back(',');
        AppendValue(m, r, f, j, out);
      }
      out->push_back(']');
    } else {
      AppendValue(m, r, f, -1, out);
    }
  }
  out->push_back('}');
}

}  // namespace

void AppendMessageJson(const Message& message, std::string* out) { AppendMessage(message, out); }

}  // namespace store::gateway
