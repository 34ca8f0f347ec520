/**
 * The worker as a process: `node services/worker/dist/run.js`. Configuration comes from the
 * environment (see config.ts); a bad value stops it at once with a message naming the variable.
 */
import { isDdinitError } from '@ddinit/contracts';
import { loadConfig } from './config.js';
import { jsonLog } from './log.js';
import { startWorker } from './main.js';

try {
  const handle = await startWorker(loadConfig(process.env), { handleSignals: false });
  const shutdown = async () => {
    await handle.close();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (error) {
  if (isDdinitError(error) && error.code === 'config_invalid') process.stderr.write(`${error.message}\n`);
  else jsonLog('error', 'the worker could not start', { error: String(error) });
  process.exit(1);
}
