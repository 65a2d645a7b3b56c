import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { createApiRedis, warnIfEvicting } from '../../redis/connection.ts';
import { ComparisonStore } from '../../store/comparisons.ts';
import { DatasetStore } from '../../store/datasets.ts';
import { JobRecords } from '../../store/job-records.ts';
import { JobRuns } from '../../store/job-runs.ts';
import { JobSubmissions } from '../../store/job-submissions.ts';
import { StoreKeys } from '../../store/keys.ts';
import { TrajectoryStore } from '../../store/trajectory.ts';
import { WorkerRegistry } from '../../store/workers.ts';
import { serviceUnavailable } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's Redis connection: fails fast (no offline queue) and reconnects by itself. */
    redis: Redis;
    keys: StoreKeys;
    /** Job records once written: read, list, cancel, remove (src/store/job-records.ts). */
    jobs: JobRecords;
    /** A job's first write: POST /v1/jobs and /v1/jobs/batch (src/store/job-submissions.ts). */
    jobSubmissions: JobSubmissions;
    /** Runs' transitions, for the one the API makes: a record whose enqueue failed is failed (src/api/submission.ts). */
    jobRuns: JobRuns;
    datasets: DatasetStore;
    comparisons: ComparisonStore;
    trajectories: TrajectoryStore;
    workerRegistry: WorkerRegistry;
  }
}

export interface RedisPluginOptions {
  /** An existing connection (tests, scripts); the app does not close it. Default: one from REDIS_URL. */
  redis?: Redis;
}

/**
 * Redis and the stores on it. While the connection is down every /v1 call answers 503
 * problem+json at once (nothing waits in an offline queue); ioredis reconnects with backoff and
 * calls succeed again as soon as Redis is back.
 */
async function redisPlugin(app: FastifyInstance, options: RedisPluginOptions) {
  const { config } = app;
  const owned = options.redis === undefined;
  const redis = options.redis ?? createApiRedis(config);
  // Without a listener ioredis reports every failed reconnect as an unhandled 'error' event.
  const onError = (error: Error) => app.log.warn({ err: error }, 'redis connection error');
  redis.on('error', onError);

  app.decorate('redis', redis);
  app.decorate('keys', new StoreKeys(config.redisPrefix));
  const jobs = new JobRecords(redis, config.redisPrefix, { finishedTtlSeconds: config.jobTtlSeconds });
  const submissions = new JobSubmissions(redis, config.redisPrefix, jobs, {
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    maxActivePerTenant: config.maxActiveJobsPerTenant,
  });
  app.decorate('jobs', jobs);
  app.decorate('jobSubmissions', submissions);
  app.decorate(
    'jobRuns',
    new JobRuns(redis, config.redisPrefix, { finishedTtlSeconds: config.jobTtlSeconds }),
  );
  app.decorate('datasets', new DatasetStore(redis, config.redisPrefix));
  app.decorate('comparisons', new ComparisonStore(redis, config.redisPrefix, jobs, submissions));
  app.decorate('trajectories', new TrajectoryStore(redis, config.redisPrefix));
  app.decorate('workerRegistry', new WorkerRegistry(redis, config.redisPrefix));

  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/v1/') && redis.status !== 'ready') {
      throw serviceUnavailable('the data store (Redis) is unreachable; retry shortly');
    }
  });

  app.addHook('onReady', async () => {
    if (redis.status === 'ready') await warnIfEvicting(redis, app.log);
    else redis.once('ready', () => void warnIfEvicting(redis, app.log));
  });

  app.addHook('onClose', async () => {
    redis.off('error', onError);
    if (!owned) return;
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  });
}

export default fp(redisPlugin, { name: 'redis', dependencies: ['config'] });
