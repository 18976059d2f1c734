-- The audit trail: one row per state-changing request to the gateway (POST,
-- PUT, PATCH, DELETE of /v1 by an authenticated principal): who (the
-- principal id, never a key), what (method, the matched route and the
-- resource it named or created), when, the outcome (status code) and the
-- trace. Written once the response is known (api/audit.ts); read through
-- GET /v1/audit, newest first, by the identity id.
--
-- Append-only, like the ledger's journal: UPDATE, DELETE and TRUNCATE are
-- refused by triggers, whoever asks.

CREATE TABLE audit_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  principal   text NOT NULL,
  method      text NOT NULL,
  -- The route template that matched ('/v1/transfers/:id/approve'); null when none did (a 404 or 405).
  route       text,
  -- The path as sent, cut to 2048 characters.
  path        text NOT NULL,
  -- The id in the path, or the id of the resource the request created (its Location); null when neither.
  resource_id text,
  status      smallint NOT NULL CHECK (status BETWEEN 100 AND 599),
  trace_id    text
);
CREATE INDEX audit_events_principal_idx ON audit_events (principal, id DESC);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at);

CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER audit_events_immutable BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
