-- Reporting service schema: read models built only from events (order,
-- customer and newsletter topics), so every table can be rebuilt by
-- replaying them from offset 0. A rebuild (app/rebuild.cc) creates the
-- report_* tables again in schema reporting_shadow (LIKE ... INCLUDING ALL:
-- keep them free of foreign keys) and swaps them in. No personal data: customers are ids, guests
-- "guest:" + SHA-256 of their email.

-- One row per order: its latest snapshot's figures (services/reporting/
-- domain/sales_rules.h). placed_count_at and paid_at are when it counts
-- from its placement and from its payment (CountedAt, NULL: it does not);
-- counted_at is the one of the configured REPORTING_COUNT_FROM, so changing
-- the setting is one UPDATE at start-up, not a rebuild.
CREATE TABLE report_orders (
  order_id        uuid        PRIMARY KEY,
  number          bigint      NOT NULL,
  version         bigint      NOT NULL,
  status          text        NOT NULL,
  currency        char(3)     NOT NULL,
  customer_key    text        NOT NULL,
  customer_id     text        NOT NULL DEFAULT '',
  payment_method  text        NOT NULL,
  delivery_method text        NOT NULL,
  country         text        NOT NULL,
  placed_at       timestamptz NOT NULL,
  paid_at         timestamptz,
  any_payment     boolean     NOT NULL,
  placed_count_at timestamptz,
  counted_at      timestamptz,
  gross           bigint      NOT NULL,
  discount        bigint      NOT NULL,
  shipping        bigint      NOT NULL,
  tax             bigint      NOT NULL,
  units           bigint      NOT NULL,
  -- LinesDigest of the lines below: they are rewritten only when it changes.
  lines_digest    text        NOT NULL DEFAULT ''
);
CREATE INDEX report_orders_counted ON report_orders (currency, counted_at)
  INCLUDE (gross, discount, shipping, tax, units) WHERE counted_at IS NOT NULL;
CREATE INDEX report_orders_customer ON report_orders (customer_key, counted_at)
  WHERE counted_at IS NOT NULL;

CREATE TABLE report_order_lines (
  order_id uuid    NOT NULL,
  line_no  int     NOT NULL,
  sku      text    NOT NULL,
  name     text    NOT NULL,
  quantity bigint  NOT NULL,
  gross    bigint  NOT NULL,
  discount bigint  NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX report_order_lines_sku ON report_order_lines (sku);

-- Refunds count on their own day; their amount is attributed to skus in
-- report_refund_lines (the amounts add up to the refund's).
CREATE TABLE report_refunds (
  refund_id   text        PRIMARY KEY,
  order_id    uuid        NOT NULL,
  amount      bigint      NOT NULL,
  refunded_at timestamptz NOT NULL
);
CREATE INDEX report_refunds_time ON report_refunds (refunded_at);
CREATE INDEX report_refunds_order ON report_refunds (order_id);

CREATE TABLE report_refund_lines (
  refund_id text   NOT NULL,
  sku       text   NOT NULL,
  quantity  bigint NOT NULL,
  amount    bigint NOT NULL,
  PRIMARY KEY (refund_id, sku)
);

-- Payment attempts (REP-04), with the order's payment method.
CREATE TABLE report_payments (
  payment_id text        PRIMARY KEY,
  order_id   uuid        NOT NULL,
  method     text        NOT NULL,
  provider   text        NOT NULL,
  outcome    text        NOT NULL,
  currency   char(3)     NOT NULL,
  amount     bigint      NOT NULL,
  paid_at    timestamptz NOT NULL
);
CREATE INDEX report_payments_time ON report_payments (paid_at);

-- Registered customers' group and country (REP-03), from the customer topic.
CREATE TABLE report_customers (
  customer_id text   PRIMARY KEY,
  group_id    text   NOT NULL,
  country     text   NOT NULL,
  version     bigint NOT NULL
);

-- Campaign funnels (REP-05), from the newsletter's campaign topic: the
-- latest figures it published.
CREATE TABLE report_campaigns (
  campaign_id  text        PRIMARY KEY,
  name         text        NOT NULL,
  sent_time    timestamptz,
  recipients   bigint      NOT NULL DEFAULT 0,
  sent         bigint      NOT NULL DEFAULT 0,
  bounced      bigint      NOT NULL DEFAULT 0,
  opened       bigint      NOT NULL DEFAULT 0,
  clicked      bigint      NOT NULL DEFAULT 0,
  unsubscribed bigint      NOT NULL DEFAULT 0,
  converted    bigint      NOT NULL DEFAULT 0,
  revenue      bigint      NOT NULL DEFAULT 0,
  currency     text        NOT NULL DEFAULT '',
  stats_time   timestamptz
);

-- The sales figures summed per day in the store's time zone and per
-- dimension: what the sales report reads (PERF-4), kept in step with
-- report_orders and report_refunds by the handlers (each change subtracts
-- the order's old contribution and adds the new). Report buckets are whole
-- days of the store's zone, so every bucket is a sum of these rows. Orders
-- count on the day of counted_at, returns on the day of the refund, both
-- under the order's current status, payment method and delivery method.
-- A row a change brings to zero is deleted. Recomputed when STORE_TIME_ZONE or
-- REPORTING_COUNT_FROM changes.
CREATE TABLE report_days (
  currency        char(3) NOT NULL,
  day             date    NOT NULL,
  status          text    NOT NULL,
  payment_method  text    NOT NULL,
  delivery_method text    NOT NULL,
  orders          bigint  NOT NULL,
  units           bigint  NOT NULL,
  gross           bigint  NOT NULL,
  discount        bigint  NOT NULL,
  shipping        bigint  NOT NULL,
  tax             bigint  NOT NULL,
  returns         bigint  NOT NULL,
  PRIMARY KEY (currency, day, status, payment_method, delivery_method)
);

-- The REPORTING_COUNT_FROM counted_at was computed for ('count_from') and
-- the STORE_TIME_ZONE report_days was summed in ('time_zone').
CREATE TABLE report_settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);

-- Rebuilds of the read models (REP-07): `body` is the serialized
-- store.reporting.v1.Rebuild, written by the replica that runs it.
CREATE TABLE report_rebuilds (
  id         uuid        PRIMARY KEY,
  start_time timestamptz NOT NULL,
  -- Refreshed every second by the replica running it.
  heartbeat  timestamptz NOT NULL,
  body       bytea       NOT NULL
);
