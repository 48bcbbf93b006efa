// The API's own words: the comments written in the .proto files, read from a
// descriptor set with source info that the build embeds in the binary
// (proto/CMakeLists.txt, store_api_descriptor_set). The compiled-in
// descriptors carry no comments; the OpenAPI document takes its summaries and
// descriptions from here.
#ifndef STORE_SERVICES_GATEWAY_TRANSCODING_API_COMMENTS_H_
#define STORE_SERVICES_GATEWAY_TRANSCODING_API_COMMENTS_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace store::gateway {

class ApiComments {
 public:
  // Built once, on first use, from the embedded descriptor set.
  static const ApiComments& Get();

  // The leading comment of an element (its trailing one when it has none),
  // "" when it has neither: one line per paragraph-line as written, comment
  // markers and the common indent removed, paragraphs kept apart by a blank
  // line.
  std::string Of(const google::protobuf::Descriptor* d) const;
  std::string Of(const google::protobuf::FieldDescriptor* f) const;
  std::string Of(const google::protobuf::EnumDescriptor* e) const;
  std::string Of(const google::protobuf::EnumValueDescriptor* v) const;
  std::string Of(const google::protobuf::MethodDescriptor* m) const;
  std::string Of(const google::protobuf::ServiceDescriptor* s) const;

  // Exposed for tests: comments from a serialized FileDescriptorSet.
  explicit ApiComments(absl::string_view descriptor_set);
  ~ApiComments();

 private:
  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
};

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_TRANSCODING_API_COMMENTS_H_
