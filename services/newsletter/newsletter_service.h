// The gRPC edge of the newsletter service: translates calls to
// NewsletterApp use cases and absl::Status to grpc::Status. No rules here.
#ifndef STORE_SERVICES_NEWSLETTER_NEWSLETTER_SERVICE_H_
#define STORE_SERVICES_NEWSLETTER_NEWSLETTER_SERVICE_H_

#include "libs/grpcx/server.h"
#include "services/newsletter/app/campaign_app.h"
#include "services/newsletter/app/newsletter_app.h"
#include "store/newsletter/v1/newsletter_service.grpc.pb.h"

namespace store::newsletter {

class NewsletterServiceImpl final : public v1::NewsletterService::Service {
 public:
  NewsletterServiceImpl(NewsletterApp& app, CampaignApp& campaigns)
      : app_(app), campaigns_(campaigns) {}

  grpc::Status Subscribe(grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
                         v1::SubscribeResponse* resp) override;
  grpc::Status ConfirmSubscription(grpc::ServerContext* ctx,
                                   const v1::ConfirmSubscriptionRequest* req,
                                   v1::Subscriber* resp) override;
  grpc::Status Unsubscribe(grpc::ServerContext* ctx, const v1::UnsubscribeRequest* req,
                           v1::UnsubscribeResponse* resp) override;
  grpc::Status CreateSubscriber(grpc::ServerContext* ctx, const v1::CreateSubscriberRequest* req,
                                v1::Subscriber* resp) override;
  grpc::Status GetSubscriber(grpc::ServerContext* ctx, const v1::GetSubscriberRequest* req,
                             v1::Subscriber* resp) override;
  grpc::Status ListSubscribers(grpc::ServerContext* ctx, const v1::ListSubscribersRequest* req,
                               v1::ListSubscribersResponse* resp) override;
  grpc::Status GetUnsubscribeLink(grpc::ServerContext* ctx,
                                  const v1::GetUnsubscribeLinkRequest* req,
                                  v1::UnsubscribeLink* resp) override;
  grpc::Status UnsubscribeSubscriber(grpc::ServerContext* ctx,
                                     const v1::UnsubscribeSubscriberRequest* req,
                                     v1::Subscriber* resp) override;
  grpc::Status AddSuppression(grpc::ServerContext* ctx, const v1::AddSuppressionRequest* req,
                              v1::Suppression* resp) override;
  grpc::Status RemoveSuppression(grpc::ServerContext* ctx, const v1::RemoveSuppressionRequest* req,
                                 v1::RemoveSuppressionResponse* resp) override;
  grpc::Status ListSuppressions(grpc::ServerContext* ctx, const v1::ListSuppressionsRequest* req,
                                v1::ListSuppressionsResponse* resp) override;
  grpc::Status RecordBounce(grpc::ServerContext* ctx, const v1::RecordBounceRequest* req,
                            v1::RecordBounceResponse* resp) override;
  grpc::Status ListNoticeTemplates(grpc::ServerContext* ctx,
                                   const v1::ListNoticeTemplatesRequest* req,
                                   v1::ListNoticeTemplatesResponse* resp) override;
  grpc::Status GetNoticeTemplate(grpc::ServerContext* ctx, const v1::GetNoticeTemplateRequest* req,
                                 v1::NoticeTemplate* resp) override;
  grpc::Status UpdateNoticeTemplate(grpc::ServerContext* ctx,
                                    const v1::UpdateNoticeTemplateRequest* req,
                                    v1::NoticeTemplate* resp) override;
  grpc::Status TrackOpen(grpc::ServerContext* ctx, const v1::TrackOpenRequest* req,
                         grpc::ServerWriter<v1::TrackingPixel>* writer) override;
  grpc::Status TrackClick(grpc::ServerContext* ctx, const v1::TrackClickRequest* req,
                          v1::TrackClickResponse* resp) override;
  grpc::Status ExportSubscriberData(grpc::ServerContext* ctx,
                                    const v1::ExportSubscriberDataRequest* req,
                                    v1::SubscriberData* resp) override;
  grpc::Status ListMails(grpc::ServerContext* ctx, const v1::ListMailsRequest* req,
                         v1::ListMailsResponse* resp) override;

  grpc::Status CreateCampaign(grpc::ServerContext* ctx, const v1::CreateCampaignRequest* req,
                              v1::Campaign* resp) override;
  grpc::Status GetCampaign(grpc::ServerContext* ctx, const v1::GetCampaignRequest* req,
                           v1::Campaign* resp) override;
  grpc::Status ListCampaigns(grpc::ServerContext* ctx, const v1::ListCampaignsRequest* req,
                             v1::ListCampaignsResponse* resp) override;
  grpc::Status UpdateCampaign(grpc::ServerContext* ctx, const v1::UpdateCampaignRequest* req,
                              v1::Campaign* resp) override;
  grpc::Status SendTestCampaign(grpc::ServerContext* ctx, const v1::SendTestCampaignRequest* req,
                                v1::SendTestCampaignResponse* resp) override;
  grpc::Status SendCampaign(grpc::ServerContext* ctx, const v1::SendCampaignRequest* req,
                            v1::Campaign* resp) override;
  grpc::Status ScheduleCampaign(grpc::ServerContext* ctx, const v1::ScheduleCampaignRequest* req,
                                v1::Campaign* resp) override;
  grpc::Status CancelCampaign(grpc::ServerContext* ctx, const v1::CancelCampaignRequest* req,
                              v1::Campaign* resp) override;

 private:
  NewsletterApp& app_;
  CampaignApp& campaigns_;
};

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_NEWSLETTER_SERVICE_H_
