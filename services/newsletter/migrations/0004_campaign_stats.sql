-- The campaign figures last published as CampaignStatsUpdated (for the
-- reporting service, REP-05): the "campaign-stats" job publishes a campaign
-- again only when its serialized stats differ from these.
CREATE TABLE campaign_stats_published (
  campaign_id  uuid        PRIMARY KEY,
  stats        bytea       NOT NULL,
  publish_time timestamptz NOT NULL
);
