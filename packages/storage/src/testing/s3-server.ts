/**
 * An S3 server (s3rver) for tests: the real S3 protocol over loopback HTTP, kept in a temporary
 * folder, so S3Store is tested through the same SDK calls it makes in production. It runs in a child
 * process (see s3rver-process.cjs for why) that the test starts and stops.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3ClientSettings } from '../s3-client.js';

export interface S3TestServer {
  /** Client settings that reach the server with the credentials it accepts. */
  settings: S3ClientSettings;
  endpoint: string;
  /** Stops the server and deletes its folder. */
  close(): Promise<void>;
}

const SERVER_SCRIPT = fileURLToPath(new URL('./s3rver-process.cjs', import.meta.url));

/** Starts s3rver on a free loopback port with `buckets` created. */
export async function startS3Server(buckets: string[]): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(tmpdir(), 'ddinit-s3rver-'));
  const child: ChildProcess = fork(SERVER_SCRIPT, [], {
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.send({ directory, buckets });
  const [{ port }] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`s3rver exited with code ${code}`))),
  ])) as [{ port: number }];
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    // s3rver checks SigV4 signatures against this fixed key pair.
    settings: {
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
    close: async () => {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
