/**
 * CLI: rebuilds the read model's projections from the beginning of the Kafka
 * topics into a shadow schema, then swaps it in place of the live one in one
 * transaction (see rebuild/rebuild-projections.ts). The running service may
 * stay up: its queries switch to the rebuilt tables at the swap.
 *
 *   npm run readmodel:rebuild
 *
 * It reads the ledger with the read model's LEDGER_TOKEN: the npm script points
 * SERVICE_TOKENS_DIR at the native stack's read-model credentials unless it is set
 * (in a container: the read-model service's own, docker compose run read-model ...).
 *
 * Exit code 0 once swapped; 1 on failure (a failure before the swap leaves the live tables as they were).
 * It refuses to swap a projection that does not start at the first event, or
 * whose balances differ from the ledger's (rebuild/completeness.ts): the
 * ledger must be up.
 */
import { LedgerClient } from '../../lib/clients/ledger';
import { loadConfig, requireServiceTokens } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { rebuildProjections } from './rebuild/rebuild-projections';

const logger = createLogger('read-model-rebuild');

const config = loadConfig();
const ledger = new LedgerClient({ baseUrl: config.ledgerUrl, token: requireServiceTokens(config, ['ledger']).ledger });

rebuildProjections({ config, logger, ledger })
  .finally(() => ledger.close())
  .then(() => {
    process.exitCode = 0;
  })
  .catch((error: unknown) => {
    logger.fatal({ err: error }, 'rebuild failed');
    process.exitCode = 1;
  });
