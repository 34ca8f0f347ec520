/**
 * The soak's client of the HTTP API: every call returns the status with the body, since the soak
 * counts answers (202 and 200 to a cancel, 409 for a job already final) rather than failing on them.
 * A 429 or 503 is waited out and retried, as a well-behaved client would.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobResource, JobSpecInput } from '@ddinit/contracts';

export interface Answer<T> {
  status: number;
  body: T;
}

const RETRIED = new Set([429, 503]);
const MAX_TRIES = 20;

export class SoakClient {
  /** 429 and 503 answers waited out. */
  throttled = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  submit(spec: JobSpecInput, idempotencyKey: string): Promise<Answer<JobResource>> {
    return this.request('POST', '/v1/jobs', spec, { 'idempotency-key': idempotencyKey });
  }

  get(id: string): Promise<Answer<JobResource>> {
    return this.request('GET', `/v1/jobs/${id}`);
  }

  cancel(id: string): Promise<Answer<JobResource>> {
    return this.request('POST', `/v1/jobs/${id}/cancel`);
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${this.key}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!RETRIED.has(response.status) || attempt === MAX_TRIES) {
        return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
      }
      this.throttled++;
      const seconds = Number(response.headers.get('retry-after'));
      await sleep(Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1000 : 500);
    }
  }
}
