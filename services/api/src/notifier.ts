/**
 * Watches the init queue's events and acts on finished jobs: records the outcome (so views outlive
 * BullMQ retention), observes metrics, and queues the completion webhook. Every API instance running
 * background work does this for every event; the outcome write and the webhook id are idempotent.
 */
import { INIT_QUEUE, type JobStore } from '@ddinit/queue';
import { QueueEvents } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { JobService } from './job-service.js';
import type { ApiMetrics } from './metrics.js';
import type { WebhookOutbox } from './webhooks.js';

/** How far back a notifier with no stored position starts reading the event stream. */
const FIRST_START_LOOKBACK_MS = 60_000;

export interface NotifierOptions {
  connection: Redis;
  prefix: string;
  store: JobStore;
  jobs: JobService;
  outbox: WebhookOutbox;
  metrics: ApiMetrics;
  logger: FastifyBaseLogger;
}

export class Notifier {
  private events: QueueEvents | undefined;
  private closed = false;
  private readonly pending = new Set<Promise<void>>();
  private readonly cursorKey: string;

  /** Starts listening at once; the connection should be up (see background.ts). */
  constructor(private readonly options: NotifierOptions) {
    this.cursorKey = options.store.key('notifier', 'last-event');
    void this.listen().catch((error) => options.logger.error({ err: error }, 'notifier did not start'));
  }

  private async listen(): Promise<void> {
    // Resuming from the last handled event delivers the webhooks of jobs that finished while no API
    // instance was listening, as far back as the event stream is kept (about 10,000 events). A first
    // start reads from a minute back rather than from "now", so nothing that finished while this
    // instance was starting is missed; handling an event twice is harmless.
    const stored = await this.options.connection.get(this.cursorKey);
    if (this.closed) return;
    const lastEventId = stored ?? `${Date.now() - FIRST_START_LOOKBACK_MS}-0`;
    const events = new QueueEvents(INIT_QUEUE, {
      connection: this.options.connection,
      prefix: this.options.prefix,
      lastEventId,
    });
    events.on('completed', ({ jobId }, id) => this.track(this.jobFinished(jobId, id)));
    events.on('failed', ({ jobId }, id) => this.track(this.jobFinished(jobId, id)));
    events.on('error', (error) => this.options.logger.warn({ err: error }, 'queue events error'));
    this.events = events;
  }

  /** Resolves once the event listener is connected (tests wait for it before finishing jobs). */
  async ready(): Promise<void> {
    while (!this.events && !this.closed) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.events?.waitUntilReady();
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async jobFinished(jobId: string, eventId: string): Promise<void> {
    const { store, jobs, outbox, metrics, logger, connection } = this.options;
    try {
      const record = await store.get(jobId);
      if (!record) return; // not a job of this API (or its record expired)
      const view = await jobs.viewOf(record);
      if (view.status === 'succeeded' || view.status === 'failed' || view.status === 'cancelled') {
        if (view.startedAt && view.finishedAt) {
          const seconds = (Date.parse(view.finishedAt) - Date.parse(view.startedAt)) / 1000;
          metrics.jobDuration.observe({ status: view.status }, Math.max(0, seconds));
        }
        if (view.status === 'failed') metrics.jobFailures.inc({ code: view.error?.code ?? 'internal' });
        await outbox.jobFinished(view);
      }
      await connection.set(this.cursorKey, eventId);
    } catch (error) {
      logger.warn({ err: error, jobId }, 'could not handle a finished job');
    }
  }

  /** Stops listening, then waits for the events already being handled. */
  async close(): Promise<void> {
    this.closed = true;
    await this.events?.close();
    await Promise.allSettled([...this.pending]);
  }
}
