/**
 * The API as the console calls it: same origin, `Authorization: Bearer <key>` on every call, and
 * problem+json errors turned into ApiError with their stable `code` and field errors.
 */
import type {
  BatchList,
  BatchSpecInput,
  BatchView,
  FieldError,
  JobDownload,
  JobList,
  JobLogs,
  JobResource,
  JobSpecInput,
  JobStatus,
  ScheduleList,
  ScheduleSpecInput,
  ScheduleView,
} from '@ddinit/contracts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
  }
}

interface ProblemBody {
  code?: string;
  detail?: string;
  title?: string;
  errors?: FieldError[];
}

export class Api {
  constructor(
    private readonly key: string,
    /** Called on every 401, so the console can ask for a key again. */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'network_error', 'the API cannot be reached');
    }
    if (response.ok) return response;
    const problem = (await response.json().catch(() => ({}))) as ProblemBody;
    if (response.status === 401) this.onUnauthorized();
    throw new ApiError(
      response.status,
      problem.code ?? `http_${response.status}`,
      problem.detail ?? problem.title ?? response.statusText,
      problem.errors ?? [],
    );
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.call(method, path, body);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  listJobs(query: { status?: JobStatus; cursor?: string; limit?: number }): Promise<JobList> {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.cursor) params.set('cursor', query.cursor);
    params.set('limit', String(query.limit ?? 20));
    return this.json('GET', `/v1/jobs?${params}`);
  }

  job(id: string): Promise<JobResource> {
    return this.json('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  submit(spec: JobSpecInput): Promise<JobResource> {
    return this.json('POST', '/v1/jobs', spec);
  }

  cancel(id: string): Promise<JobResource> {
    return this.json('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  retry(id: string): Promise<JobResource> {
    return this.json('POST', `/v1/jobs/${encodeURIComponent(id)}/retry`);
  }

  async reportHtml(id: string): Promise<string> {
    return (await this.call('GET', `/v1/jobs/${encodeURIComponent(id)}/report.html`)).text();
  }

  logs(id: string): Promise<JobLogs> {
    return this.json('GET', `/v1/jobs/${encodeURIComponent(id)}/logs?limit=200`);
  }

  download(id: string): Promise<JobDownload> {
    return this.json('GET', `/v1/jobs/${encodeURIComponent(id)}/download`);
  }

  schedules(): Promise<ScheduleList> {
    return this.json('GET', '/v1/schedules');
  }

  schedule(id: string): Promise<ScheduleView> {
    return this.json('GET', `/v1/schedules/${encodeURIComponent(id)}`);
  }

  createSchedule(spec: ScheduleSpecInput): Promise<ScheduleView> {
    return this.json('POST', '/v1/schedules', spec);
  }

  deleteSchedule(id: string): Promise<void> {
    return this.json('DELETE', `/v1/schedules/${encodeURIComponent(id)}`);
  }

  /** The tenant's batches, newest first, a page at a time. */
  batches(cursor?: string): Promise<BatchList> {
    const query = new URLSearchParams({ limit: '20', ...(cursor ? { cursor } : {}) });
    return this.json('GET', `/v1/batches?${query}`);
  }

  batch(id: string): Promise<BatchView> {
    return this.json('GET', `/v1/batches/${encodeURIComponent(id)}`);
  }

  createBatch(spec: BatchSpecInput): Promise<BatchView> {
    return this.json('POST', '/v1/batches', spec);
  }
}
