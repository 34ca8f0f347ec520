/**
 * `ddinit submit | status | wait | cancel`: a client of the HTTP API. The API is at $DDINIT_API_URL
 * (default http://127.0.0.1:8080) and the key is $DDINIT_API_KEY. Problem responses become one-line
 * errors with the API's stable code.
 */
import { readFile } from 'node:fs/promises';
import { DdinitError, defineError, type JobView } from '@ddinit/contracts';
import { type Command, Option } from 'commander';
import type { Io } from '../io.js';

const apiKeyMissing = defineError('api_key_missing', () => 'set DDINIT_API_KEY to an API key');
const jobUnsuccessful = defineError(
  'job_unsuccessful',
  (id: string, status: string, why: string) => `job ${id} ended ${status}${why ? `: ${why}` : ''}`,
);
const waitTimeout = defineError(
  'wait_timeout',
  (id: string, seconds: number) => `job ${id} did not finish within ${seconds} s`,
);

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const fields = (json?.errors ?? []) as { path: string; message: string }[];
      const detail = [json?.detail ?? response.statusText, ...fields.map((f) => `${f.path}: ${f.message}`)];
      throw new DdinitError(json?.code ?? `http_${response.status}`, detail.join('; '));
    }
    return json as T;
  }
}

function client(io: Io): ApiClient {
  const key = io.env.DDINIT_API_KEY;
  if (!key) throw apiKeyMissing();
  return new ApiClient(io.env.DDINIT_API_URL ?? 'http://127.0.0.1:8080', key);
}

function describeJob(job: JobView): string {
  const progress = job.progress ? ` ${job.progress.phase} ${Math.round(job.progress.fraction * 100)}%` : '';
  const outcome = job.result
    ? ` → ${job.result.checkpoint}`
    : job.error
      ? ` (${job.error.code}: ${job.error.message})`
      : '';
  return `${job.id} ${job.status}${progress}${outcome}\n`;
}

interface SubmitOptions {
  spec?: string;
  model?: string;
  data?: string;
  out?: string;
  sample?: string;
  idempotencyKey?: string;
  json: boolean;
}

export function addClientCommands(program: Command, io: Io): Command[] {
  const print = (job: JobView, json: boolean) =>
    io.stdout.write(json ? `${JSON.stringify(job, null, 2)}\n` : describeJob(job));
  const submit = program
    .command('submit')
    .description('submit a job to the API: a JSON job spec (--spec), or --model, --data and --out URIs')
    .addOption(new Option('--spec <file>', 'a job spec as POST /v1/jobs takes it'))
    .addOption(new Option('--model <uri>', 's3://… or file:///… model.json'))
    .addOption(new Option('--data <uri>', 'image folder or .npy URI'))
    .addOption(new Option('--out <uri>', 'output folder URI'))
    .addOption(new Option('--sample <n>', 'images in the init sample'))
    .addOption(new Option('--idempotency-key <key>', 'resubmitting with the same key returns the same job'))
    .addOption(new Option('--json', 'print the job view as JSON').default(false))
    .action(async (options: SubmitOptions) => {
      const spec = options.spec
        ? JSON.parse(await readFile(options.spec, 'utf8'))
        : {
            model: { uri: options.model },
            dataset: { uri: options.data, ...(options.sample ? { sample: Number(options.sample) } : {}) },
            output: { uri: options.out },
          };
      const headers: Record<string, string> = options.idempotencyKey
        ? { 'idempotency-key': options.idempotencyKey }
        : {};
      print(await client(io).request<JobView>('POST', '/v1/jobs', spec, headers), options.json);
    });
  const status = program
    .command('status <id>')
    .description('show a job')
    .addOption(new Option('--json', 'print the job view as JSON').default(false))
    .action(async (id: string, options: { json: boolean }) => {
      print(await client(io).request<JobView>('GET', `/v1/jobs/${encodeURIComponent(id)}`), options.json);
    });
  const wait = program
    .command('wait <id>')
    .description('wait until a job ends; exit 0 if it succeeded')
    .addOption(new Option('--timeout <seconds>', 'give up after this long').default('3600'))
    .addOption(new Option('--json', 'print the final job view as JSON').default(false))
    .action(async (id: string, options: { timeout: string; json: boolean }) => {
      const api = client(io);
      const deadline = Date.now() + Number(options.timeout) * 1000;
      let last = '';
      for (;;) {
        const job = await api.request<JobView>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
        const line = describeJob(job);
        if (line !== last && !FINAL.has(job.status)) io.stderr.write(`ddinit: ${line}`);
        last = line;
        if (FINAL.has(job.status)) {
          print(job, options.json);
          if (job.status !== 'succeeded') throw jobUnsuccessful(id, job.status, job.error?.message ?? '');
          return;
        }
        if (Date.now() > deadline) throw waitTimeout(id, Number(options.timeout));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    });
  const cancel = program
    .command('cancel <id>')
    .description('cancel a queued or running job')
    .action(async (id: string) => {
      io.stdout.write(
        describeJob(await client(io).request<JobView>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`)),
      );
    });
  return [submit, status, wait, cancel];
}
