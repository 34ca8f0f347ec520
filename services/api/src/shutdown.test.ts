/**
 * The API process (`node dist/main.js`) on SIGTERM: it stops accepting connections, finishes the
 * requests it is in the middle of, exits 0, and every job it answered 202 for is in the queue.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { INIT_QUEUE } from '@ddinit/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { deleteKeys, KEYS, REDIS_URL, uniquePrefix, validSpec, waitFor } from './testing/harness.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

let child: ChildProcess | undefined;
let prefix: string;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await deleteKeys(prefix);
});

/** Starts the built API on a free port; resolves with its URL once it listens. */
async function startApiProcess(): Promise<{ url: string; exited: Promise<number | null>; log(): string }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx tsc -b\` first`);
  prefix = uniquePrefix('sigterm');
  const started = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL,
      DDINIT_QUEUE_PREFIX: prefix,
      DDINIT_API_KEYS: `${KEYS.alpha}:alpha`,
      DDINIT_ALLOWED_BUCKETS: 'models,outputs',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  const exited = once(started, 'exit').then(([code]) => code as number | null);
  let output = '';
  started.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not start:\n${output}`)), 20_000);
    started.stdout?.on('data', (chunk) => {
      output += chunk;
      const listening = /"url":"([^"]+)","msg":"ddinit API listening"/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`the API exited with ${code}:\n${output}`)));
  });
  return { url, exited, log: () => output };
}

/** A POST /v1/jobs whose body is sent in two parts, so the request is in flight between them. */
function slowSubmit(url: string): { finish(): void; response: Promise<{ status: number; body: string }> } {
  const body = Buffer.from(JSON.stringify(validSpec()));
  const { hostname, port } = new URL(url);
  const req = httpRequest({
    hostname,
    port,
    method: 'POST',
    path: '/v1/jobs',
    headers: {
      authorization: `Bearer ${KEYS.alpha}`,
      'content-type': 'application/json',
      'content-length': body.length,
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, 10));
  return { finish: () => req.end(body.subarray(10)), response };
}

async function refusesConnections(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/health/live`);
    return false;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

test('SIGTERM: refuses new connections, completes requests in flight, exits 0, loses no accepted job', async () => {
  const { url, exited, log } = await startApiProcess();
  const slow = slowSubmit(url);
  // A burst racing the signal: each is either accepted (and then queued) or never answered.
  const burst = Array.from({ length: 20 }, () =>
    fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.alpha}`, 'content-type': 'application/json' },
      body: JSON.stringify(validSpec()),
    }).then(
      async (response) => ({ status: response.status, body: (await response.json()) as { id?: string } }),
      () => ({ status: 0, body: {} as { id?: string } }),
    ),
  );
  // The slow request's headers are in: it is a request in flight, not an idle connection.
  await new Promise((resolve) => setTimeout(resolve, 300));
  child!.kill('SIGTERM');

  await waitFor('the API to refuse new connections', async () => refusesConnections(url), 5_000);
  expect(child!.exitCode).toBeNull();
  slow.finish();
  const finished = await slow.response;
  expect(finished.status).toBe(202);
  const answeredAt = Date.now();
  expect({ code: await exited, log: log() }).toMatchObject({ code: 0 });
  // Well within close-with-grace's 10 s: keep-alive connections did not hold the close open.
  expect(Date.now() - answeredAt).toBeLessThan(3_000);

  const answers = await Promise.all(burst);
  expect(answers.filter((answer) => answer.status !== 202 && answer.status !== 0)).toEqual([]);
  const accepted = [
    JSON.parse(finished.body).id as string,
    ...answers.filter((answer) => answer.status === 202).map((answer) => answer.body.id!),
  ];
  const connection = new Redis(REDIS_URL);
  const queue = new Queue(INIT_QUEUE, { connection, prefix, skipMetasUpdate: true });
  try {
    const states = await Promise.all(accepted.map((id) => queue.getJobState(id)));
    expect(states).toEqual(accepted.map(() => 'prioritized'));
  } finally {
    await queue.close();
    connection.disconnect();
  }
}, 40_000);
