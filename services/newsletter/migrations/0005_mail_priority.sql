-- Transactional mails (order and shipping notices, password resets, opt-in
-- confirmations) are claimed before marketing mails: a campaign that queues
-- 100,000 mails at once must not hold up a password reset until it is sent.
-- The claim reads the due mails of kind 1 (TRANSACTIONAL), then of kind 2
-- (MARKETING), each oldest first, from this index.
ALTER TABLE mails ADD CONSTRAINT mails_kind_known CHECK (kind IN (1, 2));
CREATE INDEX mails_due_kind_idx ON mails (kind, next_attempt_time, id) WHERE status = 1;
DROP INDEX mails_due_idx;
