-- Store-credit debits waiting for their order (ORD-13, REL-9). PlaceOrder
-- commits a row before it asks the customer service to debit the wallet,
-- and deletes it in the transaction that stores the paid order, or once the
-- debit was given back. A row that outlives its placement (the customer
-- service or this one died mid-call, the client gave up) is a debit whose
-- order may never be stored: the `wallet-reversals` job gives it back, so no
-- wallet is debited without its order or its reversal.
CREATE TABLE pending_wallet_debits (
  request_id  uuid        PRIMARY KEY,   -- the placement's, the debit's idempotency key
  customer_id uuid        NOT NULL,
  created_at  timestamptz NOT NULL,
  attempts    int         NOT NULL DEFAULT 0,
  last_error  text        NOT NULL DEFAULT ''
);
CREATE INDEX pending_wallet_debits_created_idx ON pending_wallet_debits (created_at);
