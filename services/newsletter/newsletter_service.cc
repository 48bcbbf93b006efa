#include "services/newsletter/newsletter_service.h"

#include "libs/grpcx/status.h"

namespace store::newsletter {
namespace {

using grpcx::Reply;

Caller CallerOf(const grpcx::CallScope& scope) { return {scope.actor(), scope.client_ip()}; }

}  // namespace

grpc::Status NewsletterServiceImpl::Subscribe(grpc::ServerContext* ctx,
                                              const v1::SubscribeRequest* req,
                                              v1::SubscribeResponse* resp) {
  grpcx::CallScope scope(*ctx);
  return Reply(app_.Subscribe(*req, CallerOf(scope)), resp);
}

grpc::Status NewsletterServiceImpl::ConfirmSubscription(grpc::ServerContext* ctx,
                                                        const v1::ConfirmSubscriptionRequest* req,
                                                        v1::Subscriber* resp) {
  grpcx::CallScope scope(*ctx);
  return Reply(app_.ConfirmSubscription(req->token(), CallerOf(scope)), resp);
}

grpc::Status NewsletterServiceImpl::Unsubscribe(grpc::ServerContext* ctx,
                                                const v1::UnsubscribeRequest* req,
                                                v1::UnsubscribeResponse* resp) {
  grpcx::CallScope scope(*ctx);
  return Reply(app_.Unsubscribe(req->token(), CallerOf(scope)), resp);
}

grpc::Status NewsletterServiceImpl::CreateSubscriber(grpc::ServerContext* ctx,
                                                     const v1::CreateSubscriberRequest* req,
                                                     v1::Subscriber* resp) {
  grpcx::CallScope scope(*ctx);
  // Customers have no business here (the gateway routes them elsewhere).
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.CreateSubscriber(*req, CallerOf(scope)), resp);
}

grpc::Status NewsletterServiceImpl::GetSubscriber(grpc::ServerContext* ctx,
                                                  const v1::GetSubscriberRequest* req,
                                                  v1::Subscriber* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.GetSubscriber(req->id()), resp);
}

grpc::Status NewsletterServiceImpl::ListSubscribers(grpc::ServerContext* ctx,
                                                    const v1::ListSubscribersRequest* req,
                                                    v1::ListSubscribersResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ListSubscribers(*req), resp);
}

grpc::Status NewsletterServiceImpl::GetUnsubscribeLink(grpc::ServerContext* ctx,
                                                       const v1::GetUnsubscribeLinkRequest* req,
                                                       v1::UnsubscribeLink* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.GetUnsubscribeLink(req->id()), resp);
}

grpc::Status NewsletterServiceImpl::UnsubscribeSubscriber(
    grpc::ServerContext* ctx, const v1::UnsubscribeSubscriberRequest* req, v1::Subscriber* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.UnsubscribeSubscriber(req->id(), req->reason(), CallerOf(scope)), resp);
}

grpc::Status NewsletterServiceImpl::AddSuppression(grpc::ServerContext* ctx,
                                                   const v1::AddSuppressionRequest* req,
                                                   v1::Suppression* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.AddSuppression(*req, CallerOf(scope)), resp);
}

grpc::Status NewsletterServiceImpl::RemoveSuppression(grpc::ServerContext* ctx,
                                                      const v1::RemoveSuppressionRequest* req,
                                                      v1::RemoveSuppressionResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.RemoveSuppression(req->email()), resp);
}

grpc::Status NewsletterServiceImpl::ListSuppressions(grpc::ServerContext* ctx,
                                                     const v1::ListSuppressionsRequest* req,
                                                     v1::ListSuppressionsResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ListSuppressions(*req), resp);
}

grpc::Status NewsletterServiceImpl::RecordBounce(grpc::ServerContext* ctx,
                                                 const v1::RecordBounceRequest* req,
                                                 v1::RecordBounceResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.RecordBounce(*req), resp);
}

grpc::Status NewsletterServiceImpl::ListNoticeTemplates(grpc::ServerContext* ctx,
                                                        const v1::ListNoticeTemplatesRequest* req,
                                                        v1::ListNoticeTemplatesResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ListNoticeTemplates(), resp);
}

