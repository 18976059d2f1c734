-- Transfer batches (POST /v1/transfer-batches): up to 1,000 transfers in one
-- request, run by one workflow (workflows/transfer-batch.ts). The gateway
-- writes the batch, its key and every item's transfers row in one
-- transaction; the workflow posts the items chunk by chunk and records their
-- statuses in bulk, then the batch's outcome. Each item is an ordinary
-- transfer (GET /v1/transfers/{id}, statements, reversal) that knows its
-- batch and its place in it.

CREATE TABLE transfer_batches (
  id            uuid PRIMARY KEY,
  mode          text NOT NULL CHECK (mode IN ('atomic', 'independent')),
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'failed')),
  item_count    integer NOT NULL CHECK (item_count BETWEEN 1 AND 1000),
  posted_count  integer NOT NULL DEFAULT 0 CHECK (posted_count >= 0),
  failed_count  integer NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
  failure_code  text,
  failure_index integer,
  trace_id      text,
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (posted_count + failed_count <= item_count),
  -- A final batch accounts for every item; a failed one (atomic only) says which item and why, and posted none.
  CHECK (status = 'pending' OR posted_count + failed_count = item_count),
  CHECK (status <> 'failed' OR (mode = 'atomic' AND failure_code IS NOT NULL AND failure_index IS NOT NULL AND posted_count = 0)),
  CHECK (failure_index IS NULL OR failure_index BETWEEN 0 AND item_count - 1)
);
CREATE INDEX transfer_batches_created_by_idx ON transfer_batches (created_by, created_at DESC, id DESC);
-- The gateway's resumer starts the workflow of a batch left pending (its start failed, or it was terminated).
CREATE INDEX transfer_batches_pending_idx ON transfer_batches (created_at) WHERE status = 'pending';

-- A key names one batch of one principal, as idempotency_keys does for transfers.
CREATE TABLE batch_idempotency_keys (
  principal    text NOT NULL CHECK (length(principal) BETWEEN 1 AND 255),
  key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  batch_id     uuid NOT NULL REFERENCES transfer_batches (id) DEFERRABLE INITIALLY DEFERRED,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, key)
);
CREATE INDEX batch_idempotency_keys_created_idx ON batch_idempotency_keys (created_at);

-- reference: the client's own name of a batch item (its payroll line, its invoice), returned as sent.
ALTER TABLE transfers
  ADD COLUMN batch_id    uuid REFERENCES transfer_batches (id),
  ADD COLUMN batch_index integer CHECK (batch_index >= 0),
  ADD COLUMN reference   text CHECK (length(reference) BETWEEN 1 AND 255),
  ADD CONSTRAINT transfers_batch_place_whole CHECK ((batch_id IS NULL) = (batch_index IS NULL));
-- One transfer per place in a batch; also the index of GET /v1/transfer-batches/{id}/transfers.
CREATE UNIQUE INDEX transfers_batch_place_idx ON transfers (batch_id, batch_index) WHERE batch_id IS NOT NULL;

-- A batch's status move is announced on a channel of its own, which the
-- gateway's status listener hears beside the transfers' (migration 003), so a
-- `?wait=true` request for a batch is woken by a push too.
CREATE FUNCTION notify_batch_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('transfer_batch_status', json_build_object('id', NEW.id, 'status', NEW.status)::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER transfer_batches_status_notify
  AFTER UPDATE OF status ON transfer_batches
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION notify_batch_status();
