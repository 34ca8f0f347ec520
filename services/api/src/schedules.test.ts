import { WebhookEvent } from '@ddinit/contracts';
import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { SCHEDULE_QUEUE } from './schedule-runner.js';
import {
  KEYS,
  startTestApi,
  startWebhookReceiver,
  stopTestApi,
  type TestApi,
  validSpec,
  WEBHOOK_SECRET,
  type WebhookReceiver,
  waitFor,
} from './testing/harness.js';

let api: TestApi;
let firings: Queue;

beforeAll(async () => {
  api = await startTestApi('schedules');
  firings = new Queue(SCHEDULE_QUEUE, { connection: api.queueConnection, prefix: api.prefix });
});

afterAll(async () => {
  await firings?.close();
  await stopTestApi(api);
});

describe('schedules', () => {
  it('fires every second, creating one job per template, visible under the schedule', async () => {
    const body = {
      name: 'nightly-ish',
      every: 1000,
      templates: [validSpec({ labels: { which: 'a' } }), validSpec({ labels: { which: 'b' } })],
    };
    const created = await api.request('POST', '/v1/schedules', { body });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(id).toMatch(/^s_/);
    expect(created.headers.get('location')).toBe(`/v1/schedules/${id}`);
    expect(created.body).toMatchObject({ name: 'nightly-ish', every: 1000, cron: null, tz: null });
    expect(created.body.templates).toHaveLength(2);

    const detail = await waitFor(
      'two firings',
      async () => {
        const response = await api.request('GET', `/v1/schedules/${id}`);
        return response.body.recentJobs.length >= 4 ? response.body : undefined;
      },
      8_000,
    );
    const job = await api.request('GET', `/v1/jobs/${detail.recentJobs[0].id}`);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ scheduleId: id, status: 'queued' });
    const whiches = new Set(
      await Promise.all(
        detail.recentJobs.slice(0, 2).map(async (run: { id: string }) => {
          const view = await api.request('GET', `/v1/jobs/${run.id}`);
          return view.body.spec.labels.which;
        }),
      ),
    );
    expect(whiches).toEqual(new Set(['a', 'b']));
    expect(detail.nextRunAt).not.toBeNull();

    // Another tenant sees none of it.
    expect((await api.request('GET', `/v1/schedules/${id}`, { key: KEYS.beta })).status).toBe(404);
    expect((await api.request('DELETE', `/v1/schedules/${id}`, { key: KEYS.beta })).status).toBe(404);
    expect((await api.request('GET', '/v1/schedules', { key: KEYS.beta })).body.items).toEqual([]);
    const mine = await api.request('GET', '/v1/schedules');
    expect(mine.body.items.map((item: { id: string }) => item.id)).toContain(id);

    const deleted = await api.request('DELETE', `/v1/schedules/${id}`);
    expect(deleted.status).toBe(204);
    expect((await api.request('GET', `/v1/schedules/${id}`)).status).toBe(404);
    expect(await firings.getJobScheduler(`alpha/${id}`)).toBeUndefined();
    // Jobs already created stay.
    expect((await api.request('GET', `/v1/jobs/${detail.recentJobs[0].id}`)).status).toBe(200);
  });

  it('creates a cron schedule in a time zone with its next run', async () => {
    const created = await api.request('POST', '/v1/schedules', {
      body: { cron: '0 3 * * *', tz: 'Europe/Paris', templates: [validSpec()] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ cron: '0 3 * * *', tz: 'Europe/Paris', every: null });
    const next = new Date(created.body.nextRunAt);
    const parisHour = Number(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit' }).format(next),
    );
    expect(parisHour).toBe(3);
    expect((await api.request('DELETE', `/v1/schedules/${created.body.id}`)).status).toBe(204);
  });

  it('names every bad field of a schedule', async () => {
    const both = await api.request('POST', '/v1/schedules', {
      body: { every: 10, tz: 'Mars/Olympus', templates: [validSpec({ priority: 1000 })] },
    });
    expect(both.status).toBe(400);
    expect(both.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.every',
      'body.templates.0.priority',
      'body.tz',
      'body.tz',
    ]);
    const cron = await api.request('POST', '/v1/schedules', {
      body: {
        cron: 'every tuesday',
        templates: [validSpec(), validSpec({ output: { uri: 's3://elsewhere/x/' } })],
      },
    });
    expect(cron.status).toBe(400);
    expect(cron.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.cron',
      'body.templates.1.output.uri',
    ]);
    const neither = await api.request('POST', '/v1/schedules', { body: { templates: [validSpec()] } });
    expect(neither.body.errors).toEqual([
      { path: 'body.cron', message: 'give exactly one of cron and every' },
    ]);
  });
});

