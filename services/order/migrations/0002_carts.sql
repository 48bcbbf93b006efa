-- Storefront carts (ORD-12, ORD-19), abandoned-cart recovery, store
-- settings (ORD-15) and discount codes (ORD-17).
-- `carts.body` is the cart aggregate (a serialized store.order.v1.Cart);
-- the other columns are projections of it for lookups and listing.
CREATE TABLE carts (
  id                  uuid        PRIMARY KEY,
  -- CreateCart's idempotency key.
  request_id          uuid        NOT NULL UNIQUE,
  request_hash        text        NOT NULL,
  state               smallint    NOT NULL,
  customer_id         uuid,
  email               text        NOT NULL DEFAULT '',
  body                bytea       NOT NULL,
  version             bigint      NOT NULL,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  expires_at          timestamptz NOT NULL,
  -- Set on checkout: the order and the request that placed it.
  order_id            uuid        UNIQUE,
  checkout_request_id uuid,
  line_count          int         NOT NULL DEFAULT 0,
  -- Set once, when the sweep finds the cart abandoned (and published
  -- CartAbandoned); reminded_at when that event asked for a reminder.
  abandoned_at        timestamptz,
  reminded_at         timestamptz
);
-- The abandonment sweep's candidates.
CREATE INDEX carts_abandon_idx ON carts (updated_at)
  WHERE state = 1 AND abandoned_at IS NULL AND line_count > 0 AND email <> '';
CREATE INDEX carts_reminded_idx ON carts (email, reminded_at) WHERE reminded_at IS NOT NULL;
CREATE INDEX carts_expires_idx ON carts (expires_at);
CREATE INDEX carts_updated_idx ON carts (updated_at DESC, id DESC);
CREATE INDEX carts_customer_idx ON carts (customer_id, updated_at DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX carts_email_idx ON carts (email, updated_at DESC);

-- Store settings (ORD-15): one row, a serialized store.order.v1.OrderSettings
-- without order_number_start (that is order_number_counter).
CREATE TABLE order_settings (
  id         smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  body       bytea       NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE discount_codes (
  id         uuid        PRIMARY KEY,
  code       text        NOT NULL UNIQUE,
  disabled   boolean     NOT NULL,
  -- Orders placed with the code (one per redemption below); the row is
  -- locked by each checkout that redeems it, so limits hold under load.
  times_used int         NOT NULL DEFAULT 0,
  body       bytea       NOT NULL,  -- serialized store.order.v1.DiscountCode
  version    bigint      NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE discount_redemptions (
  code_id      uuid        NOT NULL REFERENCES discount_codes (id),
  order_id     uuid        NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
  -- The customer id, or "email:<lower-cased email>" for a guest.
  customer_key text        NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (code_id, order_id)
);
CREATE INDEX discount_redemptions_customer_idx ON discount_redemptions (code_id, customer_key);
