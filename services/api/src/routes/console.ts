/**
 * The web console: its page at `/` and its files under `/console/`. No API key here: the files are
 * public and hold no data; the console sends the key on its own /v1 calls. Hidden from OpenAPI.
 */
import { CONSOLE_APP_DIR, CONSOLE_STATIC_DIR, renderConsolePage, vendorModules } from '@ddinit/console';
import { reportScriptSources } from '@ddinit/report-html';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** Own files change with a deployment and keep their names: revalidate every time (ETag, 304). */
const REVALIDATE = 'no-cache';
/** Vendor files carry their version in the URL. */
const FOREVER = 'public, max-age=31536000, immutable';

export const consoleRoutes: FastifyPluginAsync = async (app) => {
  const vendor = vendorModules();
  const page = renderConsolePage({ vendor, frameScriptSources: reportScriptSources() });

  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', page.csp)
      .header('cache-control', REVALIDATE)
      .send(page.html),
  );

  for (const module of vendor) {
    app.get(module.url, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', FOREVER).send(module.source),
    );
  }

  for (const [prefix, root, served] of [
    // Only the modules: tsc also writes declarations and source maps beside them.
    ['/console/app/', CONSOLE_APP_DIR, /\.js$/],
    ['/console/static/', CONSOLE_STATIC_DIR, /\.(css|svg)$/],
  ] as const) {
    await app.register(fastifyStatic, {
      root,
      prefix,
      allowedPath: (path) => served.test(path),
      decorateReply: false,
      index: false,
      cacheControl: false,
      setHeaders: (reply) => reply.header('cache-control', REVALIDATE),
    });
  }
};
