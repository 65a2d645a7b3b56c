import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { StoreKeys } from '../store/keys.ts';
import { runScript } from '../store/scripts.ts';
import { type WebhookQueue, webhookJobOptions } from './queue.ts';

/**
 * Moves webhook deliveries from the outbox to the webhook queue. The finishing scripts put an
 * entry in the outbox (`{p}:webhook-outbox`) in the same atomic step that finishes the job or the
 * comparison, so no finished run's webhook is lost between its finish and an enqueue; every
 * worker process runs a pump that claims due entries with a lease (claim-webhooks.lua), adds them
 * to the queue in one round trip, and then removes them. A pump that dies in between leaves its
 * claims to be taken again when their lease runs out; the queue's job id (the entry) makes the
 * second add a no-op.
 */

export interface OutboxPumpOptions {
  /** How often the outbox is looked at (ms). */
  intervalMs?: number;
  /** How long a claim holds before another pump may take the entry (ms). */
  leaseMs?: number;
  batch?: number;
  backoffMs: number;
  onError(error: unknown): void;
}

export class OutboxPump {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly queue: WebhookQueue,
    private readonly options: OutboxPumpOptions,
  ) {
    this.keys = new StoreKeys(prefix);
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.running ??= this.pumpOnce()
        .then(() => undefined)
        .catch(this.options.onError)
        .finally(() => {
          this.running = null;
        });
    }, this.options.intervalMs ?? 200);
  }

  /** Claims due entries and enqueues them; resolves to how many. */
  async pumpOnce(): Promise<number> {
    const entries = (await runScript(
      this.redis,
      'descentClaimWebhooks',
      [this.keys.webhookOutbox],
      [Date.now(), this.options.leaseMs ?? 30_000, this.options.batch ?? 100],
    )) as string[];
    if (entries.length === 0) return 0;
    const options = webhookJobOptions(this.options.backoffMs);
    await this.queue.addBulk(
      entries.map((entry) => ({
        name: 'deliver',
        data: { entry, deliveryId: randomUUID() },
        opts: { ...options, jobId: entry },
      })),
    );
    await this.redis.zrem(this.keys.webhookOutbox, ...entries);
    return entries.length;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
