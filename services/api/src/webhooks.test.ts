/**
 * Status mapping and completion webhooks. Jobs here run on startFakeWorker, a TEST DOUBLE of
 * services/worker (an in-process BullMQ Worker returning a schema-valid fake JobResult), because
 * these tests are about what the API makes of finished jobs, not about initialization.
 */
import { type JobResource, WebhookEvent } from '@ddinit/contracts';
import { INIT_QUEUE, redisConnection } from '@ddinit/queue';
import { QueueEvents, UnrecoverableError } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import {
  type FakeWorker,
  fakeResult,
  REDIS_URL,
  type ReceivedWebhook,
  startFakeWorker,
  startTestApi,
  startWebhookReceiver,
  stopTestApi,
  type TestApi,
  validSpec,
  WEBHOOK_SECRET,
  type WebhookReceiver,
  waitFor,
} from './testing/harness.js';
import { signWebhook } from './webhooks.js';

let api: TestApi;
let worker: FakeWorker;
let receiver: WebhookReceiver;
const verifier = new Webhook(WEBHOOK_SECRET);

beforeAll(async () => {
  api = await startTestApi('webhooks', {}, { webhookRetry: { attempts: 3, delayMs: 100 } });
  receiver = await startWebhookReceiver();
  worker = startFakeWorker(api.prefix, async (job, _token, signal) => {
    const mode = job.data.spec.labels?.mode;
    await job.updateProgress({ phase: 'within', layer: 1, layers: 2, fraction: 0.5 });
    await job.log('loaded model');
    if (mode === 'fail') throw new UnrecoverableError('bad_model: model.json is not a layers-model');
    if (mode === 'hang') {
      // Runs until cancelled, as the real worker does between layers.
      await new Promise<void>((_, reject) => {
        signal?.addEventListener('abort', () => reject(new UnrecoverableError('cancelled: user request')));
      });
    }
    return fakeResult(job.data.spec.output.uri, [{ key: 'model.json', bytes: 10 }]);
  });
});

afterAll(async () => {
  await worker?.close();
  await receiver?.close();
  await stopTestApi(api);
});

async function finished(id: string): Promise<JobResource> {
  return waitFor(`job ${id} to finish`, async () => {
    const view = (await api.request('GET', `/v1/jobs/${id}`)).body as JobResource;
    return ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
  });
}

function eventsFor(id: string): { type: string; data: JobResource }[] {
  return receiver.received
    .map((delivery) => WebhookEvent.parse(JSON.parse(delivery.body)))
    .filter((event) => event.data.id === id);
}

describe('status mapping (worker test double)', () => {
  it('shows a succeeded job with its result, progress, attempts, report and logs', async () => {
    const created = await api.request('POST', '/v1/jobs', { body: validSpec() });
    const view = await finished(created.body.id);
    expect(view).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      progress: { phase: 'within', layer: 1, layers: 2, fraction: 0.5 },
      result: { checkpoint: 's3://outputs/run-1/model.json' },
    });
    expect(view.startedAt).not.toBeNull();
    expect(Date.parse(view.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(view.startedAt!));
    const report = await api.request('GET', `/v1/jobs/${view.id}/report`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ seed: 0, backend: { name: 'cpu' } });
    const page = await api.request('GET', `/v1/jobs/${view.id}/report.html`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.body).toMatch(/^<!doctype html>/i);
    for (const layer of report.body.layers) expect(page.body).toContain(`data-layer="${layer.name}"`);
    const logs = await api.request('GET', `/v1/jobs/${view.id}/logs`);
    expect(logs.body).toEqual({ lines: ['loaded model'], count: 1 });
    const cancel = await api.request('POST', `/v1/jobs/${view.id}/cancel`);
    expect([cancel.status, cancel.body.code]).toEqual([409, 'job_final']);
  });

  it('splits a worker failure "code: message" into the error', async () => {
    const created = await api.request('POST', '/v1/jobs', { body: validSpec({ labels: { mode: 'fail' } }) });
    const view = await finished(created.body.id);
    expect(view.status).toBe('failed');
    expect(view.error).toEqual({ code: 'bad_model', message: 'model.json is not a layers-model' });
    // UnrecoverableError: no retry whatever DEFAULT_JOB_OPTIONS.attempts says.
    expect(view.attempts).toBe(1);
  });

  it('cancels a running job through the cancel-requested event', async () => {
    // The worker side of the cross-process cancel contract, as services/worker implements it.
    const connection = redisConnection(REDIS_URL, 'worker');
    const listener = new QueueEvents(INIT_QUEUE, { connection, prefix: api.prefix });
    // Custom events are not in QueueEvents' typed event map.
    const custom = listener as unknown as {
      on(event: string, listener: (args: { jobId: string }) => void): void;
    };
    custom.on('cancel-requested', ({ jobId }) => worker.worker.cancelJob(jobId));
    await listener.waitUntilReady();
    try {
      const created = await api.request('POST', '/v1/jobs', {
        body: validSpec({ labels: { mode: 'hang' } }),
      });
      const id = created.body.id;
      await waitFor(
        'running',
        async () => (await api.request('GET', `/v1/jobs/${id}`)).body.status === 'running',
      );
      const cancel = await api.request('POST', `/v1/jobs/${id}/cancel`);
      expect(cancel.status).toBe(202);
      expect(cancel.body.cancelRequestedAt).not.toBeNull();
      const view = await finished(id);
      expect(view.status).toBe('cancelled');
      expect(view.error).toEqual({ code: 'cancelled', message: 'user request' });
      expect(view.cancelRequestedAt).toBe(cancel.body.cancelRequestedAt);
    } finally {
      await listener.close();
      connection.disconnect();
    }
  });
});

