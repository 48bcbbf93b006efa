// Price authority (ORD-18, SEC-10): request fields marked
// `[(store.api.v1.price) = true]` (unit prices, discounts, fees, tax rates)
// may be set only by trusted callers. The gateway checks every request from
// any other caller with SetPriceField(), and RouteTable::Build() refuses a
// route open to customers or the public whose request holds a money or
// basis-point field marked neither a price nor output only (so a new field
// cannot slip through unmarked).
#ifndef STORE_SERVICES_GATEWAY_TRANSCODING_PRICE_FIELDS_H_
#define STORE_SERVICES_GATEWAY_TRANSCODING_PRICE_FIELDS_H_

#include <optional>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace store::gateway {

// True for a field marked `(store.api.v1.price)`.
bool IsPriceField(const google::protobuf::FieldDescriptor& field);

// True for a field marked `(store.api.v1.output_only)`: the service ignores
// it in requests.
bool IsOutputOnly(const google::protobuf::FieldDescriptor& field);

// True for a field that looks like a price: of type store.common.v1.Money,
// or an integer whose name ends in `_bp` (basis points: rates, percentages).
bool LooksLikePrice(const google::protobuf::FieldDescriptor& field);

// Every field of `type` and of the messages it holds (to any depth) that
// looks like a price, as dotted paths ("items.unit_price"), with whether it
// is marked a price (`marked`) and whether it is output only (ignored in
// requests). Recursive types are visited once per path.
struct PriceLikeField {
  std::string path;
  const google::protobuf::FieldDescriptor* field = nullptr;
  bool marked = false;
  bool output_only = false;
};
std::vector<PriceLikeField> PriceLikeFields(const google::protobuf::Descriptor* type);

// True when `type` holds a marked field at any depth.
bool HoldsPriceFields(const google::protobuf::Descriptor* type);

// The path of the first marked field that is set in `message`
// ("items[1].unit_price", "delivery_method.fee"), or nothing.
std::optional<std::string> SetPriceField(const google::protobuf::Message& message);

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_TRANSCODING_PRICE_FIELDS_H_
