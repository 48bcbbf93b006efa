-- Campaigns (NEW-04). A campaign's recipients are queued in batches; the
-- cursor (last subscriber id queued, or the customer service's segment page
-- token) lets a restarted service go on where it stopped, and the mails'
-- dedupe key "campaign:<campaign>:<subscriber>" keeps it to one mail each.
CREATE TABLE campaigns (
  id              uuid        PRIMARY KEY,
  name            text        NOT NULL,
  type            smallint    NOT NULL,   -- store.newsletter.v1.CampaignType
  subject         text        NOT NULL,
  html_body       text        NOT NULL,
  text_body       text        NOT NULL,
  segment_id      text        NOT NULL DEFAULT '',
  status          smallint    NOT NULL,   -- store.newsletter.v1.CampaignStatus
  schedule_time   timestamptz,
  send_start_time timestamptz,
  sent_time       timestamptz,
  cancel_time     timestamptz,
  queue_cursor    text        NOT NULL DEFAULT '',
  recipients      bigint      NOT NULL DEFAULT 0,
  request_id      text        UNIQUE,
  request_hash    text,
  version         bigint      NOT NULL,
  create_time     timestamptz NOT NULL,
  update_time     timestamptz NOT NULL
);
CREATE INDEX campaigns_created_idx ON campaigns (create_time DESC, id DESC);
CREATE INDEX campaigns_due_idx ON campaigns (schedule_time) WHERE status = 2;
CREATE INDEX campaigns_sending_idx ON campaigns (send_start_time) WHERE status = 3;

-- Campaign mails carry no message: it is rendered for its recipient when it
-- is sent (100k recipients are queued with one statement per batch).
ALTER TABLE mails ADD COLUMN campaign_id uuid;
CREATE INDEX mails_campaign_idx ON mails (campaign_id, status) WHERE campaign_id IS NOT NULL;

-- Who left through which campaign's link (the campaign's unsubscribes).
CREATE TABLE campaign_unsubscribes (
  campaign_id   uuid        NOT NULL,
  subscriber_id uuid        NOT NULL,
  create_time   timestamptz NOT NULL,
  PRIMARY KEY (campaign_id, subscriber_id)
);