describe('completion webhooks', () => {
  it('posts a signed event that Standard Webhooks verifies, retrying after a failure with the same id', async () => {
    receiver.failFirst = 1;
    const created = await api.request('POST', '/v1/jobs', {
      body: validSpec({ callback: { url: receiver.url }, labels: { hook: 'yes' } }),
    });
    const id = created.body.id;
    await waitFor('the retried webhook', async () => eventsFor(id).length >= 2);
    const deliveries = receiver.received.filter((delivery) => delivery.body.includes(id));
    expect(deliveries).toHaveLength(2);
    const [first, second] = deliveries as [ReceivedWebhook, ReceivedWebhook];
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body).toBe(first.body);
    for (const delivery of deliveries) {
      const payload = verifier.verify(delivery.body, delivery.headers as Record<string, string>);
      expect(payload).toMatchObject({ type: 'job.succeeded', data: { id, status: 'succeeded' } });
    }
    expect(() => verifier.verify(`${second.body} `, second.headers as Record<string, string>)).toThrow();
    const metrics = await api.request('GET', '/metrics', { key: null });
    expect(metrics.body).toMatch(/ddinit_webhook_deliveries_total\{outcome="http_500"\} 1/);
    expect(metrics.body).toMatch(/ddinit_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);
    expect(metrics.body).toMatch(/ddinit_job_duration_seconds_count\{status="succeeded"\} [1-9]/);
  });

  it('reports failures and queued cancels', async () => {
    const failing = await api.request('POST', '/v1/jobs', {
      body: validSpec({ callback: { url: receiver.url }, labels: { mode: 'fail' } }),
    });
    await waitFor('the failure webhook', async () => eventsFor(failing.body.id).length >= 1);
    expect(eventsFor(failing.body.id)[0]).toMatchObject({
      type: 'job.failed',
      data: { error: { code: 'bad_model' } },
    });

    // Paused worker: the job stays queued until the API cancels it.
    await worker.worker.pause();
    try {
      const queued = await api.request('POST', '/v1/jobs', {
        body: validSpec({ callback: { url: receiver.url } }),
      });
      const cancel = await api.request('POST', `/v1/jobs/${queued.body.id}/cancel`);
      expect([cancel.status, cancel.body.status]).toEqual([200, 'cancelled']);
      await waitFor('the cancel webhook', async () => eventsFor(queued.body.id).length >= 1);
      expect(eventsFor(queued.body.id)[0]?.type).toBe('job.cancelled');
    } finally {
      worker.worker.resume();
    }
    const metrics = await api.request('GET', '/metrics', { key: null });
    expect(metrics.body).toMatch(/ddinit_job_failures_total\{code="bad_model"\} [1-9]/);
  });

  it('signs as the Standard Webhooks reference does', () => {
    const timestamp = 1_700_000_000;
    const body = '{"type":"job.succeeded"}';
    const signature = signWebhook(WEBHOOK_SECRET, 'msg_1', timestamp, body);
    expect(signature).toBe(verifier.sign('msg_1', new Date(timestamp * 1000), body));
  });
});
