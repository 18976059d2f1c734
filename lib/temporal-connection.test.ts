/**
 * The settings of lib/temporal-connection.ts really open a connection: an API
 * key with TLS off reaches the stack's own Temporal server as a bearer
 * credential. (How the settings are read: temporal-connection.unit.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig } from './config';
import { temporalSettings } from './temporal-connection';

const config = loadConfig();
/** A HOME without a Temporal config file, so the developer's own profile never leaks in. */
const home = mkdtempSync(path.join(tmpdir(), 'temporal-home-'));

describe('temporalSettings', () => {
  it('opens a connection to the stack’s Temporal with an API key as its bearer credential', async () => {
    const settings = temporalSettings(config, { HOME: home, TEMPORAL_API_KEY: 'local-key', TEMPORAL_TLS: 'false' });
    const connection = await Connection.connect(settings.connection);
    try {
      const answer = await connection.workflowService.describeNamespace({ namespace: settings.namespace });
      expect(answer.namespaceInfo?.name).toBe(settings.namespace);
    } finally {
      await connection.close();
    }
  });
});
