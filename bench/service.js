// What the service benchmarks share: the built CLI started in a role, and cleanup of a queue prefix.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { deletePrefix as deleteKeysUnder } from '../packages/queue/dist/index.js';

const CLI = fileURLToPath(new URL('../services/cli/dist/main.js', import.meta.url));

/**
 * Starts `ddinit <role>` (api, worker) with `env` and resolves once its stderr matches `ready`, with
 * the match (the API logs its URL) and a `stop()` that sends SIGTERM and waits for the exit.
 */
export function startRole(role, env, ready) {
  const child = spawn(process.execPath, [CLI, role], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
      const match = ready.exec(stderr);
      if (match) resolve({ match, pid: child.pid, stop });
    });
    child.on('exit', (code) => reject(new Error(`ddinit ${role} exited with ${code}:\n${stderr}`)));
  });

  function stop() {
    if (child.exitCode !== null) return Promise.resolve();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    return exited;
  }
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(redisUrl, prefix) {
  const redis = new Redis(redisUrl);
  try {
    await deleteKeysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
