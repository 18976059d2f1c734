/**
 * Prints the OpenAPI document as JSON, for tools that lint a file
 * (`npm run lint:openapi`): `tsx api/openapi/print.ts [--no-auth]`.
 */
import { openApiDocument } from './document';

process.stdout.write(`${JSON.stringify(openApiDocument({ auth: !process.argv.includes('--no-auth') }), null, 2)}\n`);