grpc::Status NewsletterServiceImpl::GetNoticeTemplate(grpc::ServerContext* ctx,
                                                      const v1::GetNoticeTemplateRequest* req,
                                                      v1::NoticeTemplate* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.GetNoticeTemplate(req->type()), resp);
}

grpc::Status NewsletterServiceImpl::UpdateNoticeTemplate(grpc::ServerContext* ctx,
                                                         const v1::UpdateNoticeTemplateRequest* req,
                                                         v1::NoticeTemplate* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.UpdateNoticeTemplate(*req), resp);
}

grpc::Status NewsletterServiceImpl::ListMails(grpc::ServerContext* ctx,
                                              const v1::ListMailsRequest* req,
                                              v1::ListMailsResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ListMails(*req), resp);
}

grpc::Status NewsletterServiceImpl::CreateCampaign(grpc::ServerContext* ctx,
                                                   const v1::CreateCampaignRequest* req,
                                                   v1::Campaign* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(campaigns_.CreateCampaign(*req), resp);
}

grpc::Status NewsletterServiceImpl::GetCampaign(grpc::ServerContext* ctx,
                                                const v1::GetCampaignRequest* req,
                                                v1::Campaign* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(campaigns_.GetCampaign(req->id()), resp);
}

grpc::Status NewsletterServiceImpl::ListCampaigns(grpc::ServerContext* ctx,
                                                  const v1::ListCampaignsRequest* req,
                                                  v1::ListCampaignsResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(campaigns_.ListCampaigns(*req), resp);
}

grpc::Status NewsletterServiceImpl::UpdateCampaign(grpc::ServerContext* ctx,
                                                   const v1::UpdateCampaignRequest* req,
                                                   v1::Campaign* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(campaigns_.UpdateCampaign(*req), resp);
}

grpc::Status NewsletterServiceImpl::SendTestCampaign(grpc::ServerContext* ctx,
                                                     const v1::SendTestCampaignRequest* req,
                                                     v1::SendTestCampaignResponse* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(campaigns_.SendTestCampaign(*req), resp);
}

grpc::Status NewsletterServiceImpl::SendCampaign(grpc::ServerContext* ctx,
                                                 const v1::SendCampaignRequest* req,
                                                 v1::Campaign* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(campaigns_.SendCampaign(req->id()), resp);
}

grpc::Status NewsletterServiceImpl::ScheduleCampaign(grpc::ServerContext* ctx,
                                                     const v1::ScheduleCampaignRequest* req,
                                                     v1::Campaign* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(campaigns_.ScheduleCampaign(*req), resp);
}

grpc::Status NewsletterServiceImpl::CancelCampaign(grpc::ServerContext* ctx,
                                                   const v1::CancelCampaignRequest* req,
                                                   v1::Campaign* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(campaigns_.CancelCampaign(req->id()), resp);
}

grpc::Status NewsletterServiceImpl::ExportSubscriberData(grpc::ServerContext* ctx,
                                                         const v1::ExportSubscriberDataRequest* req,
                                                         v1::SubscriberData* resp) {
  grpcx::CallScope scope(*ctx);
  if (scope.is_customer()) return grpcx::StaffOnly();
  return Reply(app_.ExportSubscriberData(*req), resp);
}

grpc::Status NewsletterServiceImpl::TrackOpen(grpc::ServerContext* ctx,
                                              const v1::TrackOpenRequest* req,
                                              grpc::ServerWriter<v1::TrackingPixel>* writer) {
  grpcx::CallScope scope(*ctx);
  absl::StatusOr<std::string> gif = app_.TrackOpen(req->token());
  if (!gif.ok()) return grpcx::ToGrpcStatus(gif.status());
  v1::TrackingPixel pixel;
  pixel.set_data(*std::move(gif));
  writer->Write(pixel);
  return grpc::Status::OK;
}

grpc::Status NewsletterServiceImpl::TrackClick(grpc::ServerContext* ctx,
                                               const v1::TrackClickRequest* req,
                                               v1::TrackClickResponse* resp) {
  grpcx::CallScope scope(*ctx);
  absl::StatusOr<std::string> url = app_.TrackClick(req->token());
  if (!url.ok()) return grpcx::ToGrpcStatus(url.status());
  resp->set_url(*std::move(url));
  return grpc::Status::OK;
}

}  // namespace store::newsletter
