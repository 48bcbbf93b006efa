-- Returns (ORD-05): goods that came back, per order; idempotent on
-- request_id like refunds.
CREATE TABLE order_returns (
  id           uuid        PRIMARY KEY,
  order_id     uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  request_id   uuid        NOT NULL UNIQUE,
  request_hash text        NOT NULL,
  body         bytea       NOT NULL,  -- serialized store.order.v1.Return
  created_at   timestamptz NOT NULL
);
CREATE INDEX order_returns_order_idx ON order_returns (order_id, created_at);
