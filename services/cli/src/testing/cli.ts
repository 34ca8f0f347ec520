/** Shared by the tests: runs the BUILT command line (`npx tsc -b` first) and prepares inputs in temporary folders. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CLI = path.join(REPO, 'services/cli/dist/main.js');
export const MODEL = path.join(REPO, 'examples/models/vgg-cifar/model.json');
export const IMAGES = path.join(REPO, 'examples/images');
/** A small, quick run on the example model and images. */
export const SMALL = ['--sample', '16', '--held-out', '8', '--batch-size', '8'];

/** Longest a run may take before it is killed (jest's own limit is 120 s per test). */
const RUN_TIMEOUT_MS = 60_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node services/cli/dist/main.js …args` on the wasm backend, with stdout and stderr captured (not a TTY). */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -b)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, DDINIT_BACKEND: 'wasm', DDINIT_DEBUG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // A run that hangs fails its test with what it printed, instead of outliving the test run.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut)
        reject(new Error(`ddinit ${args.join(' ')} ran over ${RUN_TIMEOUT_MS} ms; stderr:\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

export interface Serving {
  /** The API's base URL. */
  url: string;
  process: ChildProcess;
  /** All it has printed so far, stdout and stderr. */
  output(): string;
  /** Sends `signal` unless it has exited, and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the BUILT `ddinit serve` (API and one worker) with exactly `env`; resolves once both are up. */
export async function startServe(env: NodeJS.ProcessEnv): Promise<Serving> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -b)`);
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ddinit serve did not start:\n${output}`));
    }, 30_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const listening = /API listening on (\S+)/.exec(output);
      if (listening && output.includes('worker started')) {
        clearTimeout(timer);
        resolve(listening[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ddinit serve exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    process: child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

export interface TempDir {
  root: string;
  cleanup(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const root = await mkdtemp(path.join(tmpdir(), 'ddinit-cli-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Copies the first `count` example images (sorted) into `dir`. */
export async function copyImages(dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names = (await readdir(IMAGES))
    .filter((name) => name.endsWith('.jpg'))
    .sort()
    .slice(0, count);
  await Promise.all(names.map((name) => copyFile(path.join(IMAGES, name), path.join(dir, name))));
  return names;
}

/** The example model.json with `edit` applied to its parsed JSON. */
export async function writeEditedModel(file: string, edit: (json: ModelJson) => void): Promise<void> {
  const json = JSON.parse(await readFile(MODEL, 'utf8')) as ModelJson;
  edit(json);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(json));
}

export interface ModelJson {
  modelTopology: { config: { layers: { class_name: string; config: { name: string } }[] } };
  weightsManifest?: { paths: string[]; weights: unknown[] }[];
}

/** The entries of `dir`, sorted; `undefined` when it does not exist. */
export async function listDir(dir: string): Promise<string[] | undefined> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
