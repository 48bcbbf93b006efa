-- ORD-01: order numbers come from a sequence, so placements never wait for
-- one another's number. Unique and increasing; a placement that rolls back
-- leaves its number unused (as Shopify's and Magento's order numbers do; the
-- invoicing service keeps its legally gapless series). The order number
-- start (ORD-15) sets the sequence.
CREATE SEQUENCE order_number_seq AS bigint MINVALUE 1;
SELECT setval('order_number_seq', (SELECT next_value FROM order_number_counter WHERE id = 1),
              false);
DROP TABLE order_number_counter;
