-- Invoicing service schema. `invoices.body` is the immutable document (a
-- serialized store.invoicing.v1.Invoice); the other columns are projections
-- for filtering, totals and uniqueness.

-- Gapless numbering: one counter row per series ("INV-2026"), incremented in
-- the issuing transaction, so a rolled-back issue gives its number back.
CREATE TABLE number_series (
  series     text   PRIMARY KEY,
  last_value bigint NOT NULL
);

CREATE TABLE invoices (
  id                  uuid        PRIMARY KEY,
  kind                smallint    NOT NULL,          -- 1 invoice, 2 credit note
  series              text        NOT NULL,
  seq                 bigint      NOT NULL,
  number              text        NOT NULL UNIQUE,
  status              smallint    NOT NULL,          -- 1 issued, 2 cancelled
  order_id            uuid        NOT NULL,
  customer_id         uuid,
  buyer_email         text        NOT NULL DEFAULT '',
  currency_code       char(3)     NOT NULL,
  net_total_minor     bigint      NOT NULL,
  tax_total_minor     bigint      NOT NULL,
  total_minor         bigint      NOT NULL,
  credited_invoice_id uuid        REFERENCES invoices (id),
  source_refund_id    uuid,                          -- the refund a credit note is for
  body                bytea       NOT NULL,
  issue_time          timestamptz NOT NULL,
  source_event_time   timestamptz,                   -- when the causing event happened
  created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (series, seq)
);
-- At most one invoice per order, whatever the bus delivers.
CREATE UNIQUE INDEX invoices_one_per_order ON invoices (order_id) WHERE kind = 1;
-- At most one credit note per refund.
CREATE UNIQUE INDEX invoices_one_per_refund ON invoices (source_refund_id) WHERE kind = 2;
CREATE INDEX invoices_issue_idx ON invoices (issue_time DESC, id DESC);
CREATE INDEX invoices_order_idx ON invoices (order_id);
CREATE INDEX invoices_customer_idx ON invoices (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX invoices_email_idx ON invoices (buyer_email);

-- The latest order snapshot seen on the order topic, to issue invoices by
-- hand without asking the order service.
CREATE TABLE order_snapshots (
  order_id   uuid        PRIMARY KEY,
  version    bigint      NOT NULL,
  body       bytea       NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE settings (
  id         smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  body       bytea       NOT NULL,                   -- store.invoicing.v1.InvoicingSettings
  updated_at timestamptz NOT NULL DEFAULT now()
);
