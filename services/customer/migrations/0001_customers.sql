-- Customer service schema. Customers are plain columns (not a serialized
-- blob) because filters, segments and exports run SQL over them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customer_groups (
  id          uuid        PRIMARY KEY,
  name        text        NOT NULL,
  discount_bp int         NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000),
  built_in    text        CHECK (built_in IN ('default', 'guests')) UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customer_groups_name_idx ON customer_groups (lower(name));
INSERT INTO customer_groups (id, name, built_in) VALUES
  ('00000000-0000-4000-8000-000000000001', 'Default', 'default'),
  ('00000000-0000-4000-8000-000000000002', 'Guests', 'guests');

-- One row of settings.
CREATE TABLE customer_settings (
  id               smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  require_approval boolean  NOT NULL DEFAULT false,
  default_group_id uuid     REFERENCES customer_groups (id) ON DELETE SET NULL
);
INSERT INTO customer_settings (id) VALUES (1);

CREATE TABLE custom_fields (
  key        text    PRIMARY KEY,
  label      text    NOT NULL,
  type       smallint NOT NULL,
  choices    text[]  NOT NULL DEFAULT '{}',
  max_length int     NOT NULL DEFAULT 1000,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
  id                 uuid        PRIMARY KEY,
  request_id         uuid        UNIQUE,
  email              text        NOT NULL,
  name               text        NOT NULL DEFAULT '',
  phone              text        NOT NULL DEFAULT '',
  country            text        NOT NULL DEFAULT '',
  group_id           uuid        REFERENCES customer_groups (id) ON DELETE SET NULL,
  tax_exempt         boolean     NOT NULL DEFAULT false,
  accepts_marketing  boolean     NOT NULL DEFAULT false,  -- latest email consent
  email_consent      bytea,                               -- store.customer.v1.ConsentState
  sms_consent        bytea,
  email_verified     boolean     NOT NULL DEFAULT false,
  state              smallint    NOT NULL,                -- AccountState
  active             boolean     GENERATED ALWAYS AS (state = 2) STORED,
  blocked            boolean     NOT NULL DEFAULT false,
  guest              boolean     NOT NULL DEFAULT false,
  password_hash      text,                                -- argon2id, libsodium's encoded string
  custom             jsonb       NOT NULL DEFAULT '{}',
  -- Purchase facts (CUS-09), derived from customer_orders.
  orders_count       int         NOT NULL DEFAULT 0,
  total_spent        bigint      NOT NULL DEFAULT 0,      -- minor units, store currency
  first_order_at     timestamptz,
  last_order_at      timestamptz,
  wallet_balance     bigint      NOT NULL DEFAULT 0,      -- minor units, store currency
  erased_at          timestamptz,
  version            bigint      NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL
);
CREATE UNIQUE INDEX customers_email_idx ON customers (email);
CREATE INDEX customers_created_idx ON customers (created_at DESC, id DESC);
CREATE INDEX customers_name_idx ON customers (lower(name), id);
CREATE INDEX customers_spent_idx ON customers (total_spent DESC, id DESC);
CREATE INDEX customers_orders_idx ON customers (orders_count DESC, id DESC);
CREATE INDEX customers_last_order_idx ON customers (last_order_at DESC NULLS LAST, id DESC);
CREATE INDEX customers_group_idx ON customers (group_id);
CREATE INDEX customers_phone_idx ON customers (phone) WHERE phone <> '';
CREATE INDEX customers_search_idx ON customers USING gin ((lower(name) || ' ' || email) gin_trgm_ops);

CREATE TABLE customer_addresses (
  id               uuid    PRIMARY KEY,
  customer_id      uuid    NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  address          bytea   NOT NULL,  -- store.common.v1.Address
  default_shipping boolean NOT NULL DEFAULT false,
  default_billing  boolean NOT NULL DEFAULT false,
  position         int     NOT NULL,
  created_at       timestamptz NOT NULL
);
CREATE INDEX customer_addresses_customer_idx ON customer_addresses (customer_id, position);

