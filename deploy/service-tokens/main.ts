/**
 * Makes the service credentials of a stack (lib/service-auth/topology.ts):
 *
 *   node dist/deploy/service-tokens/main.js DIR
 *
 * writes DIR/<holder>/<VARIABLE> (0700 directories, 0600 files) with fresh
 * random tokens for every process that holds one (accounts, ledger,
 * read-model, gateway, worker, operator), unless DIR holds a complete set
 * already: the running processes use that one. deploy/stack up runs it into
 * $DATA_DIR/run/service-tokens; docker-compose.yml's service-tokens job into
 * its volume. To rotate every token: stop the apps, delete DIR, start them.
 */
import { writeCredentialDirectory } from '../../lib/service-auth/topology';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: service-tokens DIR');
  process.exit(2);
}
console.log(writeCredentialDirectory(dir) ? `new service credentials in ${dir}` : `service credentials kept in ${dir}`);
