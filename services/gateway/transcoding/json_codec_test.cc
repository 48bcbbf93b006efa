// The gateway's JSON printer and parser against protobuf's: for the request
// and response type of every route, messages filled at random (fields set
// or left unset, oneofs, optional fields, maps, repeated fields, enums known
// and unknown, strings that need escaping, well-known types) print as the
// same JSON value as protobuf's MessageToJsonString (with
// always_print_primitive_fields), and whatever the fast parser accepts,
// protobuf's JsonStringToMessage parses to the same message.
#include <random>
#include <set>
#include <string>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/gateway/transcoding/json_parser.h"
#include "services/gateway/transcoding/json_printer.h"
#include "services/gateway/transcoding/services.h"
#include "services/gateway/transcoding/transcoder.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

const std::string kStrings[] = {"",
                                "plain",
                                "Иван Петров",
                                "quote \" backslash \\ slash /",
                                "<script>alert('x')</script> & co",
                                "line\nbreak\ttab\rreturn\b\f",
                                std::string("nul\0byte", 8),
                                "\x01\x1f\x7f control",
                                "line\xe2\x80\xa8separator\xe2\x80\xa9para",
                                "emoji \xf0\x9f\x9b\x92 cart",
                                "2026-12-07T10:00:00Z"};

class Filler {
 public:
  explicit Filler(unsigned seed) : rng_(seed) {}

  void Fill(Message* m, int depth) {
    const Descriptor* d = m->GetDescriptor();
    const Reflection* r = m->GetReflection();
    if (FillWellKnown(m)) return;
    std::set<const google::protobuf::OneofDescriptor*> oneof_done;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (Chance(0.3)) continue;  // left unset: its default is printed, or nothing
      if (const auto* oneof = f->real_containing_oneof()) {
        if (!oneof_done.insert(oneof).second) continue;
      }
      if (f->is_map()) {
        // Distinct keys, as a parsed message has (reflection would allow
        // the same key twice).
        std::set<std::string> keys;
        const int n = Int(0, 2);
        for (int j = 0; j < n; ++j) {
          Message* entry = r->AddMessage(m, f);
          SetOne(entry, entry->GetReflection(), f->message_type()->map_key(), depth);
          SetOne(entry, entry->GetReflection(), f->message_type()->map_value(), depth);
          std::string key;
          entry->GetReflection()->ClearField(entry, f->message_type()->map_value());
          entry->SerializeToString(&key);
          if (!keys.insert(key).second) {
            r->RemoveLast(m, f);
          } else {
            SetOne(entry, entry->GetReflection(), f->message_type()->map_value(), depth);
          }
        }
      } else if (f->is_repeated()) {
        const int n = Int(0, 2);
        for (int j = 0; j < n; ++j) AddOne(m, r, f, depth);
      } else {
        SetOne(m, r, f, depth);
      }
    }
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int64_t Int(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  std::string Str() { return kStrings[Int(0, sizeof(kStrings) / sizeof(kStrings[0]) - 1)]; }
  std::string Bytes() {
    std::string b(static_cast<size_t>(Int(0, 7)), '\0');
    for (char& c : b) c = static_cast<char>(Int(0, 255));
    return b;
  }
  int EnumNumber(const FieldDescriptor* f) {
    if (Chance(0.1)) return static_cast<int>(Int(100, 200));  // unknown to this build
    return f->enum_type()
        ->value(static_cast<int>(Int(0, f->enum_type()->value_count() - 1)))
        ->number();
  }

  bool FillWellKnown(Message* m) {
    const std::string& name = m->GetDescriptor()->full_name();
    const Descriptor* d = m->GetDescriptor();
    const Reflection* r = m->GetReflection();
    if (name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration") {
      static const int32_t kNanos[] = {0, 500000000, 123000000, 123456000, 123456789};
      const int64_t seconds =
          name == "google.protobuf.Timestamp" ? Int(0, 253402300799) : Int(0, 315576000000);
      r->SetInt64(m, d->FindFieldByNumber(1), seconds);
      r->SetInt32(m, d->FindFieldByNumber(2), kNanos[Int(0, 4)]);
      return true;
    }
    if (name == "google.protobuf.FieldMask") {
      static const char* const kPaths[] = {"status", "shipping_address", "items.unit_price",
                                           "note"};
      const int n = static_cast<int>(Int(0, 3));
      for (int i = 0; i < n; ++i) r->AddString(m, d->FindFieldByNumber(1), kPaths[Int(0, 3)]);
      return true;
    }
    return name.rfind("google.protobuf.", 0) == 0;  // Any, Struct...: left empty
  }

  void SetOne(Message* m, const Reflection* r, const FieldDescriptor* f, int depth) {
    One(m, r, f, depth, /*add=*/false);
  }
  void AddOne(Message* m, const Reflection* r, const FieldDescriptor* f, int depth) {
    One(m, r, f, depth, /*add=*/true);
  }

  // A random value for `f`: set, or added to the repeated field.
  void One(Message* m, const Reflection* r, const FieldDescriptor* f, int depth, bool add) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        const auto v = static_cast<int32_t>(Int(INT32_MIN, INT32_MAX));
        add ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        const auto v = static_cast<uint32_t>(Int(0, UINT32_MAX));
        add ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        const int64_t v = Int(INT64_MIN, INT64_MAX);
        add ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        const uint64_t v = static_cast<uint64_t>(Int(0, INT64_MAX)) * 2;
        add ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        const double v = static_cast<double>(Int(-1000000, 1000000)) / 7;
        add ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        const float v = static_cast<float>(Int(-1000, 1000)) / 7;
        add ? r->AddFloat(m, f, v) : r->SetFloat(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        const bool v = Chance(0.5);
        add ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int v = EnumNumber(f);
        add ? r->AddEnumValue(m, f, v) : r->SetEnumValue(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string v = f->type() == FieldDescriptor::TYPE_BYTES ? Bytes() : Str();
        add ? r->AddString(m, f, std::move(v)) : r->SetString(m, f, std::move(v));
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        Message* sub = add ? r->AddMessage(m, f) : r->MutableMessage(m, f);  // set, even if empty
        if (depth < 4) Fill(sub, depth + 1);
        break;
      }
    }
  }

