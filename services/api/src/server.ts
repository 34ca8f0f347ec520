import type { FastifyInstance } from 'fastify';
import { type AppDeps, buildApp } from './app.js';
import type { ApiConfig } from './config.js';

export interface RunningApi {
  /** Base URL the API listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  app: FastifyInstance;
  /**
   * Stops accepting connections, finishes the requests in flight (closing each connection once its
   * request is answered), then closes queues and connections.
   */
  close(): Promise<void>;
}

/** Builds the app and listens on `config.host:config.port` (port 0 picks a free one). */
export async function startApi(config: ApiConfig, deps?: AppDeps): Promise<RunningApi> {
  const app = await buildApp(config, deps);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    app,
    close: () => closeDraining(app),
  };
}

/** How often a closing server drops keep-alive connections that have gone idle. */
const REAP_IDLE_MS = 100;

/**
 * `app.close()` with prompt draining. Node's server.close() drops only the connections idle at that
 * moment; one whose request finishes afterwards stays open until the client lets go of it (undici
 * after 4 s, a load balancer after minutes), and the close waits for it. So idle connections are
 * dropped again every REAP_IDLE_MS until the server has closed.
 */
async function closeDraining(app: FastifyInstance): Promise<void> {
  const reaper = setInterval(() => app.server.closeIdleConnections(), REAP_IDLE_MS);
  try {
    await app.close();
  } finally {
    clearInterval(reaper);
  }
}
