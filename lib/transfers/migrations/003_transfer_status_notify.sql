-- A status change of a transfer is announced on the channel `transfer_status`
-- (lib/transfers/status-notifications.ts), so the gateway learns of it by a
-- push instead of polling the row: a `?wait=true` request sleeps until its
-- transfer's notification wakes it. PostgreSQL delivers a notification only
-- when (and if) the writing transaction commits, so a listener never hears of
-- a status it then cannot read. The payload stays small (well under the 8000
-- byte limit): the listener reads the row itself for the full resource.

CREATE FUNCTION notify_transfer_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('transfer_status', json_build_object('id', NEW.id, 'status', NEW.status)::text);
  RETURN NULL;
END;
$$;

-- Only a real move: recordStatus's guard already keeps a repeated or backward
-- write from updating the row, and other column updates are not news.
CREATE TRIGGER transfers_status_notify
  AFTER UPDATE OF status ON transfers
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION notify_transfer_status();
