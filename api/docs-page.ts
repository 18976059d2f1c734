/**
 * GET /docs: the OpenAPI document (/openapi.json) rendered by Swagger UI
 * (npm swagger-ui-dist, pinned), every asset served from this gateway: no CDN,
 * nothing loaded from elsewhere (the page's validator badge, which would call
 * out to a public validator, is off). Like /openapi.json it needs no API key;
 * "Authorize" takes one for "Try it out" when the gateway runs with API clients
 * (API_CLIENTS_FILE).
 */
import path from 'node:path';
import { Router } from 'express';

/** swagger-ui-dist's folder (its package.json is resolvable; the package ships no types). */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
/** The only files of the package the page loads. */
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Credit ledger API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  displayOperationId: true,
  docExpansion: 'list',
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'BaseLayout',
});
`;

export function docsRoutes(): Router {
  const router = Router();
  router.get('/docs', (_req, res) => void res.type('html').send(PAGE));
  router.get('/docs/init.js', (_req, res) => void res.type('application/javascript').send(INIT));
  for (const asset of ASSETS) {
    router.get(`/docs/assets/${asset}`, (_req, res) => res.sendFile(path.join(SWAGGER_UI_DIR, asset), { maxAge: '1h' }));
  }
  return router;
}
