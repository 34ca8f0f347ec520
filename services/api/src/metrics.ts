/**
 * Prometheus metrics of one API instance, in a registry of its own (not prom-client's global one) so
 * several apps in one process, as in tests, do not collide.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** BullMQ states reported as queue depth; `waiting` + `prioritized` is what autoscalers watch. */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;

export interface MetricsSources {
  /** Job counts by BullMQ state of the init queue. */
  queueCounts(): Promise<Record<string, number>>;
}

export class ApiMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'ddinit_http_request_duration_seconds',
    help: 'HTTP request durations by route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  /** Observed once per finished job by every instance that runs the notifier. */
  readonly jobDuration = new Histogram({
    name: 'ddinit_job_duration_seconds',
    help: 'Init job run time from start of the last attempt to finish, by final status',
    labelNames: ['status'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600, 7200],
    registers: [this.registry],
  });
  readonly jobFailures = new Counter({
    name: 'ddinit_job_failures_total',
    help: 'Init jobs that failed for good, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'ddinit_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    // Both gauges are collected concurrently on a scrape; they share one read of the counts.
    let scrape: Promise<Record<string, number> | undefined> | undefined;
    const counts = (): Promise<Record<string, number> | undefined> => {
      scrape ??= sources.queueCounts().then(
        (value) => value,
        // A scrape during a Redis outage still succeeds, and says so, instead of failing whole.
        () => undefined,
      );
      const current = scrape;
      void current.finally(() => {
        if (scrape === current) scrape = undefined;
      });
      return current;
    };
    new Gauge({
      name: 'ddinit_redis_up',
      help: '1 when this scrape could read the queue from Redis',
      registers: [this.registry],
      async collect() {
        this.set((await counts()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ddinit_queue_jobs',
      help: 'Init jobs in the queue by BullMQ state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const current = await counts();
        for (const state of QUEUE_STATES) if (current) this.set({ state }, current[state] ?? 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Times every request; routes are labelled by template, so ids do not blow up cardinality. */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      this.httpDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });
  }
}
