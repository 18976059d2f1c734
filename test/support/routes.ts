/**
 * The routes an Express app serves, read from its router stack (Express 4:
 * app._router.stack, with the routers mounted by app.use at the root), so a
 * test over "every route" covers a route added later without being edited.
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';

export interface AppRoute {
  method: string;
  /** The pattern, e.g. /holds/:holdId/capture. */
  pattern: string;
  /** The pattern with every :param replaced by a fresh UUID. */
  path: string;
}

interface Layer {
  name: string;
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  regexp?: { fast_slash?: boolean };
}

export function appRoutes(app: Express): AppRoute[] {
  const stack = (app as unknown as { _router?: { stack: Layer[] } })._router?.stack;
  if (!stack) throw new Error('the app has no router stack (not Express 4?)');
  return collect(stack);
}

function collect(stack: Layer[]): AppRoute[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const patterns = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      return patterns.flatMap((pattern) =>
        Object.keys(layer.route!.methods)
          .filter((method) => method !== '_all')
          .map((method) => ({ method: method.toUpperCase(), pattern, path: pattern.replace(/:[A-Za-z_]+/g, () => randomUUID()) })),
      );
    }
    if (layer.name === 'router' && layer.handle?.stack) {
      // Only routers mounted at the root; a mount path would have to be prefixed here.
      if (!layer.regexp?.fast_slash) throw new Error('a router mounted below the root: teach test/support/routes.ts its mount path');
      return collect(layer.handle.stack);
    }
    return [];
  });
}
