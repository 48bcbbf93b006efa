-- Order service schema. `orders.body` is the order aggregate (a serialized
-- store.order.v1.Order); the other columns of `orders` and `order_items`
-- are projections of it, written in the same transaction, for filtering,
-- sorting and reporting.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Gapless human order numbers: one counter row, updated in the placing
-- transaction, so a rolled-back order gives its number back.
CREATE TABLE order_number_counter (
  id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  next_value bigint   NOT NULL
);
INSERT INTO order_number_counter (id, next_value) VALUES (1, 10001);

CREATE TABLE orders (
  id              uuid        PRIMARY KEY,
  number          bigint      NOT NULL UNIQUE,
  request_id      uuid        NOT NULL UNIQUE,
  request_hash    text        NOT NULL,
  status          smallint    NOT NULL,
  customer_id     uuid,
  customer_email  text        NOT NULL DEFAULT '',
  currency_code   char(3)     NOT NULL,
  payment_method  smallint    NOT NULL,
  delivery_method text        NOT NULL,
  total_minor     bigint      NOT NULL,
  search_text     text        NOT NULL,
  body            bytea       NOT NULL,
  version         bigint      NOT NULL,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_total_idx ON orders (total_minor DESC, id DESC);
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX orders_email_idx ON orders (customer_email, created_at DESC);
CREATE INDEX orders_search_idx ON orders USING gin (search_text gin_trgm_ops);

CREATE TABLE order_items (
  order_id         uuid     NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line_no          int      NOT NULL,
  sku              text     NOT NULL,
  name             text     NOT NULL,
  quantity         int      NOT NULL,
  unit_price_minor bigint   NOT NULL,
  total_minor      bigint   NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_items_sku_idx ON order_items (sku);

CREATE TABLE order_history (
  id          bigserial   PRIMARY KEY,
  order_id    uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  from_status smallint    NOT NULL,
  to_status   smallint    NOT NULL,
  action      text        NOT NULL,
  actor       text        NOT NULL,
  reason      text        NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL
);
CREATE INDEX order_history_order_idx ON order_history (order_id, id);

CREATE TABLE order_payments (
  id             uuid        PRIMARY KEY,
  order_id       uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  provider       text        NOT NULL,
  reference      text        NOT NULL,
  amount_minor   bigint      NOT NULL,
  outcome        smallint    NOT NULL,
  failure_reason text        NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL,
  UNIQUE (order_id, provider, reference)
);

CREATE TABLE order_refunds (
  id           uuid        PRIMARY KEY,
  order_id     uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  request_id   uuid        NOT NULL UNIQUE,
  request_hash text        NOT NULL,
  amount_minor bigint      NOT NULL,
  body         bytea       NOT NULL,  -- serialized store.order.v1.Refund
  created_at   timestamptz NOT NULL
);
CREATE INDEX order_refunds_order_idx ON order_refunds (order_id, created_at);

CREATE TABLE order_notes (
  id         uuid        PRIMARY KEY,
  order_id   uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  text       text        NOT NULL,
  visibility smallint    NOT NULL,
  author     text        NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX order_notes_order_idx ON order_notes (order_id, created_at);
