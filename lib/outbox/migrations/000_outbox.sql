-- The transactional outbox shared by the accounts and ledger services: an event
-- row is written in the same transaction as the change it describes, and the
-- relay (lib/outbox/relay.ts) publishes it to Kafka afterwards.
CREATE TABLE outbox (
  id            bigserial PRIMARY KEY,
  event_id      uuid        NOT NULL UNIQUE,
  topic         text        NOT NULL,
  message_key   text        NOT NULL,
  event_type    text        NOT NULL,
  envelope      jsonb       NOT NULL,
  -- W3C traceparent of the request that wrote the row: the relay publishes in that context.
  traceparent   text,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at  timestamptz
);

-- The relay only ever looks at unpublished rows, oldest first.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

-- Wake the relay as soon as a transaction with outbox rows commits
-- (NOTIFY is delivered at commit, once per statement is plenty).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify_after_insert
  AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
