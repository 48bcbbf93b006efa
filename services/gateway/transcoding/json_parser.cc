#include "services/gateway/transcoding/json_parser.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "google/protobuf/descriptor.h"
#include "libs/core/utf8.h"

namespace store::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int kMaxDepth = 32;

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// The field `key` names: its JSON name (lowerCamelCase unless the proto
// says otherwise) or its proto name, as protobuf's parser accepts.
const FieldDescriptor* FieldNamed(const Descriptor* d, const std::string& key) {
  const FieldDescriptor* f = d->FindFieldByCamelcaseName(key);
  if (f != nullptr && f->json_name() == key) return f;
  f = d->FindFieldByName(key);
  if (f != nullptr) return f;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == key) return d->field(i);
  }
  return nullptr;
}

class Parser {
 public:
  explicit Parser(absl::string_view s) : s_(s) {}

  bool Top(Message* m) {
    SkipSpace();
    if (!Object(m, 0)) return false;
    SkipSpace();
    return pos_ == s_.size();
  }

 private:
  bool Object(Message* m, int depth) {
    const Descriptor* d = m->GetDescriptor();
    if (depth > kMaxDepth || d->file()->package() == "google.protobuf") return false;
    if (!Take('{')) return false;
    const Reflection* r = m->GetReflection();
    std::vector<const FieldDescriptor*> seen;
    std::vector<const google::protobuf::OneofDescriptor*> oneofs;
    SkipSpace();
    if (Take('}')) return true;
    std::string key;
    for (;;) {
      SkipSpace();
      if (!String(&key)) return false;
      SkipSpace();
      if (!Take(':')) return false;
      SkipSpace();
      const FieldDescriptor* f = FieldNamed(d, key);
      if (f == nullptr || f->is_map()) return false;
      for (const FieldDescriptor* s : seen) {
        if (s == f) return false;  // the same field twice
      }
      seen.push_back(f);
      if (const auto* oneof = f->real_containing_oneof()) {
        for (const auto* o : oneofs) {
          if (o == oneof) return false;  // two members of one oneof
        }
        oneofs.push_back(oneof);
      }
      if (f->is_repeated()) {
        if (!Take('[')) return false;
        SkipSpace();
        if (!Take(']')) {
          for (;;) {
            SkipSpace();
            if (!Value(m, r, f, /*add=*/true, depth)) return false;
            SkipSpace();
            if (Take(']')) break;
            if (!Take(',')) return false;
          }
        }
      } else if (!Value(m, r, f, /*add=*/false, depth)) {
        return false;
      }
      SkipSpace();
      if (Take('}')) return true;
      if (!Take(',')) return false;
    }
  }

  bool Value(Message* m, const Reflection* r, const FieldDescriptor* f, bool add, int depth) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int64_t v;
        if (!Integer(&v, nullptr) || v < std::numeric_limits<int32_t>::min() ||
            v > std::numeric_limits<int32_t>::max()) {
          return false;
        }
        add ? r->AddInt32(m, f, static_cast<int32_t>(v))
            : r->SetInt32(m, f, static_cast<int32_t>(v));
        return true;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v;
        if (!Integer(&v, nullptr)) return false;
        add ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
        return true;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint64_t v;
        if (!Integer(nullptr, &v) || v > std::numeric_limits<uint32_t>::max()) return false;
        add ? r->AddUInt32(m, f, static_cast<uint32_t>(v))
            : r->SetUInt32(m, f, static_cast<uint32_t>(v));
        return true;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t v;
        if (!Integer(nullptr, &v)) return false;
        add ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
        return true;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool v;
        if (s_.substr(pos_, 4) == "true") {
          v = true;
          pos_ += 4;
        } else if (s_.substr(pos_, 5) == "false") {
          v = false;
          pos_ += 5;
        } else {
          return false;
        }
        if (!AtDelimiter()) return false;
        add ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
        return true;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        std::string name;
        if (!String(&name)) return false;  // enum numbers: protobuf's
        const EnumValueDescriptor* v = f->enum_type()->FindValueByName(name);
        if (v == nullptr) return false;
        add ? r->AddEnumValue(m, f, v->number()) : r->SetEnumValue(m, f, v->number());
        return true;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        if (f->type() == FieldDescriptor::TYPE_BYTES) return false;  // base64: protobuf's
        std::string v;
        if (!String(&v)) return false;
        add ? r->AddString(m, f, std::move(v)) : r->SetString(m, f, std::move(v));
        return true;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Object(add ? r->AddMessage(m, f) : r->MutableMessage(m, f), depth + 1);
      default:
        return false;  // float, double: protobuf's
    }
  }

  // A JSON integer, bare or in quotes (proto3 JSON allows both): optional
  // '-', then 0 or a digit 1-9 and more digits. Exactly one of `i`, `u` is
  // given; negative values fail for `u`, and so does "-0" everywhere.
  bool Integer(int64_t* i, uint64_t* u) {
    const bool quoted = Take('"');
    const size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    const size_t digits = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    const size_t n = pos_ - digits;
    if (n == 0 || n > 20 || (n > 1 && s_[digits] == '0')) return false;
    const absl::string_view text = s_.substr(start, pos_ - start);
    if (text == "-0") return false;
    if (quoted ? !Take('"') : !AtDelimiter()) return false;
    if (i != nullptr) return absl::SimpleAtoi(text, i);
    return text[0] != '-' && absl::SimpleAtoi(text, u);
  }

  // A JSON string in valid UTF-8, escapes decoded (a lone surrogate fails).
  bool String(std::string* out) {
    out->clear();
    if (!Take('"')) return false;
    size_t run = pos_;
    for (;;) {
      if (pos_ >= s_.size()) return false;
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        out->append(s_.data() + run, pos_ - run);
        ++pos_;
        return IsValidUtf8(*out);
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        ++pos_;
        continue;
      }
      out->append(s_.data() + run, pos_ - run);
      if (++pos_ >= s_.size()) return false;
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low;
            if (!Take('\\') || !Take('u') || !Hex4(&low) || low < 0xdc00 || low > 0xdfff) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return false;
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
      run = pos_;
    }
  }

  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > s_.size()) return false;
    *out = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[pos_++];
      int v;
      if (c >= '0' && c <= '9') {
        v = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v = c - 'A' + 10;
      } else {
        return false;
      }
      *out = *out * 16 + static_cast<uint32_t>(v);
    }
    return true;
  }

  // After a bare number or literal: the end, white space, ',', ']' or '}'.
  bool AtDelimiter() const {
    if (pos_ >= s_.size()) return true;
    const char c = s_[pos_];
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ']' || c == '}';
  }

  bool Take(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  absl::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

bool ParsePlainJson(absl::string_view json, Message* out) {
  out->Clear();
  return Parser(json).Top(out);
}

}  // namespace store::gateway
