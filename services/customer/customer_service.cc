#include "services/customer/customer_service.h"

#include "libs/grpcx/server.h"
#include "libs/core/status.h"
#include "libs/grpcx/status.h"
#include "store/customer/v1/customer_service.grpc.pb.h"

namespace store::customer {
namespace {

using grpc::ServerContext;
using grpc::Status;

template <typename T, typename R>
Status Reply(absl::StatusOr<T> result, R* resp) {
  if (!result.ok()) return grpcx::ToGrpcStatus(result.status());
  *resp = std::move(*result);
  return Status::OK;
}

Status Done(const absl::Status& s) { return grpcx::ToGrpcStatus(s); }

Caller CallerOf(const grpcx::CallScope& scope) {
  return Caller{.actor = scope.actor(), .customer_id = scope.customer_id()};
}

Status NotFoundStatus(const std::string& id) { return Done(NotFound("customer", id)); }


#define STORE_SCOPE()                 \
  grpcx::CallScope scope(*ctx);       \
  const Caller caller = CallerOf(scope); \
  (void)caller
#define STORE_OWNER(id)                                       \
  do {                                                        \
    if (scope.IsForeign(id)) return NotFoundStatus(id);        \
  } while (0)
#define STORE_STAFF()                            \
  do {                                           \
    if (scope.is_customer()) return grpcx::StaffOnly(); \
  } while (0)

class Service final : public v1::CustomerService::Service {
 public:
  explicit Service(CustomerApps apps) : a_(apps) {}