describe('a schedule whose template the policy no longer allows', () => {
  // A replica that accepted the schedule under the old bucket list (it runs no schedule runner), and
  // one configured since with fewer buckets, whose runner fires it: a rolling configuration change.
  let before: TestApi;
  let after: TestApi;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    before = await startTestApi('schedules-policy', { background: false });
    after = await startTestApi('schedules-policy', {
      queuePrefix: before.prefix,
      allowedBuckets: ['models'],
    });
  });
  afterAll(async () => {
    await stopTestApi(after);
    await stopTestApi(before);
    await receiver?.close();
  });

  it('fails that template at each firing, naming the field, with its webhook, and still queues the allowed one', async () => {
    const stillAllowed = 's3://models/scheduled/';
    const templates = [
      validSpec({ callback: { url: receiver.url } }),
      validSpec({ output: { uri: stillAllowed } }),
    ];
    const created = await before.request('POST', '/v1/schedules', { body: { every: 1000, templates } });
    expect(created.status).toBe(201);
    const id = created.body.id;

    const recent = await waitFor(
      'a firing',
      async () => {
        const response = await after.request('GET', `/v1/schedules/${id}`);
        return response.body.recentJobs.length >= 2 ? response.body.recentJobs : undefined;
      },
      8_000,
    );
    expect((await after.request('DELETE', `/v1/schedules/${id}`)).status).toBe(204);
    const views = await Promise.all(
      recent.map(
        async ({ id: jobId }: { id: string }) => (await after.request('GET', `/v1/jobs/${jobId}`)).body,
      ),
    );
    const refused = views.filter((view) => view.spec.output.uri !== stillAllowed);
    const queued = views.filter((view) => view.spec.output.uri === stillAllowed);
    expect(refused.length).toBeGreaterThan(0);
    expect(queued.length).toBeGreaterThan(0);
    for (const view of refused) {
      expect(view).toMatchObject({ scheduleId: id, status: 'failed', attempts: 0, startedAt: null });
      expect(view.error.code).toBe('spec_not_allowed');
      expect(view.error.message).toContain('templates.0.output.uri: bucket "outputs" is not allowed');
      expect(await after.queue.getJob(view.id)).toBeUndefined();
    }
    const events = await waitFor('the webhooks of the refused jobs', async () => {
      const received = receiver.received.map((delivery) => {
        new Webhook(WEBHOOK_SECRET).verify(delivery.body, delivery.headers as Record<string, string>);
        return WebhookEvent.parse(JSON.parse(delivery.body));
      });
      return refused.every((view) => received.some((event) => event.data.id === view.id))
        ? received
        : undefined;
    });
    for (const view of refused) {
      const own = events.filter((event) => event.data.id === view.id);
      expect(own.map((event) => [event.type, event.data.error?.code])).toEqual([
        ['job.failed', 'spec_not_allowed'],
      ]);
    }
    const metrics = await after.request('GET', '/metrics', { key: null });
    const failures = /^ddinit_job_failures_total\{code="spec_not_allowed"\} (\d+)$/m.exec(metrics.body);
    expect(Number(failures?.[1])).toBeGreaterThanOrEqual(refused.length);
    for (const view of queued) {
      expect(view).toMatchObject({ scheduleId: id, status: 'queued' });
      expect(await after.queue.getJob(view.id)).toBeDefined();
    }
  });
});
