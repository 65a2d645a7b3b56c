import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../../src/api/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createApiRedis, waitUntilReady } from '../../src/redis/connection.ts';
import type { Resolver } from '../../src/webhooks/destination.ts';
import { type RunningWorker, startWorker } from '../../workers/service.ts';
import { createTestRedis, deletePrefix, randomPrefix, testRedisUrl } from '../helpers/redis.ts';

/**
 * The service as the tests use it: the real app listening on a free port, against the private
 * test Redis under a random prefix, with real BullMQ workers (worker threads) in this process.
 */
export interface TestService {
  app: FastifyInstance;
  config: Config;
  /** http://127.0.0.1:<port> */
  url: string;
  worker: RunningWorker | null;
  /** Starts a worker (after `stopWorker`, or for a service started without one). */
  startWorker(): Promise<RunningWorker>;
  /** Closes the running worker (its jobs are handed back to the queue). */
  stopWorker(): Promise<void>;
  /** A plain connection to the test Redis (for assertions on keys). */
  redis: Redis;
  close(): Promise<void>;
}

export interface TestServiceOptions {
  env?: Record<string, string>;
  /** Start a worker (default true). */
  worker?: boolean;
  ssePollMs?: number;
  /** How webhook hosts resolve, for the API's validation and the worker's send-time check. */
  webhookResolver?: Resolver;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: randomPrefix('api'),
    LOG_LEVEL: 'silent',
    WORKER_CONCURRENCY: '2',
    // CPU workers unless a test asks for a GPU one (no Dawn in every suite).
    WORKER_DEVICES: 'cpu',
    WORKER_HEARTBEAT_MS: '200',
    WORKER_SEEN_WITHIN_MS: '2000',
    RATE_LIMIT_MAX: '0',
    SSE_PING_MS: '200',
    ...options.env,
  });
  const apiRedis = createApiRedis(config);
  // The API answers 503 until its connection is ready; tests start once it is.
  await waitUntilReady(apiRedis);
  const app = await buildApp({
    config,
    redis: apiRedis,
    logger: false,
    ssePollMs: options.ssePollMs,
    webhookResolver: options.webhookResolver,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const launch = () => startWorker(config, { webhookResolver: options.webhookResolver });
  const redis = createTestRedis();
  const service: TestService = {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    worker: options.worker === false ? null : await launch(),
    redis,
    async startWorker() {
      service.worker = await launch();
      return service.worker;
    },
    async stopWorker() {
      await service.worker?.close();
      service.worker = null;
    },
    async close() {
      await service.worker?.close();
      await app.close();
      await apiRedis.quit().catch(() => apiRedis.disconnect());
      // A service started on a prefix given in `env` shares it with another: its keys stay.
      if (options.env?.REDIS_PREFIX === undefined) await deletePrefix(redis, config.redisPrefix);
      await redis.quit();
    },
  };
  return service;
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const FINISHED = new Set(['completed', 'failed', 'cancelled']);
