import type { FastifyInstance } from 'fastify';
import { type AppDeps, buildApp } from './app.js';
import type { ApiConfig } from './config.js';

export interface RunningApi {
  /** Base URL the API listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  app: FastifyInstance;
  /** Stops accepting requests, finishes those in flight, then closes queues and connections. */
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
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, app, close: () => app.close() };
}
