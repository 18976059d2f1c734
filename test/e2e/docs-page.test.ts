/**
 * The docs page (GET /docs, api/docs-page.ts) in a real browser: headless
 * Chromium opens the running gateway's /docs and finds every operation of the
 * gateway's own /openapi.json rendered (method, path and operationId), with
 * every asset the page loaded served by the gateway itself (no CDN) and no
 * script error.
 */
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { api, ensureSystem, GATEWAY_URL } from '../support/system';

const RENDERED_TIMEOUT_MS = 30_000;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

interface RenderedOperation {
  method: string;
  path: string;
  operationId: string;
}

let browser: Browser;

beforeAll(async () => {
  ensureSystem();
  browser = await launchChromium();
}, 5 * 60_000);

afterAll(async () => {
  await browser?.close();
});

/** Every operation of the document, as "METHOD path operationId". */
function documentedOperations(doc: { paths: Record<string, Record<string, { operationId: string }>> }): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.entries(item).filter(([method]) => METHODS.includes(method)).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`))
    .sort();
}

// Run inside the page: Swagger UI's operation blocks (the test's TypeScript has no DOM types, so this is page-side source).
const RENDERED_OPERATIONS = `[...document.querySelectorAll('.opblock')].map((block) => ({
  method: block.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '',
  path: block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '',
  operationId: block.querySelector('.opblock-summary-operation-id')?.textContent?.trim() ?? '',
}))`;

describe('the docs page', () => {
  it('when /docs is opened, then every operation of /openapi.json is rendered, from assets the gateway served', async () => {
    const doc = (await api.get('/openapi.json')).body;
    const expected = documentedOperations(doc);
    const page = await browser.newPage();
    const errors: string[] = [];
    const requested: string[] = [];
    const failed: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => requested.push(request.url()));
    page.on('requestfailed', (request) => failed.push(request.url()));

    const answer = await page.goto(`${GATEWAY_URL}/docs`);
    await page.waitForFunction(`document.querySelectorAll('.opblock').length >= ${expected.length}`, undefined, { timeout: RENDERED_TIMEOUT_MS });
    const rendered = (await page.evaluate(RENDERED_OPERATIONS)) as RenderedOperation[];
    await page.close();

    expect(answer?.status()).toBe(200);
    expect(expected.length).toBe(20);
    expect(rendered.map((op) => `${op.method} ${op.path} ${op.operationId}`).sort()).toEqual(expected);
    expect(requested.filter((url) => !url.startsWith(`${GATEWAY_URL}/`))).toEqual([]);
    expect(requested).toEqual(expect.arrayContaining([`${GATEWAY_URL}/openapi.json`, `${GATEWAY_URL}/docs/assets/swagger-ui-bundle.js`]));
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
  }, 2 * 60_000);

  it('when an asset the page does not use is asked for, then 404: only the listed files of the package are served', async () => {
    expect((await api.get('/docs/assets/index.html')).status).toBe(404);
    expect((await api.get('/docs/assets/../package.json')).status).toBe(404);
  });
});
