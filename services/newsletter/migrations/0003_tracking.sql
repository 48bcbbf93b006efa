-- Open and click tracking and conversions (NEW-06).
CREATE TABLE mail_events (
  id          bigserial   PRIMARY KEY,
  mail_id     uuid        NOT NULL,
  campaign_id uuid,
  kind        smallint    NOT NULL,   -- 1 open, 2 click
  url         text        NOT NULL DEFAULT '',
  create_time timestamptz NOT NULL
);
CREATE INDEX mail_events_campaign_idx ON mail_events (campaign_id, kind);
CREATE INDEX mail_events_mail_idx ON mail_events (mail_id);

-- An order placed by a campaign recipient within the window after the mail
-- was sent; one campaign gets each order.
CREATE TABLE conversions (
  order_id      uuid        PRIMARY KEY,
  campaign_id   uuid        NOT NULL,
  mail_id       uuid        NOT NULL,
  amount_minor  bigint      NOT NULL,
  currency_code text        NOT NULL,
  create_time   timestamptz NOT NULL
);
CREATE INDEX conversions_campaign_idx ON conversions (campaign_id);
CREATE INDEX conversions_mail_idx ON conversions (mail_id);
CREATE INDEX mails_campaign_sent_idx ON mails (recipient_sha256, sent_time)
  WHERE campaign_id IS NOT NULL AND status = 3;