  std::mt19937_64 rng_;
};

std::string ProtobufJson(const Message& m) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out, options).ok());
  return out;
}

// The JSON text as a generic value (object keys unordered).
google::protobuf::Value AsValue(const std::string& json) {
  google::protobuf::Value v;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &v);
  EXPECT_TRUE(status.ok()) << status << "\n" << json;
  return v;
}

std::set<const Descriptor*> RouteMessageTypes() {
  std::set<const Descriptor*> types;
  for (const auto* service : ExposedServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      types.insert(service->method(i)->input_type());
      types.insert(service->method(i)->output_type());
    }
  }
  return types;
}

TEST(JsonPrinterTest, SameJsonValueAsProtobufForEveryRouteMessage) {
  const std::set<const Descriptor*> types = RouteMessageTypes();
  ASSERT_GT(types.size(), 100u);
  int compared = 0;
  for (const Descriptor* type : types) {
    const Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
    for (unsigned seed = 0; seed < 12; ++seed) {
      std::unique_ptr<Message> m(prototype->New());
      if (seed > 0) Filler(seed * 7919 + static_cast<unsigned>(compared)).Fill(m.get(), 0);
      const std::string theirs = ProtobufJson(*m);
      const std::string ours = ResponseJson(*m);
      std::string diff;
      google::protobuf::util::MessageDifferencer d;
      d.ReportDifferencesToString(&diff);
      EXPECT_TRUE(d.Compare(AsValue(theirs), AsValue(ours)))
          << type->full_name() << " seed " << seed << "\nprotobuf: " << theirs
          << "\nours:     " << ours << "\n"
          << diff;
      ++compared;
    }
  }
  std::printf("compared %d messages of %zu types\n", compared, types.size());
}

TEST(JsonPrinterTest, EscapesWhatHtmlAndJavaScriptNeed) {
  order::v1::Order o;
  o.set_customer_note("<b>\"A&B\"</b>\n\xe2\x80\xa8");
  const std::string json = ResponseJson(o);
  EXPECT_NE(json.find(R"("customerNote":"\u003cb\u003e\"A\u0026B\"\u003c/b\u003e\n\u2028")"),
            std::string::npos)
      << json;
}

TEST(JsonPrinterTest, DefaultsAreShownUnsetMessagesAreNot) {
  order::v1::Order o;
  const std::string json = ResponseJson(o);
  EXPECT_NE(json.find(R"("items":[])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("number":"0")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("status":"ORDER_STATUS_UNSPECIFIED")"), std::string::npos) << json;
  EXPECT_EQ(json.find(R"("createTime")"), std::string::npos) << json;
}

