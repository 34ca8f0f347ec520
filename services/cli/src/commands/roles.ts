/**
 * `ddinit api`, `ddinit worker` and `ddinit serve` (both in one process, for development). Each reads
 * its configuration from the environment (services/api and services/worker document the variables)
 * and runs until SIGINT or SIGTERM, then shuts down gracefully.
 */
import { loadConfig as loadApiConfig, startApi } from '@ddinit/api';
import { defineError } from '@ddinit/contracts';
import { loadConfig as loadWorkerConfig, startWorker } from '@ddinit/worker';
import type { Command } from 'commander';
import type { Io } from '../io.js';

const configInvalid = defineError('config_invalid', (message: string) =>
  message.replace(/:\s*\n\s*/, ': ').replace(/\s*\n\s*/g, '; '),
);

interface Running {
  close(): Promise<void>;
}

type Role = 'api' | 'worker';

export function addRoleCommands(program: Command, io: Io): Command[] {
  const describe: Record<Role | 'serve', string> = {
    api: 'run the HTTP API (PORT, REDIS_URL, DDINIT_API_KEYS, DDINIT_ALLOWED_BUCKETS, S3_*, …)',
    worker: 'run an initialization worker (REDIS_URL, DDINIT_ALLOWED_BUCKETS, S3_*, DDINIT_BACKEND, …)',
    serve: 'run the API and one worker in one process, for development',
  };
  const roles: Record<Role | 'serve', Role[]> = {
    api: ['api'],
    worker: ['worker'],
    serve: ['api', 'worker'],
  };
  return (Object.keys(roles) as (Role | 'serve')[]).map((name) =>
    program
      .command(name)
      .description(describe[name])
      .action(() => runRoles(roles[name], io)),
  );
}

async function runRoles(roles: Role[], io: Io): Promise<void> {
  // Check every configuration before starting anything.
  const env = io.env;
  const starters = roles.map((role) => (role === 'api' ? apiStarter(env, io) : workerStarter(env, io)));
  // The keys are hashed now; the worker's processor (it inherits this environment) and crash dumps
  // need not see them.
  delete process.env.DDINIT_API_KEYS;
  const running: Running[] = [];
  try {
    for (const start of starters) running.push(await start());
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  } finally {
    for (const role of running.reverse()) await role.close();
  }
}

function apiStarter(env: Record<string, string | undefined>, io: Io): () => Promise<Running> {
  let config: ReturnType<typeof loadApiConfig>;
  try {
    config = loadApiConfig(env);
  } catch (error) {
    throw configInvalid((error as Error).message);
  }
  return async () => {
    const api = await startApi(config);
    io.stderr.write(`ddinit: API listening on ${api.url}\n`);
    return api;
  };
}

function workerStarter(env: Record<string, string | undefined>, io: Io): () => Promise<Running> {
  const config = loadWorkerConfig(env);
  return async () => {
    const worker = await startWorker(config, { handleSignals: false });
    io.stderr.write('ddinit: worker started\n');
    return worker;
  };
}
