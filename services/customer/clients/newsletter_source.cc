#include "services/customer/clients/newsletter_source.h"

#include "google/protobuf/util/json_util.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "store/newsletter/v1/newsletter_service.grpc.pb.h"

namespace store::customer {

DataSource NewsletterDataSource(const std::string& addr) {
  if (addr.empty()) {
    return DataSource{.name = "newsletter",
                      .fetch = [](const v1::Customer&) -> absl::StatusOr<std::string> {
                        return absl::UnavailableError("NEWSLETTER_SERVICE_ADDR is not set");
                      }};
  }
  std::shared_ptr<newsletter::v1::NewsletterService::Stub> stub =
      newsletter::v1::NewsletterService::NewStub(grpcx::MakeChannel(addr));
  return DataSource{.name = "newsletter",
                    .fetch = [stub](const v1::Customer& c) -> absl::StatusOr<std::string> {
                      newsletter::v1::ExportSubscriberDataRequest req;
                      req.set_email(c.email());
                      req.set_customer_id(c.id());
                      auto ctx = grpcx::OutboundContext(absl::Seconds(10));
                      newsletter::v1::SubscriberData data;
                      grpc::Status s = stub->ExportSubscriberData(ctx.get(), req, &data);
                      if (!s.ok()) return grpcx::FromGrpcStatus(s);
                      google::protobuf::util::JsonPrintOptions o;
                      o.preserve_proto_field_names = true;
                      std::string json;
                      (void)google::protobuf::util::MessageToJsonString(data, &json, o);
                      return json;
                    }};
}

}  // namespace store::customer
