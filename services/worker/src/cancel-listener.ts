/**
 * Cancel requests across processes. `worker.cancelJob` only reaches jobs running in this process, so
 * the API publishes a custom QueueEvents event (`QueueEventsProducer.publishEvent`) that every worker
 * hears; the one running the job aborts it.
 */
import { INIT_QUEUE } from '@ddinit/queue';
import { QueueEvents, type QueueEventsListener, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { CANCEL_REASON } from './job-abort.js';
import type { Log } from './log.js';

/** The custom event's name; its payload is `{ jobId }`. */
export const CANCEL_EVENT = 'cancel-requested';

interface CancelEvents extends QueueEventsListener {
  [CANCEL_EVENT]: (args: { jobId?: string }, id: string) => void;
}

/** Listens for cancel requests until closed; resolves once it is connected. */
export async function listenForCancels(
  worker: Worker,
  connection: Redis,
  prefix: string,
  log: Log,
): Promise<QueueEvents> {
  const events = new QueueEvents(INIT_QUEUE, { connection, prefix });
  events.on<CancelEvents>(CANCEL_EVENT, ({ jobId }: { jobId?: string }) => {
    if (jobId === undefined) return;
    // False when another worker runs the job (or none does): that worker cancels it.
    if (worker.cancelJob(jobId, CANCEL_REASON)) log('info', 'cancelling job on request', { jobId });
  });
  events.on('error', (error) => log('error', 'queue events error', { error: String(error) }));
  await events.waitUntilReady();
  return events;
}
