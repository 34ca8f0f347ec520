import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

/** The native side caps its thread pool at 8 (`max_num_threads` in the package's backend.cc). */
export const MAX_WASM_THREADS = 8;

/** How long the threaded build may take to compile and start its workers before we give up on it. */
const START_TIMEOUT_MS = 60_000;

type Cwrapped = (...args: number[]) => number;

/** The parts of the emscripten module of the threaded-SIMD build (tfjs 4.22.0) that we touch. */
interface ThreadedModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): Cwrapped;
  PThread: { runningWorkers: Worker[]; unusedWorkers: Worker[] };
  tfjs?: Record<string, Cwrapped>;
}

/** The slice of the WebAssembly JS API used here; this project's libs do not declare it. */
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: WasmImports): Promise<{ instance: object; module: object }>;
}
type WasmImports = Record<string, Record<string, unknown>>;
const { WebAssembly } = globalThis as unknown as { WebAssembly: WasmApi };

interface FactoryConfig {
  mainScriptUrlOrBlob: string;
  locateFile(file: string, prefix: string): string;
  instantiateWasm(imports: WasmImports, receive: (instance: object, module: object) => void): object;
  onAbort(what: unknown): void;
}

type ModuleFactory = (config: FactoryConfig) => Promise<ThreadedModule>;

interface BuildFiles {
  glue: string;
  wasm: string;
  worker: string;
}

/**
 * Builds a `wasm` backend on the package's threaded-SIMD binary with `threads` threads, working
 * around three things that stop it in Node:
 * - the package hands the pthread workers a Blob URL, which `worker_threads` rejects, so the glue
 *   here gets real file paths for its main script and for the worker script;
 * - the native side sizes its pool as min(requested, logical cores / 2, 8), so the core count it
 *   asks JavaScript for is reported as twice the threads wanted;
 * - running pthread workers are ref'd, so they are unref'd to let Node exit, and the spare ones the
 *   glue pre-spawns are terminated.
 */
export async function createThreadedWasmBackend(threads: number): Promise<BackendWasm> {
  const files = locateBuild();
  const factory = require(files.glue) as ModuleFactory;
  const module = await withoutGlueListeners(() => startModule(factory, files, threads));
  // The same bridge the package's own `init()` builds (backend_wasm.js, 4.22.0).
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  // BackendWasm's constructor reads this module-level count and creates the pthread pool.
  setThreadsCount(threads);
  const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  // The glue pre-spawns 8 workers whatever the pool size; the pool is created by now and never
  // grows, so spares only cost memory and slow down exit.
  for (const spare of module.PThread.unusedWorkers.splice(0)) void spare.terminate();
  for (const worker of module.PThread.runningWorkers) worker.unref();
  return backend;
}

/**
 * The glue adds process listeners that rethrow every uncaught error from inside itself, so Node
 * prints a 50 kB line of minified glue instead of the error's source; remove them once it started.
 */
async function withoutGlueListeners<T>(start: () => Promise<T>): Promise<T> {
  const emitter = process as unknown as NodeJS.EventEmitter;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((event) => new Set(emitter.listeners(event)));
  try {
    return await start();
  } finally {
    events.forEach((event, i) => {
      for (const listener of emitter.listeners(event)) {
        if (!before[i]!.has(listener)) emitter.removeListener(event, listener as () => void);
      }
    });
  }
}

function startModule(factory: ModuleFactory, files: BuildFiles, threads: number): Promise<ThreadedModule> {
  return new Promise<ThreadedModule>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`threaded wasm did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    timer.unref();
    const settle = <A>(action: (value: A) => void) => {
      return (value: A) => {
        clearTimeout(timer);
        action(value);
      };
    };
    const fail = settle(reject);
    factory({
      mainScriptUrlOrBlob: files.glue,
      locateFile: (file, prefix) => {
        if (file.endsWith('.worker.js')) return files.worker;
        if (file.endsWith('.wasm')) return files.wasm;
        return prefix + file;
      },
      instantiateWasm: (imports, receive) => {
        const env = imports.env ?? {};
        if (typeof env.emscripten_num_logical_cores !== 'function') {
          throw new Error('threaded wasm build has no emscripten_num_logical_cores import');
        }
        env.emscripten_num_logical_cores = () => 2 * threads;
        WebAssembly.instantiate(fs.readFileSync(files.wasm), imports).then(
          ({ instance, module }) => receive(instance, module),
          fail,
        );
        return {};
      },
      onAbort: (what) => fail(new Error(`threaded wasm aborted: ${String(what)}`)),
    }).then(settle(resolve), fail);
  });
}

/** Paths of the threaded build; the worker script ships as a JS string and is written to a file once. */
function locateBuild(): BuildFiles {
  const root = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const out = path.join(root, 'wasm-out');
  const glue = path.join(out, 'tfjs-backend-wasm-threaded-simd.js');
  const wasm = path.join(out, 'tfjs-backend-wasm-threaded-simd.wasm');
  for (const file of [glue, wasm]) {
    if (!fs.existsSync(file)) throw new Error(`missing ${file}`);
  }
  const { wasmWorkerContents } = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The string holds escapes such as "\n" that were unescaped when it became a template literal.
  return { glue, wasm, worker: writeOnce(wasmWorkerContents.replace(/\n/g, '\\n')) };
}

/** Writes `contents` under a name derived from its hash, atomically, so processes can share it. */
function writeOnce(contents: string): string {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `ddinit-tfjs-wasm-${hash}.worker.cjs`);
  if (fs.existsSync(file)) return file;
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, contents);
  fs.renameSync(partial, file);
  return file;
}
