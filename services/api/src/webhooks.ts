/**
 * Completion webhooks, signed per Standard Webhooks (https://www.standardwebhooks.com): headers
 * `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`
 * keyed with the base64 part of the `whsec_` secret. Deliveries are jobs of a small BullMQ queue, so
 * retries with backoff survive restarts and run on whichever instance is up.
 */
import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { JobResource, WebhookEvent, WebhookEventType } from '@ddinit/contracts';
import { type Queue, UnrecoverableError, Worker } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { derivedId } from './ids.js';
import type { ApiMetrics } from './metrics.js';
import { callbackUrlProblem, checkedLookup, WebhookTargetError, type WebhookTargetPolicy } from './ssrf.js';

/** BullMQ queue of webhook deliveries. Changing it orphans deliveries already queued. */
export const WEBHOOK_QUEUE = 'ddinit-webhooks';

/** One delivery. The body is serialized once, so every retry sends the same bytes and the same id. */
export interface WebhookDelivery {
  url: string;
  webhookId: string;
  body: string;
}

export interface WebhookRetryOptions {
  /**
   * Delivery attempts before giving up. With the default delay the last retry comes about 2.3 hours
   * after the first try. @defaultValue 12
   */
  attempts?: number;
  /** First retry delay in ms; it doubles on every retry (with jitter). @defaultValue 2_000 */
  delayMs?: number;
}

const STATUS_EVENTS: Record<string, WebhookEventType> = {
  succeeded: 'job.succeeded',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
};

/** `v1,<signature>` for one delivery attempt. */
export function signWebhook(secret: string, webhookId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const signature = createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64');
  return `v1,${signature}`;
}

/** Queues the completion webhook of finished jobs that asked for one. */
export class WebhookOutbox {
  constructor(
    private readonly queue: Queue<WebhookDelivery>,
    private readonly retry: WebhookRetryOptions = {},
  ) {}

  /**
   * Queues the webhook of a job in a final status, once: the delivery's id derives from the job and
   * the event, so every API instance's notifier can call this for the same event without duplicates.
   */
  async jobFinished(view: JobResource): Promise<boolean> {
    const type = STATUS_EVENTS[view.status];
    const url = view.spec.callback?.url;
    if (!type || !url) return false;
    const webhookId = derivedId('wh', view.id, type);
    const event: WebhookEvent = { type, timestamp: new Date().toISOString(), data: view };
    await this.queue.add(
      'deliver',
      { url, webhookId, body: JSON.stringify(event) },
      {
        jobId: webhookId,
        attempts: this.retry.attempts ?? 12,
        backoff: { type: 'exponential', delay: this.retry.delayMs ?? 2_000, jitter: 0.2 },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
      },
    );
    return true;
  }
}

/**
 * POSTs `body` to `url` and answers the status code. The socket connects only to addresses that pass
 * `policy` (see ssrf.ts); redirects are not followed, since they would carry a signed body to a host
 * the job did not name.
 */
export function postWebhook(
  url: string,
  headers: OutgoingHttpHeaders,
  body: string,
  options: { policy: WebhookTargetPolicy; timeoutMs: number },
): Promise<number> {
  const refused = callbackUrlProblem(url, options.policy);
  if (refused) return Promise.reject(new WebhookTargetError(refused));
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: checkedLookup(options.policy),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response: IncomingMessage) => {
        // The answer's body is not needed; draining it frees the socket.
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

export interface WebhookSenderOptions {
  connection: Redis;
  prefix: string;
  secret: string;
  /** Which targets may be contacted; checked again at every attempt. */
  targets: WebhookTargetPolicy;
  metrics: ApiMetrics;
  logger: FastifyBaseLogger;
  /** Per-attempt timeout in ms; a receiver should answer at once and work later. @defaultValue 10_000 */
  timeoutMs?: number;
  /** Deliveries in flight per instance; they are I/O bound. @defaultValue 16 */
  concurrency?: number;
}

/**
 * Posts deliveries. A non-2xx answer or a network error is retried; 410 Gone stops the retries, and
 * so does a target that is not allowed (it resolved to a non-public address since submission).
 */
export function startWebhookSender(options: WebhookSenderOptions): Worker<WebhookDelivery> {
  const worker = new Worker<WebhookDelivery>(
    WEBHOOK_QUEUE,
    async (job) => {
      const { url, webhookId, body } = job.data;
      const timestamp = Math.floor(Date.now() / 1000);
      let status: number;
      try {
        status = await postWebhook(
          url,
          {
            'content-type': 'application/json',
            'user-agent': 'ddinit-webhooks/0.1',
            'webhook-id': webhookId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(options.secret, webhookId, timestamp, body),
          },
          body,
          { policy: options.targets, timeoutMs: options.timeoutMs ?? 10_000 },
        );
      } catch (error) {
        if (error instanceof WebhookTargetError) {
          options.metrics.webhookDeliveries.inc({ outcome: 'refused' });
          throw new UnrecoverableError(`target refused: ${error.message}`);
        }
        options.metrics.webhookDeliveries.inc({ outcome: 'error' });
        throw error;
      }
      if (status >= 200 && status < 300) {
        options.metrics.webhookDeliveries.inc({ outcome: 'delivered' });
        return;
      }
      options.metrics.webhookDeliveries.inc({ outcome: `http_${status}` });
      if (status === 410) throw new UnrecoverableError(`receiver answered 410 Gone`);
      throw new Error(`receiver answered HTTP ${status}`);
    },
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency ?? 16 },
  );
  worker.on('failed', (job, error) => {
    options.logger.warn(
      { webhookId: job?.data.webhookId, attempt: job?.attemptsMade, err: error },
      'webhook not delivered',
    );
  });
  worker.on('error', (error) => options.logger.warn({ err: error }, 'webhook sender error'));
  return worker;
}