CREATE TABLE customer_notes (
  id          uuid        PRIMARY KEY,
  customer_id uuid        NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  body        text        NOT NULL,
  author      text        NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE INDEX customer_notes_customer_idx ON customer_notes (customer_id, created_at);

-- Consent ledger (CUS-16): append only.
CREATE TABLE consent_records (
  id              uuid        PRIMARY KEY,
  seq             bigserial,                -- ledger order
  customer_id     uuid        NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  channel         smallint    NOT NULL,
  granted         boolean     NOT NULL,
  level           smallint    NOT NULL,
  source          text        NOT NULL,
  wording_version text        NOT NULL DEFAULT '',
  ip              text        NOT NULL DEFAULT '',
  actor           text        NOT NULL,
  created_at      timestamptz NOT NULL
);
CREATE INDEX consent_records_customer_idx ON consent_records (customer_id, seq DESC);

-- Single-use tokens (email verification, password reset), stored hashed.
CREATE TABLE account_tokens (
  token_hash  bytea       PRIMARY KEY,   -- SHA-256 of the token
  customer_id uuid        NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  purpose     text        NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL
);
CREATE INDEX account_tokens_customer_idx ON account_tokens (customer_id, purpose);

-- Orders seen on the order topic (CUS-09): the latest snapshot's facts per
-- order, so a redelivered or out-of-order event changes nothing.
CREATE TABLE customer_orders (
  order_id      uuid        PRIMARY KEY,
  customer_id   uuid        NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  counts        boolean     NOT NULL,   -- not cancelled / rejected
  total_minor   bigint      NOT NULL,
  refunded_minor bigint     NOT NULL,
  placed_at     timestamptz NOT NULL,
  order_version bigint      NOT NULL
);
CREATE INDEX customer_orders_customer_idx ON customer_orders (customer_id);

-- Wallet ledger (CUS-10). Credits keep what is left of them in `remaining`;
-- debits record which credits they consumed in wallet_allocations.
CREATE TABLE wallet_entries (
  id              uuid        PRIMARY KEY,
  customer_id     uuid        NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  seq             bigserial,
  kind            smallint    NOT NULL,   -- WalletEntryKind
  amount          bigint      NOT NULL,   -- signed
  remaining       bigint      NOT NULL DEFAULT 0 CHECK (remaining >= 0),
  expires_at      timestamptz,
  balance_after   bigint      NOT NULL CHECK (balance_after >= 0),
  reason          text        NOT NULL,
  actor           text        NOT NULL,
  idempotency_key text,
  reverses        uuid        REFERENCES wallet_entries (id),
  created_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX wallet_entries_key_idx ON wallet_entries (customer_id, kind, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX wallet_entries_customer_idx ON wallet_entries (customer_id, seq DESC);
CREATE INDEX wallet_entries_expiring_idx ON wallet_entries (expires_at)
  WHERE kind = 1 AND remaining > 0 AND expires_at IS NOT NULL;

CREATE TABLE wallet_allocations (
  debit_id  uuid   NOT NULL REFERENCES wallet_entries (id) ON DELETE CASCADE,
  credit_id uuid   NOT NULL REFERENCES wallet_entries (id) ON DELETE CASCADE,
  amount    bigint NOT NULL CHECK (amount > 0),
  PRIMARY KEY (debit_id, credit_id)
);

-- Blacklist (CUS-11).
CREATE TABLE blacklist (
  id         uuid        PRIMARY KEY,
  phone      text        NOT NULL DEFAULT '',
  email      text        NOT NULL DEFAULT '',
  reason     text        NOT NULL DEFAULT '',
  created_by text        NOT NULL,
  created_at timestamptz NOT NULL,
  CHECK (phone <> '' OR email <> '')
);
CREATE INDEX blacklist_phone_idx ON blacklist (phone) WHERE phone <> '';
CREATE INDEX blacklist_email_idx ON blacklist (email) WHERE email <> '';

-- Segments (CUS-08) and their live membership (CUS-17).
CREATE TABLE segments (
  id           uuid        PRIMARY KEY,
  name         text        NOT NULL,
  description  text        NOT NULL DEFAULT '',
  rule         text        NOT NULL,
  member_count bigint      NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  evaluated_at timestamptz
);
CREATE UNIQUE INDEX segments_name_idx ON segments (lower(name));

CREATE TABLE segment_members (
  segment_id  uuid NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  PRIMARY KEY (segment_id, customer_id)
);
CREATE INDEX segment_members_customer_idx ON segment_members (customer_id);

-- Proof of erasure (CUS-13): no PII, only ids and hashes.
CREATE TABLE erasures (
  id           uuid        PRIMARY KEY,
  customer_id  uuid        NOT NULL,
  email_sha256 text        NOT NULL,
  phone_sha256 text        NOT NULL,
  reason       text        NOT NULL,
  requested_by text        NOT NULL,
  requested_at timestamptz NOT NULL
);
CREATE TABLE erasure_steps (
  erasure_id   uuid        NOT NULL REFERENCES erasures (id),
  service      text        NOT NULL,
  summary      text        NOT NULL,
  records      bigint      NOT NULL,
  completed_at timestamptz NOT NULL,
  PRIMARY KEY (erasure_id, service)
);
