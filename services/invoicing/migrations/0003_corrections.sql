-- An edited order (ORD-06) gets a new invoice; the one it replaces is
-- credited in full and marked corrected (status 3). An order has at most one
-- invoice that is not corrected.
DROP INDEX invoices_one_per_order;
CREATE UNIQUE INDEX invoices_one_current_per_order ON invoices (order_id)
  WHERE kind = 1 AND status <> 3;
