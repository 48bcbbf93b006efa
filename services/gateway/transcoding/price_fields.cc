#include "services/gateway/transcoding/price_fields.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "store/api/v1/annotations.pb.h"

namespace store::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kMoneyType[] = "store.common.v1.Money";

void Collect(const Descriptor* type, const std::string& prefix, std::set<const Descriptor*>* open,
             std::vector<PriceLikeField>* out) {
  if (!open->insert(type).second) return;  // recursion: already on this path
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const std::string path =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (LooksLikePrice(*field) || IsPriceField(*field)) {
      out->push_back({path, field, IsPriceField(*field), IsOutputOnly(*field)});
    } else if (field->message_type() != nullptr && !field->is_map()) {
      Collect(field->message_type(), path, open, out);
    }
  }
  open->erase(type);
}

std::optional<std::string> FirstSet(const Message& message, const std::string& prefix) {
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // only fields that are set
  for (const FieldDescriptor* field : fields) {
    const std::string path =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (IsPriceField(*field)) return path;
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_map()) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        std::optional<std::string> found = FirstSet(
            reflection->GetRepeatedMessage(message, field, i), absl::StrCat(path, "[", i, "]"));
        if (found.has_value()) return found;
      }
    } else if (std::optional<std::string> found =
                   FirstSet(reflection->GetMessage(message, field), path);
               found.has_value()) {
      return found;
    }
  }
  return std::nullopt;
}

}  // namespace

bool IsPriceField(const FieldDescriptor& field) {
  return field.options().GetExtension(api::v1::price);
}

bool IsOutputOnly(const FieldDescriptor& field) {
  return field.options().GetExtension(api::v1::output_only);
}

bool LooksLikePrice(const FieldDescriptor& field) {
  if (field.message_type() != nullptr) return field.message_type()->full_name() == kMoneyType;
  const bool integer = field.cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                       field.cpp_type() == FieldDescriptor::CPPTYPE_INT64 ||
                       field.cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
                       field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
  return integer && absl::EndsWith(field.name(), "_bp");
}

std::vector<PriceLikeField> PriceLikeFields(const Descriptor* type) {
  std::vector<PriceLikeField> out;
  std::set<const Descriptor*> open;
  Collect(type, "", &open, &out);
  return out;
}

bool HoldsPriceFields(const Descriptor* type) {
  for (const PriceLikeField& f : PriceLikeFields(type)) {
    if (f.marked) return true;
  }
  return false;
}

std::optional<std::string> SetPriceField(const Message& message) { return FirstSet(message, ""); }

}  // namespace store::gateway
