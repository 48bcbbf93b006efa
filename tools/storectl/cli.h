// Small command-line plumbing shared by storectl's commands: flags, the
// service addresses (flags, environment, or .dev/env), output, and calls.
#ifndef STORE_TOOLS_STORECTL_CLI_H_
#define STORE_TOOLS_STORECTL_CLI_H_

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/generated_enum_reflection.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "store/common/v1/money.pb.h"

namespace store::cli {

// Parsed command line: positionals and --flags (repeatable; "--k v" or
// "--k=v"; a flag without value is "true").
class Args {
 public:
  Args(std::vector<std::string> positionals, std::multimap<std::string, std::string> flags)
      : positionals_(std::move(positionals)), flags_(std::move(flags)) {}
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv,
                                    const std::vector<std::string>& bool_flags);

  const std::vector<std::string>& positionals() const { return positionals_; }
  std::string Positional(size_t i) const { return i < positionals_.size() ? positionals_[i] : ""; }
  bool Has(const std::string& name) const { return flags_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
  // Flags given but not in `known`: an error listing them.
  absl::Status CheckKnown(const std::vector<std::string>& known) const;

 private:
  std::vector<std::string> positionals_;
  std::multimap<std::string, std::string> flags_;
};

// KEY from the environment, else from `$STORE_DEV_HOME/env` or `.dev/env`
// found from the current directory upwards; "" when nowhere.
std::string Setting(const std::string& key);

// Options every command shares.
struct Global {
  bool json = false;
  std::string actor;  // x-actor sent with every call
};

std::unique_ptr<grpc::ClientContext> Context(const Global& g, int timeout_seconds = 30);

// The contents of --flag's file `path` ("-" is stdin).
absl::StatusOr<std::string> ReadFileFlag(const std::string& flag, const std::string& path);

// One page of a List call, or every page when `all_pages` (--all), into
// `out`: the rows of each page appended (MergeFrom) and the next_page_token
// of the last page fetched. `call(context, request, response)` makes the
// call; each page gets a fresh context.
template <typename Request, typename Response, typename Call>
grpc::Status FetchPages(const Global& g, bool all_pages, Request req, Response* out,
                        const Call& call) {
  do {
    Response page;
    grpc::Status s = call(Context(g).get(), req, &page);
    if (!s.ok()) return s;
    const std::string next = page.next_page_token();
    out->MergeFrom(page);
    out->set_next_page_token(next);
    req.set_page_token(next);
  } while (all_pages && !req.page_token().empty());
  return grpc::Status::OK;
}

// ---- formatting for tables ------------------------------------------------------

// "2026-11-18T11:06:40Z" (seconds, UTC); "-" when unset.
std::string Time(const google::protobuf::Timestamp& t);
// "12.34 USD", in the currency's minor units (libs/core/money.h).
std::string Money(const common::v1::Money& m);
// An enum value's name in lower case without its enum's prefix, as the
// protos name it: ORDER_STATUS_AWAITING_VERIFICATION -> "awaiting_verification";
// "-" for a number the enum does not name.
std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number);
template <typename Enum>
std::string Label(Enum value) {
  return EnumLabel(google::protobuf::GetEnumDescriptor<Enum>(), static_cast<int>(value));
}
// The inverse, case-insensitive, with or without the prefix ("shipped",
// "ORDER_STATUS_SHIPPED"); 0 (the UNSPECIFIED value) when the enum has no such name.
int EnumFromLabel(const google::protobuf::EnumDescriptor* type, absl::string_view label);
template <typename Enum>
Enum FromLabel(absl::string_view label) {
  return static_cast<Enum>(EnumFromLabel(google::protobuf::GetEnumDescriptor<Enum>(), label));
}

// Prints a message as proto3 JSON (one document) to stdout.
void PrintJson(const google::protobuf::Message& message);

// Prints a failed call to stderr (code, message, reason, field); returns the
// process exit code for it.
int Fail(const grpc::Status& status);
int Fail(const absl::Status& status);

// Writes a streamed download (`Chunk` has data and, on the first message,
// file_name) to the file `output`, or to stdout for "" or "-"; returns the
// exit code.
template <typename Chunk, typename Reader>
int Download(Reader& reader, const std::string& output) {
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!output.empty() && output != "-") {
    file.open(output, std::ios::binary);
    if (!file) return Fail(absl::InvalidArgumentError("cannot write " + output));
    out = &file;
  }
  Chunk chunk;
  size_t bytes = 0;
  std::string name;
  while (reader->Read(&chunk)) {
    if (!chunk.file_name().empty()) name = chunk.file_name();
    out->write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    bytes += chunk.data().size();
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return Fail(s);
  if (out != &std::cout) {
    std::fprintf(stderr, "wrote %zu bytes (%s) to %s\n", bytes, name.c_str(), output.c_str());
  }
  return 0;
}

}  // namespace store::cli

#endif  // STORE_TOOLS_STORECTL_CLI_H_