// What the fast parser accepts, protobuf parses to the same message.
void ExpectSameAsProtobuf(const Descriptor* type, const std::string& json, int* fast) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  std::unique_ptr<Message> ours(prototype->New());
  std::unique_ptr<Message> theirs(prototype->New());
  if (!ParsePlainJson(json, ours.get())) return;
  ++*fast;
  google::protobuf::util::JsonParseOptions options;
  const auto status = google::protobuf::util::JsonStringToMessage(json, theirs.get(), options);
  ASSERT_TRUE(status.ok()) << type->full_name()
                           << ": the fast parser accepted what protobuf refuses (" << status
                           << "): " << json;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*ours, *theirs))
      << type->full_name() << ": " << json << "\nours:   " << ours->ShortDebugString()
      << "\ntheirs: " << theirs->ShortDebugString();
}

TEST(JsonParserTest, AcceptsOnlyWhatProtobufParsesTheSame) {
  int compared = 0, fast = 0;
  for (const Descriptor* type : RouteMessageTypes()) {
    const Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
    for (unsigned seed = 0; seed < 12; ++seed) {
      std::unique_ptr<Message> m(prototype->New());
      if (seed > 0) Filler(seed * 104729 + static_cast<unsigned>(compared)).Fill(m.get(), 0);
      for (int style = 0; style < 3; ++style) {
        google::protobuf::util::JsonPrintOptions options;
        options.always_print_primitive_fields = style == 0;
        options.preserve_proto_field_names = style == 2;
        std::string json;
        ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*m, &json, options).ok());
        ExpectSameAsProtobuf(type, json, &fast);
        // Cut short or with a byte changed: accepted only if protobuf agrees.
        ExpectSameAsProtobuf(type, json.substr(0, json.size() / 2), &fast);
        std::string changed = json;
        changed[(seed * 31 + style) % changed.size()] = "\"0:,{}[]-e"[seed % 10];
        ExpectSameAsProtobuf(type, changed, &fast);
        ++compared;
      }
    }
  }
  std::printf("%d of %d JSON texts (and their damaged copies) parsed by the fast path\n", fast,
              compared * 3);
  EXPECT_GT(fast, compared / 3) << "the fast path is hardly ever taken";
}

TEST(JsonParserTest, TakesAPlainOrderAndLeavesTheRestToProtobuf) {
  const Descriptor* type = order::v1::PlaceOrderRequest::descriptor();
  order::v1::PlaceOrderRequest r;
  const std::string plain = R"({
    "requestId": "a\u00e9\ud83d\uded2", "currency_code": "EUR",
    "customer": {"email": "ivan@example.com", "name": "Иван \"Ваня\" Петров"},
    "items": [{"sku": "SAMOVAR", "quantity": 2, "unitPrice": {"amountMinor": "4500"}},
              {"sku": "TEA", "quantity": "3", "unitPrice": {"amountMinor": -1}}],
    "paymentMethod": "PAYMENT_METHOD_CARD", "items2": null })";
  EXPECT_FALSE(ParsePlainJson(plain, &r)) << "unknown field items2";
  const std::string ok = plain.substr(0, plain.find(", \"items2\"")) + "}";
  ASSERT_TRUE(ParsePlainJson(ok, &r)) << ok;
  EXPECT_EQ(r.request_id(), "a\xc3\xa9\xf0\x9f\x9b\x92");
  EXPECT_EQ(r.items(1).quantity(), 3);
  EXPECT_EQ(r.items(1).unit_price().amount_minor(), -1);
  EXPECT_EQ(r.payment_method(), order::v1::PAYMENT_METHOD_CARD);
  int fast = 0;
  ExpectSameAsProtobuf(type, ok, &fast);
  EXPECT_EQ(fast, 1);
  for (const char* other : {
           R"({"items": [{"quantity": 1e2}]})",         // exponent
           R"({"items": [{"quantity": 2.0}]})",         // fraction
           R"({"items": [{"quantity": -0}]})",          // minus zero
           R"({"items": [{"quantity": 01}]})",          // leading zero
           R"({"items": [{"quantity": 3000000000}]})",  // beyond int32
           R"({"requestId": "x", "requestId": "y"})",   // the same field twice
           R"({"requestId": "x", "request_id": "y"})",
           R"({"requestId": null})",
           R"({"paymentMethod": 1})",  // enum number
           R"({"paymentMethod": "card"})",
           R"({"requestId": "\ud83d"})",  // lone surrogate
           "{\"requestId\": \"\xff\"}",   // not UTF-8
           "{\"requestId\": \"a\tb\"}",   // raw control character
           R"({"requestId": "x"} {})",
           R"([])",
       }) {
    EXPECT_FALSE(ParsePlainJson(other, &r)) << other;
  }
}

}  // namespace
}  // namespace store::gateway
