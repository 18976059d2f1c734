import path from 'node:path';

export { appendToOutbox, currentTraceparent, type OutboxEvent } from './writer';
export { OutboxRelay, type OutboxRelayOptions } from './relay';

/** Migrations of the outbox table; services pass it to `migrate` before their own. */
export const OUTBOX_MIGRATIONS_DIR = path.join(__dirname, 'migrations');
