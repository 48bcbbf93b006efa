#include "services/gateway/transcoding/api_comments.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.pb.h"
#include "libs/core/log.h"

namespace store::gateway {

// Defined in the generated <build>/proto/gen/store/api_descriptor_set.cc.
extern const unsigned char kApiDescriptorSet[];
extern const std::size_t kApiDescriptorSetSize;

namespace {

using google::protobuf::SourceLocation;

std::string Clean(const SourceLocation& loc) {
  const std::string& raw =
      loc.leading_comments.empty() ? loc.trailing_comments : loc.leading_comments;
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(raw, '\n')) {
    lines.emplace_back(absl::StripAsciiWhitespace(line));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  while (!lines.empty() && lines.front().empty()) lines.erase(lines.begin());
  return absl::StrJoin(lines, "\n");
}

template <typename D>
std::string CommentOf(const D* d) {
  SourceLocation loc;
  if (d == nullptr || !d->GetSourceLocation(&loc)) return "";
  return Clean(loc);
}

}  // namespace

ApiComments::ApiComments(absl::string_view descriptor_set)
    : pool_(std::make_unique<google::protobuf::DescriptorPool>()) {
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromArray(descriptor_set.data(), static_cast<int>(descriptor_set.size()))) {
    log::Warning("api comments: the embedded descriptor set does not parse; no comments");
    return;
  }
  // Imports come before the files that use them (protoc --include_imports).
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    if (pool_->BuildFile(file) == nullptr) {
      log::Warning("api comments: cannot build " + file.name());
    }
  }
}

ApiComments::~ApiComments() = default;

const ApiComments& ApiComments::Get() {
  static const ApiComments* comments = new ApiComments(
      absl::string_view(reinterpret_cast<const char*>(kApiDescriptorSet), kApiDescriptorSetSize));
  return *comments;
}

std::string ApiComments::Of(const google::protobuf::Descriptor* d) const {
  return CommentOf(pool_->FindMessageTypeByName(d->full_name()));
}
std::string ApiComments::Of(const google::protobuf::FieldDescriptor* f) const {
  const google::protobuf::Descriptor* m =
      pool_->FindMessageTypeByName(f->containing_type()->full_name());
  return CommentOf(m == nullptr ? nullptr : m->FindFieldByName(f->name()));
}
std::string ApiComments::Of(const google::protobuf::EnumDescriptor* e) const {
  return CommentOf(pool_->FindEnumTypeByName(e->full_name()));
}
std::string ApiComments::Of(const google::protobuf::EnumValueDescriptor* v) const {
  return CommentOf(pool_->FindEnumValueByName(v->full_name()));
}
std::string ApiComments::Of(const google::protobuf::MethodDescriptor* m) const {
  return CommentOf(pool_->FindMethodByName(m->full_name()));
}

std::string ApiComments::Of(const google::protobuf::ServiceDescriptor* s) const {
  return CommentOf(pool_->FindServiceByName(s->full_name()));
}

}  // namespace store::gateway
