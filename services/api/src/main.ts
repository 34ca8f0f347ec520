#!/usr/bin/env node
/** The API process: configuration from the environment, graceful shutdown on SIGINT/SIGTERM. */
import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from './config.js';
import { startApi } from './server.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(78); // EX_CONFIG
}
// The keys are hashed now; child processes and crash dumps need not see them.
delete process.env.DDINIT_API_KEYS;

const api = await startApi(config);
api.app.log.info({ url: api.url }, 'ddinit API listening');
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) api.app.log.error({ err }, 'shutting down after an error');
  else api.app.log.info({ signal }, 'shutting down');
  await api.close();
});
