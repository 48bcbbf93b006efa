-- Newsletter and mail service schema.

-- Subscribers (NEW-01). One row per normalised address.
CREATE TABLE subscribers (
  id                 uuid        PRIMARY KEY,
  email              text        NOT NULL UNIQUE,
  email_sha256       text        NOT NULL,
  first_name         text        NOT NULL DEFAULT '',
  last_name          text        NOT NULL DEFAULT '',
  customer_id        uuid,
  status             smallint    NOT NULL,   -- store.newsletter.v1.SubscriberStatus
  source             text        NOT NULL,
  consent_ip         text        NOT NULL DEFAULT '',
  consent_time       timestamptz,
  confirm_time       timestamptz,
  unsubscribe_time   timestamptz,
  unsubscribe_reason text        NOT NULL DEFAULT '',
  soft_bounces       integer     NOT NULL DEFAULT 0,
  -- SHA-256 (hex) of the pending confirmation token; the token itself is
  -- only in the mail.
  confirm_token_sha256 text,
  confirm_expire_time  timestamptz,
  request_id         text        UNIQUE,
  request_hash       text,
  version            bigint      NOT NULL DEFAULT 1,
  create_time        timestamptz NOT NULL,
  update_time        timestamptz NOT NULL
);
CREATE INDEX subscribers_created_idx ON subscribers (create_time DESC, id DESC);
CREATE INDEX subscribers_status_idx ON subscribers (status);
CREATE INDEX subscribers_customer_idx ON subscribers (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX subscribers_hash_idx ON subscribers (email_sha256);
CREATE UNIQUE INDEX subscribers_confirm_token_idx ON subscribers (confirm_token_sha256)
  WHERE confirm_token_sha256 IS NOT NULL;

-- Consent history of each subscriber (source, time, IP), append only.
CREATE TABLE consent_records (
  id            bigserial   PRIMARY KEY,
  subscriber_id uuid        NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  action        text        NOT NULL,   -- requested, confirmed, subscribed, unsubscribed, bounced, complained
  source        text        NOT NULL,
  ip            text        NOT NULL DEFAULT '',
  actor         text        NOT NULL DEFAULT '',
  create_time   timestamptz NOT NULL
);
CREATE INDEX consent_records_subscriber_idx ON consent_records (subscriber_id, id);

-- The suppression list (NEW-09), keyed by the address hash so that erased
-- addresses stay suppressed without being stored.
CREATE TABLE suppressions (
  email_sha256 text        NOT NULL,
  reason       smallint    NOT NULL,   -- store.newsletter.v1.SuppressionReason
  email        text        NOT NULL DEFAULT '',
  detail       text        NOT NULL DEFAULT '',
  create_time  timestamptz NOT NULL,
  PRIMARY KEY (email_sha256, reason)
);
CREATE INDEX suppressions_created_idx ON suppressions (create_time DESC, email_sha256 DESC, reason DESC);

-- Edited notice templates (NEW-07); a type without a row uses the built-in
-- template and is enabled.
CREATE TABLE notice_templates (
  type        smallint    PRIMARY KEY,   -- store.newsletter.v1.NoticeType
  enabled     boolean     NOT NULL,
  customized  boolean     NOT NULL,
  subject     text        NOT NULL,
  html_body   text        NOT NULL,
  text_body   text        NOT NULL,
  update_time timestamptz NOT NULL
);

-- The send queue and mail log (NEW-05). `dedupe_key` makes each mail
-- happen once: "notice:<type>:<event id>", "confirm:<subscriber>:<n>", ...
CREATE TABLE mails (
  id                uuid        PRIMARY KEY,
  dedupe_key        text        NOT NULL UNIQUE,
  kind              smallint    NOT NULL,   -- store.newsletter.v1.MailKind
  notice_type       smallint    NOT NULL DEFAULT 0,
  recipient         text        NOT NULL,
  recipient_sha256  text        NOT NULL,
  subscriber_id     uuid,
  subject           text        NOT NULL,
  -- The complete RFC 5322 message as handed to the SMTP server.
  message           bytea       NOT NULL,
  status            smallint    NOT NULL,   -- store.newsletter.v1.MailStatus
  attempts          integer     NOT NULL DEFAULT 0,
  last_error        text        NOT NULL DEFAULT '',
  origin            text        NOT NULL DEFAULT '',
  create_time       timestamptz NOT NULL,
  next_attempt_time timestamptz NOT NULL,
  claimed_time      timestamptz,
  sent_time         timestamptz
);
-- The sender's work list: what is due, oldest first.
CREATE INDEX mails_due_idx ON mails (next_attempt_time, id) WHERE status = 1;
CREATE INDEX mails_sending_idx ON mails (claimed_time) WHERE status = 2;
CREATE INDEX mails_created_idx ON mails (create_time DESC, id DESC);
CREATE INDEX mails_recipient_idx ON mails (recipient_sha256);

-- Soft bounces (4xx) in a row per address; a delivered mail resets it.
CREATE TABLE soft_bounce_counts (
  email_sha256 text        PRIMARY KEY,
  in_row       integer     NOT NULL,
  last_time    timestamptz NOT NULL
);
