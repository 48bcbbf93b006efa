-- CUS-13: order snapshots hold the buyer; to find them on a customer's
-- erasure they carry the customer id and email (set from now on; older rows
-- are found through their invoices).
ALTER TABLE order_snapshots ADD COLUMN customer_id uuid;
ALTER TABLE order_snapshots ADD COLUMN buyer_email text NOT NULL DEFAULT '';
CREATE INDEX order_snapshots_customer_idx ON order_snapshots (customer_id)
  WHERE customer_id IS NOT NULL;
