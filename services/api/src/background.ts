/**
 * The API's background work: the notifier (finished jobs → outcome, metrics, webhooks), the schedule
 * runner and the webhook sender. They share one retry-forever connection that BullMQ duplicates for
 * each blocking consumer, and they start only once that connection is up: a BullMQ worker created
 * while Redis is away cannot be closed until Redis comes back.
 */
import type { JobStore } from '@ddinit/queue';
import { redisConnection } from '@ddinit/queue';
import type { Worker } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { JobService } from './job-service.js';
import type { ApiMetrics } from './metrics.js';
import { Notifier } from './notifier.js';
import { startScheduleRunner } from './schedule-runner.js';
import type { ScheduleStore } from './schedule-store.js';
import { closeRedis, settleWithin } from './settle.js';
import { startWebhookSender, type WebhookOutbox } from './webhooks.js';

export interface BackgroundOptions {
  redisUrl: string;
  prefix: string;
  store: JobStore;
  schedules: ScheduleStore;
  jobs: JobService;
  outbox: WebhookOutbox;
  metrics: ApiMetrics;
  logger: FastifyBaseLogger;
  /** Without a secret no webhook can be signed, so no sender runs. */
  webhookSecret?: string;
  /** Most time each part gets to finish its work on close. @defaultValue 5_000 */
  closeTimeoutMs?: number;
}

export class Background {
  readonly connection: Redis;
  private notifier: Notifier | undefined;
  private readonly workers: Worker[] = [];
  private readonly start = () => this.startParts();

  constructor(private readonly options: BackgroundOptions) {
    this.connection = redisConnection(options.redisUrl, 'worker');
    this.connection.once('ready', this.start);
  }

  private startParts(): void {
    const { prefix, store, schedules, jobs, outbox, metrics, logger, webhookSecret } = this.options;
    const connection = this.connection;
    this.notifier = new Notifier({ connection, prefix, store, jobs, outbox, metrics, logger });
    this.workers.push(startScheduleRunner({ connection, prefix, schedules, jobs, logger }));
    if (webhookSecret) {
      this.workers.push(startWebhookSender({ connection, prefix, secret: webhookSecret, metrics, logger }));
    }
  }

  /** Resolves once the notifier listens (tests wait for it); never resolves while Redis is away. */
  async ready(): Promise<void> {
    while (!this.notifier) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.notifier.ready();
  }

  async close(): Promise<void> {
    this.connection.removeListener('ready', this.start);
    const ms = this.options.closeTimeoutMs ?? 5_000;
    const notifier = this.notifier;
    await Promise.all([
      ...this.workers.map((worker) =>
        settleWithin(
          ms,
          () => worker.close(),
          () => worker.close(true),
        ),
      ),
      notifier
        ? settleWithin(
            ms,
            () => notifier.close(),
            () => undefined,
          )
        : undefined,
    ]);
    await closeRedis(this.connection, ms);
  }
}
