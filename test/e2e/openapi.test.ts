/**
 * The OpenAPI document (api/openapi/) as a client developer relies on it: an
 * operationId, a tag, a summary and a description on every operation; the
 * problem answers each can give (400/413/415 wherever a body is read, 404 on
 * every id, 503 everywhere, 401 exactly when keys apply) as
 * application/problem+json; examples on every request body and success
 * answer; `required` on every field a resource always has; security as the
 * gateway enforces it. Then the running gateway: it serves the document
 * without keys, answers 405 with `Allow` for a method a documented path does
 * not take, refuses an empty cursor as the document says (minLength 1), and
 * takes every RFC 3339 year the document allows (0060 was a 400 from the read
 * model). Redocly's lint and Schemathesis check the rest (npm run
 * lint:openapi, npm run test:schemathesis).
 */
import { openApiDocument } from '../../api/openapi/document';
import { transferResource } from '../../api/openapi/resources';
import { api, createAccount, ensureSystem, GATEWAY_URL } from '../support/system';

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  requestBody?: { content: Record<string, { examples?: object }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string }; examples?: object }> }>;
}
type Doc = {
  tags: { name: string }[];
  security?: object[];
  components: { schemas: Record<string, { required?: string[]; properties?: object }>; securitySchemes?: Record<string, object> };
  paths: Record<string, Record<string, Operation>>;
};

const operations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, op })));

describe.each([
  ['with API keys', true],
  ['without API keys', false],
])('the OpenAPI document %s', (_label, auth) => {
  const doc = openApiDocument({ auth }) as Doc;
  const ops = operations(doc);

  it('when read, then it has the 20 operations, each with a unique operationId, a declared tag, a summary and a description', () => {
    const tags = doc.tags.map((t) => t.name);
    expect(ops).toHaveLength(20);
    expect(new Set(ops.map((o) => o.op.operationId)).size).toBe(20);
    expect(ops.filter(({ op }) => !op.operationId || !op.summary || !op.description || op.tags?.length !== 1 || !op.tags.every((tag) => tags.includes(tag))).map((o) => o.name)).toEqual([]);
  });

  it('when read, then every operation lists its problem answers as problem+json, 401 exactly when keys apply', () => {
    const missing: string[] = [];
    for (const { name, method, path, op } of ops) {
      const expected = ['503', ...(auth ? ['401'] : [])];
      if (method === 'post') expected.push('400', '413', '415', '429');
      if (path.includes('{id}')) expected.push('404');
      for (const status of expected) if (!op.responses[status]) missing.push(`${name} ${status}`);
      if (!auth && op.responses['401']) missing.push(`${name} has a 401 without keys`);
      for (const [status, answer] of Object.entries(op.responses)) {
        if (Number(status) >= 400 && answer.content?.['application/problem+json']?.schema?.$ref !== '#/components/schemas/Problem') missing.push(`${name} ${status} schema`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('when read, then every request body and every success answer with a body has examples', () => {
    const missing = ops.flatMap(({ name, op }) => [
      ...Object.entries(op.requestBody?.content ?? {}).filter(([, media]) => !media.examples).map(([type]) => `${name} request ${type}`),
      ...Object.entries(op.responses)
        .filter(([status, answer]) => Number(status) < 300 && answer.content)
        .flatMap(([status, answer]) => Object.entries(answer.content!).filter(([, media]) => !media.examples).map(([type]) => `${name} ${status} ${type}`)),
    ]);
    expect(missing).toEqual([]);
  });

  it('when read, then every field of a transfer, an account and a balance is required (nullable where it may be empty)', () => {
    const { schemas } = doc.components;
    expect(schemas.Transfer?.required).toEqual(Object.keys(transferResource.shape));
    for (const name of ['Account', 'Balance', 'StatementLine', 'Reversal', 'Reconciliation', 'TransferPage', 'AccountPage']) {
      const schema = schemas[name];
      expect([name, [...(schema?.required ?? [])].sort()]).toEqual([name, Object.keys(schema?.properties ?? { missing: true }).sort()]);
    }
    expect(schemas.Problem?.required).toEqual(['type', 'title', 'status', 'code']);
  });

  it(`when read, then its security is ${auth ? 'HTTP bearer on every operation' : 'none (the empty requirement) and no scheme'}`, () => {
    if (auth) {
      expect(doc.components.securitySchemes).toEqual({ bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
      expect(doc.security).toEqual([{ bearerAuth: [] }]);
    } else {
      expect(doc.components.securitySchemes).toBeUndefined();
      expect(doc.security).toEqual([{}]);
    }
  });
});

describe('the running gateway and its document', () => {
  beforeAll(() => ensureSystem(), 10 * 60_000);

  it('when /openapi.json is asked for on a gateway without API clients (development mode), then it is the document without security', async () => {
    expect((await api.get('/openapi.json')).body).toEqual(openApiDocument({ auth: false }));
  });

  it('when a documented path is sent a method it does not take, then 405 with Allow; an unknown path stays 404', async () => {
    const refused = await fetch(`${GATEWAY_URL}/v1/transfers`, { method: 'DELETE' });
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('POST, GET, HEAD');
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(((await refused.json()) as { code: string }).code).toBe('METHOD_NOT_ALLOWED');
    const freeze = await fetch(`${GATEWAY_URL}/v1/accounts/00000000-0000-4000-8000-000000000000/freeze`, { method: 'GET' });
    expect([freeze.status, freeze.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await api.get('/v1/nothing-here')).status).toBe(404);
  });

  it('when a page is asked for with an empty cursor, then 400 naming cursor, as minLength 1 says', async () => {
    const account = await createAccount('USD');
    for (const path of ['/v1/accounts?cursor=', '/v1/transfers?cursor=', `/v1/accounts/${account}/statement?cursor=`]) {
      const answer = await api.get(path);
      expect([path, answer.status, answer.body.errors?.[0]?.field]).toEqual([path, 400, 'cursor']);
    }
  });

  it('when a balance is asked for as of a year before 100, then 200 with zeros (the read model read 0060 as 1960 and refused it)', async () => {
    const account = await createAccount('USD');
    const answer = await api.get(`/v1/accounts/${account}/balance?asOf=${encodeURIComponent('0060-01-27T18:34:02.300Z')}`);
    expect([answer.status, answer.body.posted, answer.body.asOf]).toEqual([200, '0', '0060-01-27T18:34:02.300Z']);
  });
});