  Status CreateCustomer(ServerContext* ctx, const v1::CreateCustomerRequest* req,
                        v1::Customer* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.CreateCustomer(*req, caller), resp);
  }
  Status RegisterCustomer(ServerContext* ctx, const v1::RegisterCustomerRequest* req,
                          v1::Customer* resp) override {
    STORE_SCOPE();
    return Reply(a_.customers.RegisterCustomer(*req, caller), resp);
  }
  Status GetCustomer(ServerContext* ctx, const v1::GetCustomerRequest* req,
                     v1::Customer* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->id());
    return Reply(a_.customers.GetCustomer(req->id()), resp);
  }
  Status UpdateCustomer(ServerContext* ctx, const v1::UpdateCustomerRequest* req,
                        v1::Customer* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer().id());
    return Reply(a_.customers.UpdateCustomer(*req, caller), resp);
  }
  Status DeleteCustomer(ServerContext* ctx, const v1::DeleteCustomerRequest* req,
                        v1::DeleteCustomerResponse*) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Done(a_.customers.DeleteCustomer(req->id(), caller));
  }
  Status BatchDeleteCustomers(ServerContext* ctx, const v1::BatchDeleteCustomersRequest* req,
                              v1::BatchDeleteCustomersResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.BatchDelete(*req, caller), resp);
  }
  Status ListCustomers(ServerContext* ctx, const v1::ListCustomersRequest* req,
                       v1::ListCustomersResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.ListCustomers(*req), resp);
  }
  Status AddAddress(ServerContext* ctx, const v1::AddAddressRequest* req,
                    v1::CustomerAddress* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    return Reply(a_.customers.AddAddress(*req), resp);
  }
  Status UpdateAddress(ServerContext* ctx, const v1::UpdateAddressRequest* req,
                       v1::CustomerAddress* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    return Reply(a_.customers.UpdateAddress(*req), resp);
  }
  Status DeleteAddress(ServerContext* ctx, const v1::DeleteAddressRequest* req,
                       v1::DeleteAddressResponse*) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    return Done(a_.customers.DeleteAddress(*req));
  }
  Status AddCustomerNote(ServerContext* ctx, const v1::AddCustomerNoteRequest* req,
                         v1::CustomerNote* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.AddNote(*req, caller), resp);
  }
  Status ListCustomerNotes(ServerContext* ctx, const v1::ListCustomerNotesRequest* req,
                           v1::ListCustomerNotesResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    auto notes = a_.customers.ListNotes(req->customer_id());
    if (!notes.ok()) return Done(notes.status());
    for (auto& n : *notes) *resp->add_notes() = std::move(n);
    return Status::OK;
  }
  Status AuthenticateCustomer(ServerContext* ctx, const v1::AuthenticateCustomerRequest* req,
                              v1::AuthenticateCustomerResponse* resp) override {
    STORE_SCOPE();
    auto c = a_.customers.Authenticate(*req);
    if (!c.ok()) return Done(c.status());
    *resp->mutable_customer() = std::move(*c);
    return Status::OK;
  }
  Status SetPassword(ServerContext* ctx, const v1::SetPasswordRequest* req,
                     v1::SetPasswordResponse*) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    return Done(a_.customers.SetPassword(*req, caller));
  }
  Status RequestEmailVerification(ServerContext* ctx,
                                  const v1::RequestEmailVerificationRequest* req,
                                  v1::RequestEmailVerificationResponse* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    auto t = a_.customers.RequestEmailVerification(req->customer_id());
    if (!t.ok()) return Done(t.status());
    resp->mutable_expire_time()->set_seconds(absl::ToUnixSeconds(*t));
    return Status::OK;
  }
  Status VerifyEmail(ServerContext* ctx, const v1::VerifyEmailRequest* req,
                     v1::Customer* resp) override {
    STORE_SCOPE();
    return Reply(a_.customers.VerifyEmail(req->token()), resp);
  }
  Status MarkEmailVerified(ServerContext* ctx, const v1::MarkEmailVerifiedRequest* req,
                           v1::Customer* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.MarkEmailVerified(req->customer_id(), caller), resp);
  }
  Status RequestPasswordReset(ServerContext* ctx, const v1::RequestPasswordResetRequest* req,
                              v1::RequestPasswordResetResponse*) override {
    STORE_SCOPE();
    return Done(a_.customers.RequestPasswordReset(req->email()));
  }
  Status ResetPassword(ServerContext* ctx, const v1::ResetPasswordRequest* req,
                       v1::ResetPasswordResponse*) override {
    STORE_SCOPE();
    return Done(a_.customers.ResetPassword(*req));
  }
  Status ApproveCustomer(ServerContext* ctx, const v1::ApproveCustomerRequest* req,
                         v1::Customer* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.Approve(req->customer_id(), caller), resp);
  }
  Status GetSettings(ServerContext* ctx, const v1::GetSettingsRequest*,
                     v1::CustomerSettings* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.GetSettings(), resp);
  }
  Status UpdateSettings(ServerContext* ctx, const v1::UpdateSettingsRequest* req,
                        v1::CustomerSettings* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.UpdateSettings(req->settings()), resp);
  }
  Status SetConsent(ServerContext* ctx, const v1::SetConsentRequest* req,
                    v1::ConsentRecord* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    return Reply(a_.customers.SetConsent(*req, caller), resp);
  }
  Status ListConsents(ServerContext* ctx, const v1::ListConsentsRequest* req,
                      v1::ListConsentsResponse* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    auto records = a_.customers.ListConsents(req->customer_id());
    if (!records.ok()) return Done(records.status());
    for (auto& r : *records) *resp->add_records() = std::move(r);
    return Status::OK;
  }
  Status CreateGroup(ServerContext* ctx, const v1::CreateGroupRequest* req,
                     v1::CustomerGroup* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.CreateGroup(*req), resp);
  }
  Status UpdateGroup(ServerContext* ctx, const v1::UpdateGroupRequest* req,
                     v1::CustomerGroup* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.UpdateGroup(req->group()), resp);
  }
  Status DeleteGroup(ServerContext* ctx, const v1::DeleteGroupRequest* req,
                     v1::DeleteGroupResponse*) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Done(a_.customers.DeleteGroup(req->id()));
  }
  Status ListGroups(ServerContext* ctx, const v1::ListGroupsRequest*,
                    v1::ListGroupsResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    auto groups = a_.customers.ListGroups();
    if (!groups.ok()) return Done(groups.status());
    for (auto& g : *groups) *resp->add_groups() = std::move(g);
    return Status::OK;
  }
  Status AssignGroup(ServerContext* ctx, const v1::AssignGroupRequest* req,
                     v1::AssignGroupResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.AssignGroup(*req), resp);
  }
  Status DefineCustomField(ServerContext* ctx, const v1::DefineCustomFieldRequest* req,
                           v1::CustomField* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.DefineCustomField(req->field()), resp);
  }
  Status ListCustomFields(ServerContext* ctx, const v1::ListCustomFieldsRequest*,
                          v1::ListCustomFieldsResponse* resp) override {
    STORE_SCOPE();
    auto fields = a_.customers.ListCustomFields();
    if (!fields.ok()) return Done(fields.status());
    for (auto& f : *fields) *resp->add_fields() = std::move(f);
    return Status::OK;
  }
  Status DeleteCustomField(ServerContext* ctx, const v1::DeleteCustomFieldRequest* req,
                           v1::DeleteCustomFieldResponse*) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Done(a_.customers.DeleteCustomField(req->key()));
  }
  Status CreateSegment(ServerContext* ctx, const v1::CreateSegmentRequest* req,
                       v1::Segment* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.segments.Create(req->segment()), resp);
  }
  Status UpdateSegment(ServerContext* ctx, const v1::UpdateSegmentRequest* req,
                       v1::Segment* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.segments.Update(req->segment()), resp);
  }
  Status DeleteSegment(ServerContext* ctx, const v1::DeleteSegmentRequest* req,
                       v1::DeleteSegmentResponse*) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Done(a_.segments.Delete(req->id()));
  }
  Status GetSegment(ServerContext* ctx, const v1::GetSegmentRequest* req,
                    v1::Segment* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.segments.Get(req->id()), resp);
  }
  Status ListSegments(ServerContext* ctx, const v1::ListSegmentsRequest*,
                      v1::ListSegmentsResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    auto segments = a_.segments.List();
    if (!segments.ok()) return Done(segments.status());
    for (auto& s : *segments) *resp->add_segments() = std::move(s);
    return Status::OK;
  }
  Status CountSegmentMembers(ServerContext* ctx, const v1::CountSegmentMembersRequest* req,
                             v1::CountSegmentMembersResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    auto n = a_.segments.Count(*req);
    if (!n.ok()) return Done(n.status());
    resp->set_count(*n);
    return Status::OK;
  }
  Status ListSegmentMembers(ServerContext* ctx, const v1::ListSegmentMembersRequest* req,
                            v1::ListSegmentMembersResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.segments.Members(*req), resp);
  }
  Status CreditWallet(ServerContext* ctx, const v1::CreditWalletRequest* req,
                      v1::WalletEntry* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.wallet.Credit(*req, caller), resp);
  }
  Status DebitWallet(ServerContext* ctx, const v1::DebitWalletRequest* req,
                     v1::WalletEntry* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.wallet.Debit(*req, caller), resp);
  }
  Status ReverseWalletDebit(ServerContext* ctx, const v1::ReverseWalletDebitRequest* req,
                            v1::ReverseWalletDebitResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.wallet.Reverse(*req, caller), resp);
  }
  Status GetWallet(ServerContext* ctx, const v1::GetWalletRequest* req,
                   v1::Wallet* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    return Reply(a_.wallet.Get(*req), resp);
  }
  Status AddBlacklistEntry(ServerContext* ctx, const v1::AddBlacklistEntryRequest* req,
                           v1::BlacklistEntry* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.AddBlacklistEntry(req->entry(), caller), resp);
  }
  Status UpdateBlacklistEntry(ServerContext* ctx, const v1::UpdateBlacklistEntryRequest* req,
                              v1::BlacklistEntry* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.UpdateBlacklistEntry(req->entry()), resp);
  }
  Status RemoveBlacklistEntry(ServerContext* ctx, const v1::RemoveBlacklistEntryRequest* req,
                              v1::RemoveBlacklistEntryResponse*) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Done(a_.customers.RemoveBlacklistEntry(req->id()));
  }
  Status ListBlacklistEntries(ServerContext* ctx, const v1::ListBlacklistEntriesRequest* req,
                              v1::ListBlacklistEntriesResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.customers.ListBlacklist(*req), resp);
  }
  Status CheckCheckout(ServerContext* ctx, const v1::CheckCheckoutRequest* req,
                       v1::CheckCheckoutResponse* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    return Reply(a_.customers.CheckCheckout(*req), resp);
  }
  Status CheckCheckouts(ServerContext* ctx, const v1::CheckCheckoutsRequest* req,
                        v1::CheckCheckoutsResponse* resp) override {
    STORE_SCOPE();
    STORE_STAFF();  // other buyers' checks: for the order service only
    return Reply(a_.customers.CheckCheckouts(*req), resp);
  }
  Status ImportCustomers(
      ServerContext* ctx,
      grpc::ServerReaderWriter<v1::ImportCustomersResponse, v1::ImportCustomersRequest>* stream)
      override {
    STORE_SCOPE();
    STORE_STAFF();
    v1::ImportCustomersRequest req;
    std::unique_ptr<ImportSession> session;
    while (stream->Read(&req)) {
      if (session == nullptr) {
        session = a_.transfer.StartImport(
            !req.has_update_existing() || req.update_existing(), caller);
      }
      v1::ImportCustomersResponse out;
      if (absl::Status s = session->Feed(req.chunk(), &out); !s.ok()) return Done(s);
      if (out.rows_size() > 0 && !stream->Write(out)) return Status::CANCELLED;
    }
    if (session == nullptr) session = a_.transfer.StartImport(true, caller);
    v1::ImportCustomersResponse out;
    if (absl::Status s = session->Finish(&out); !s.ok()) return Done(s);
    stream->Write(out);
    return Status::OK;
  }
  Status ExportCustomers(ServerContext* ctx, const v1::ExportCustomersRequest* req,
                         grpc::ServerWriter<v1::ExportChunk>* writer) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Done(a_.transfer.Export(req->filter(), [&](const std::string& data) {
      v1::ExportChunk chunk;
      chunk.set_data(data);
      return !ctx->IsCancelled() && writer->Write(chunk);
    }));
  }
  Status ExportCustomerData(ServerContext* ctx, const v1::ExportCustomerDataRequest* req,
                            v1::ExportCustomerDataResponse* resp) override {
    STORE_SCOPE();
    STORE_OWNER(req->customer_id());
    return Reply(a_.privacy.ExportData(req->customer_id()), resp);
  }
  Status EraseCustomer(ServerContext* ctx, const v1::EraseCustomerRequest* req,
                       v1::ErasureRecord* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.privacy.Erase(*req, caller), resp);
  }
  Status GetErasureRecord(ServerContext* ctx, const v1::GetErasureRecordRequest* req,
                          v1::ErasureRecord* resp) override {
    STORE_SCOPE();
    STORE_STAFF();
    return Reply(a_.privacy.GetErasure(req->id()), resp);
  }

 private:
  CustomerApps a_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewCustomerService(CustomerApps apps) {
  return std::make_unique<Service>(apps);
}

}  // namespace store::customer
