/**
 * The API's background work: the notifier (finished jobs → outcome, metrics, webhooks), the schedule
 * runner, the webhook sender and the sweeper of finished jobs past their retention. They share one
 * retry-forever connection that BullMQ duplicates for each blocking consumer, and they start only once
 * that connection is up: a BullMQ worker created while Redis is away cannot be closed until Redis
 * comes back.
 */
import type { InitJobData, JobRetention, JobStore, RetentionSweeper } from '@ddinit/queue';
import { redisConnection, startRetentionSweeper } from '@ddinit/queue';
import type { Queue, Worker } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { JobService } from './job-service.js';
import type { ApiMetrics } from './metrics.js';
import { Notifier } from './notifier.js';
import { startScheduleRunner } from './schedule-runner.js';
import type { ScheduleStore } from './schedule-store.js';
import { closeRedis, settleWithin } from './settle.js';
import type { SpecPolicy } from './spec-policy.js';
import type { WebhookTargetPolicy } from './ssrf.js';
import { startWebhookSender, type WebhookOutbox } from './webhooks.js';

export interface BackgroundOptions {
  redisUrl: string;
  prefix: string;
  store: JobStore;
  /** The init queue, whose finished jobs the sweeper removes once `retention` has passed. */
  queue: Queue<InitJobData>;
  retention: JobRetention;
  schedules: ScheduleStore;
  jobs: JobService;
  /** What jobs may touch; schedule firings are checked against it. */
  policy: SpecPolicy;
  outbox: WebhookOutbox;
  metrics: ApiMetrics;
  logger: FastifyBaseLogger;
  /** Without a secret no webhook can be signed, so no sender runs. */
  webhookSecret?: string;
  /** Which webhook targets the sender may contact. */
  webhookTargets: WebhookTargetPolicy;
  /** Most time each part gets to finish its work on close. @defaultValue 5_000 */
  closeTimeoutMs?: number;
}

export class Background {
  readonly connection: Redis;
  private notifier: Notifier | undefined;
  private sweeper: RetentionSweeper | undefined;
  private readonly workers: Worker[] = [];
  private readonly start = () => this.startParts();

  constructor(private readonly options: BackgroundOptions) {
    this.connection = redisConnection(options.redisUrl, 'worker');
    this.connection.once('ready', this.start);
  }

  private startParts(): void {
    const { prefix, store, schedules, jobs, policy, outbox, metrics, logger, webhookSecret, webhookTargets } =
      this.options;
    const connection = this.connection;
    this.notifier = new Notifier({ connection, prefix, store, jobs, outbox, metrics, logger });
    this.sweeper = startRetentionSweeper(this.options.queue as Queue, this.options.retention, {
      onError: (error) => logger.debug({ err: error }, 'retention sweep failed'),
    });
    this.workers.push(startScheduleRunner({ connection, prefix, schedules, jobs, policy, metrics, logger }));
    if (webhookSecret) {
      this.workers.push(
        startWebhookSender({
          connection,
          prefix,
          secret: webhookSecret,
          targets: webhookTargets,
          metrics,
          logger,
        }),
      );
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
      this.sweeper?.stop(),
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
