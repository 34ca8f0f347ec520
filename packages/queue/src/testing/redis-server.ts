/**
 * A Redis server of a test's own, as a child process on a free loopback port with its data in a
 * temporary folder: a test can kill and restart it, which the shared Redis must never see. AOF with
 * `appendfsync always` by default, the setting under which every acknowledged write survives a crash.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export interface RedisTestServerOptions {
  /** AOF fsync policy. @defaultValue 'always' */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Longest wait for the server to accept connections. @defaultValue 10_000 */
  startTimeoutMs?: number;
}

export interface RedisTestServer {
  port: number;
  url: string;
  /** The server's folder (AOF files). */
  dir: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** SIGKILL: a crash, nothing flushed beyond what the fsync policy already wrote. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing is answered, as behind a network partition. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Starts the server again on the same port and folder; it loads the AOF before it answers. */
  start(): Promise<void>;
  /** Stops the server and deletes its folder. */
  close(): Promise<void>;
}

/** Starts `redis-server` (from PATH) on a free port; `close()` removes every trace of it. */
export async function startRedisServer(options: RedisTestServerOptions = {}): Promise<RedisTestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ddinit-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    options.appendfsync ?? 'always',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
  ];
  let child: ChildProcess | undefined;

  const start = async () => {
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk;
        // Logged once the AOF is loaded, right before the first command is served.
        if (output.includes('Ready to accept connections')) {
          started.stdout?.off('data', onData);
          resolve();
        }
      };
      started.stdout?.on('data', onData);
      started.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${output}`)));
      setTimeout(
        () => reject(new Error(`redis-server did not start in time: ${output}`)),
        options.startTimeoutMs ?? 10_000,
      ).unref();
    });
    // Keep draining its output so a full pipe never blocks it.
    started.stderr?.resume();
    try {
      await ready;
    } catch (error) {
      started.kill('SIGKILL');
      throw error;
    }
    started.stdout?.resume();
  };

  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };

  try {
    await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    start,
    close: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
