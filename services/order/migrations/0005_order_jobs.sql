-- Bulk jobs (ORD-09, ORD-16). A job is stored with every order it will
-- touch (the filter's matches fixed at submission); an item leaves
-- `pending` (1) in the same transaction that changes its order, so a job
-- resumed after a crash changes each order at most once.
CREATE TABLE order_jobs (
  id           uuid        PRIMARY KEY,
  request_id   uuid        NOT NULL UNIQUE,
  request_hash text        NOT NULL,
  action       smallint    NOT NULL,       -- store.order.v1.OrderJobAction
  reason       text        NOT NULL DEFAULT '',
  undo_of      uuid        UNIQUE REFERENCES order_jobs (id),
  actor        text        NOT NULL,
  total        int         NOT NULL,
  done         boolean     NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL,
  finished_at  timestamptz
);
CREATE INDEX order_jobs_created_idx ON order_jobs (created_at DESC, id DESC);
CREATE INDEX order_jobs_running_idx ON order_jobs (created_at) WHERE NOT done;

CREATE TABLE order_job_items (
  job_id          uuid        NOT NULL REFERENCES order_jobs (id) ON DELETE CASCADE,
  position        int         NOT NULL,
  order_id        uuid,                     -- NULL: a CSV order number with no order
  order_number    bigint      NOT NULL DEFAULT 0,
  carrier         text        NOT NULL DEFAULT '',
  tracking_number text        NOT NULL DEFAULT '',
  tracking_url    text        NOT NULL DEFAULT '',
  outcome         smallint    NOT NULL DEFAULT 1,  -- store.order.v1.OrderJobItemOutcome
  from_status     smallint    NOT NULL DEFAULT 0,
  to_status       smallint    NOT NULL DEFAULT 0,
  version_after   bigint      NOT NULL DEFAULT 0,  -- the order's version once changed
  -- An undo's item: the version the undone job left the order at, and the
  -- status it had before that job.
  expected_version bigint     NOT NULL DEFAULT 0,
  restore_status  smallint    NOT NULL DEFAULT 0,
  error_code      text        NOT NULL DEFAULT '',
  error_message   text        NOT NULL DEFAULT '',
  done_at         timestamptz,
  PRIMARY KEY (job_id, position)
);
CREATE INDEX order_job_items_pending_idx ON order_job_items (job_id, position) WHERE outcome = 1;

-- Each history entry names the job that made it, if one did.
ALTER TABLE order_history ADD COLUMN job_id uuid;
