-- Transactional outbox: events are written here in the same transaction as
-- the state change, and published to Kafka by the relay (libs/events/relay.cc).
CREATE TABLE outbox (
  id            bigserial PRIMARY KEY,
  event_id      uuid        NOT NULL UNIQUE,
  topic         text        NOT NULL,
  aggregate_id  text        NOT NULL,  -- the Kafka key
  event_type    text        NOT NULL,
  envelope      bytea       NOT NULL,  -- serialized store.common.v1.EventEnvelope
  traceparent   text        NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  sent_at       timestamptz
);
-- The relay reads only what is not sent yet.
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Inbox: one row per (consumer, event) applied, written in the consumer's
-- transaction, so a redelivered event has no effect.
CREATE TABLE inbox (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  topic        text        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
