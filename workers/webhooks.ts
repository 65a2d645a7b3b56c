import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../src/config.ts';
import { ComparisonStore } from '../src/store/comparisons.ts';
import type { WebhookDeliveries } from '../src/store/contract.ts';
import { JobRecords } from '../src/store/job-records.ts';
import { JobSubmissions } from '../src/store/job-submissions.ts';
import { StoreKeys } from '../src/store/keys.ts';
import { loadPayload, logDelivery, postWebhook } from '../src/webhooks/delivery.ts';
import { DestinationRefusedError, type Resolver, systemResolver } from '../src/webhooks/destination.ts';
import { OutboxPump } from '../src/webhooks/outbox.ts';
import { createWebhookQueue, WEBHOOK_QUEUE_NAME, type WebhookJobData } from '../src/webhooks/queue.ts';

/**
 * The worker process's webhook side: the outbox pump (finished runs' deliveries → the webhook
 * queue) and a BullMQ Worker on `descent-webhooks` that makes each attempt. An attempt that gets
 * a 2xx delivers; any other status, a timeout or a network error fails the attempt and BullMQ
 * retries it with exponential backoff (src/webhooks/queue.ts); a destination refused at send time
 * (its name now resolves to a private address) is given up at once. Each attempt is logged on
 * the Job or Comparison (`webhook.deliveries`).
 */

/** Deliveries in flight per worker process: they wait on the network, not the CPU. */
const WEBHOOK_CONCURRENCY = 16;

export interface WebhookWorkerOptions {
  config: Config;
  /** The worker's connection (BullMQ duplicates it for blocking reads). */
  redis: Redis;
  logger: Logger;
  resolver?: Resolver;
}

export interface RunningWebhooks {
  close(): Promise<void>;
}

export function startWebhooks(options: WebhookWorkerOptions): RunningWebhooks {
  const { config, redis, logger } = options;
  const prefix = config.redisPrefix;
  const keys = new StoreKeys(prefix);
  const jobs = new JobRecords(redis, prefix);
  // Only read here (a finished comparison's payload); its submissions are the API's.
  const comparisons = new ComparisonStore(redis, prefix, jobs, new JobSubmissions(redis, prefix, jobs));
  const policy = { allowedHosts: config.webhook.allowedHosts, resolver: options.resolver ?? systemResolver };
  const queue = createWebhookQueue(redis, prefix);
  queue.on('error', () => {});

  const deliver = async (job: Job<WebhookJobData, unknown, string>): Promise<string> => {
    const payload = await loadPayload(job.data.entry, { jobs, comparisons, keys });
    if (payload === null) return 'gone';
    const secret = config.webhook.secret;
    const log: WebhookDeliveries = {
      attempts: job.attemptsStarted,
      lastStatus: null,
      lastError: null,
      lastAttemptAt: new Date().toISOString(),
      deliveredAt: null,
    };
    let status: number;
    try {
      if (secret === null) throw new Error('this worker has no WEBHOOK_SECRET to sign with');
      status = await postWebhook(payload.url, payload.body, {
        policy,
        timeoutMs: config.webhook.timeoutMs,
        secret,
        deliveryId: job.data.deliveryId,
      });
    } catch (error) {
      log.lastError = (error as Error).message;
      await logDelivery(redis, payload.logKey, log);
      if (error instanceof DestinationRefusedError) throw new UnrecoverableError(log.lastError);
      throw error;
    }
    log.lastStatus = status;
    if (status >= 200 && status < 300) {
      log.deliveredAt = new Date().toISOString();
      await logDelivery(redis, payload.logKey, log);
      return 'delivered';
    }
    log.lastError = `HTTP ${status}`;
    await logDelivery(redis, payload.logKey, log);
    throw new Error(`the receiver answered ${status}`);
  };

  const worker = new Worker<WebhookJobData, string, string>(WEBHOOK_QUEUE_NAME, deliver, {
    connection: redis,
    prefix,
    concurrency: WEBHOOK_CONCURRENCY,
    name: 'webhooks',
  });
  worker.on('failed', (job, error) =>
    logger.warn(
      { entry: job?.data.entry, attempt: job?.attemptsStarted, err: error },
      'webhook attempt failed',
    ),
  );
  worker.on('completed', (job, outcome) =>
    logger.info({ entry: job.data.entry, outcome }, 'webhook delivered'),
  );
  worker.on('error', (error) => logger.error({ err: error }, 'webhook worker error'));

  const pump = new OutboxPump(redis, prefix, queue, {
    backoffMs: config.webhook.backoffMs,
    onError: (error) => logger.warn({ err: error }, 'webhook outbox: pump failed; retrying'),
  });
  pump.start();

  return {
    async close() {
      await pump.stop();
      await worker.close();
      await queue.close();
    },
  };
}
