import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';

/**
 * The webhook deliveries' own BullMQ queue, `descent-webhooks` (same prefix as the jobs' queue),
 * consumed by the workers (workers/webhooks.ts). A queue job is one delivery: its id is the
 * outbox entry (`job-{id}` or `comparison-{id}`), so adding it twice delivers it once, and its
 * data carries the delivery id that every attempt sends as Descent-Delivery. Being BullMQ jobs,
 * deliveries survive a restart: a delayed retry waits in Redis, not in a process.
 */

export const WEBHOOK_QUEUE_NAME = 'descent-webhooks';

/** API.md: "8 attempts over about an hour". */
export const WEBHOOK_ATTEMPTS = 8;

export interface WebhookJobData {
  /** `job-{id}` or `comparison-{id}`. */
  entry: string;
  /** Sent as Descent-Delivery on every attempt: a receiver deduplicates at-least-once deliveries by it. */
  deliveryId: string;
}

export type WebhookQueue = Queue<WebhookJobData, unknown, string>;

/**
 * 8 attempts, the n-th retry after backoffMs · 2ⁿ⁻¹ (BullMQ's exponential backoff): with the
 * default 30 s, retries after 30 s, 1, 2, 4, 8, 16 and 32 min, the last attempt ~64 min after the
 * first. Finished deliveries are kept a day (a repeated add of the same entry stays a no-op).
 */
export function webhookJobOptions(backoffMs: number): JobsOptions {
  return {
    attempts: WEBHOOK_ATTEMPTS,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export function createWebhookQueue(connection: ConnectionOptions, prefix: string): WebhookQueue {
  return new Queue<WebhookJobData, unknown, string>(WEBHOOK_QUEUE_NAME, { connection, prefix });
}
