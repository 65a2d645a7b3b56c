import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.ts';

/**
 * ioredis connection factories.
 *
 * URLs: `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS), and unix sockets as
 * `unix:///path/to/redis.sock` or `redis+unix:///path/to/redis.sock`, each optionally with
 * `?db=N&password=…` (the embedded redis-server of `npm start` is reached this way).
 *
 * The API fails fast: no offline queue, one retry per command, a short connect timeout, so a
 * request answers 503 at once while Redis is down; the client keeps reconnecting with backoff
 * and the API recovers by itself. Workers (BullMQ) queue commands across reconnects instead:
 * BullMQ requires `maxRetriesPerRequest: null`.
 */

/** Reconnect delay: 50 ms growing linearly to 2 s, forever. */
export function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 50, 2000);
}

/** Connection options (without behaviour settings) for a redis://, rediss:// or unix socket URL. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const protocol = parsed.protocol.replace(/:$/, '');
  const params = parsed.searchParams;
  const options: RedisOptions = {};
  const password = params.get('password') ?? (parsed.password ? decodeURIComponent(parsed.password) : '');
  const username = params.get('username') ?? (parsed.username ? decodeURIComponent(parsed.username) : '');
  if (password !== '') options.password = password;
  if (username !== '') options.username = username;
  const db = params.get('db');
  if (protocol === 'unix' || protocol === 'redis+unix') {
    // unix:///run/redis.sock → pathname; unix://./data/redis.sock would put '.' in the host: keep it.
    const path = decodeURIComponent(`${parsed.host}${parsed.pathname}`);
    if (path === '') throw new Error(`redis URL '${url}' names no socket path`);
    options.path = path;
    if (db !== null) options.db = Number(db);
    return options;
  }
  if (protocol !== 'redis' && protocol !== 'rediss') {
    throw new Error(
      `redis URL '${url}': unsupported scheme '${protocol}' (use redis, rediss, unix or redis+unix)`,
    );
  }
  options.host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  options.port = parsed.port ? Number(parsed.port) : 6379;
  const pathDb = parsed.pathname.replace(/^\//, '');
  if (db !== null) options.db = Number(db);
  else if (pathDb !== '') options.db = Number(pathDb);
  if (options.db !== undefined && !Number.isInteger(options.db))
    throw new Error(`redis URL '${url}': bad db number`);
  if (protocol === 'rediss') options.tls = {};
  return options;
}

function requireUrl(config: Pick<Config, 'redisUrl'>): string {
  if (config.redisUrl === null) throw new Error('REDIS_URL is not set');
  return config.redisUrl;
}

/** The API's connection: fails fast while Redis is down, reconnects by itself. */
export function createApiRedis(config: Pick<Config, 'redisUrl'>, overrides: RedisOptions = {}): Redis {
  return new Redis({
    ...redisOptionsFromUrl(requireUrl(config)),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: reconnectDelay,
    connectionName: 'descent-api',
    ...overrides,
  });
}

/** A worker's connection (also the one BullMQ duplicates): commands wait across reconnects. */
export function createWorkerRedis(config: Pick<Config, 'redisUrl'>, overrides: RedisOptions = {}): Redis {
  return new Redis({
    ...redisOptionsFromUrl(requireUrl(config)),
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: reconnectDelay,
    connectionName: 'descent-worker',
    ...overrides,
  });
}

/** Resolves once the connection is ready; rejects after `timeoutMs` (the client keeps trying). */
export function waitUntilReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | null = null;
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      lastError = error;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`redis not ready after ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}

/** The part of a pino (or Fastify) logger this module uses. */
export interface WarnLogger {
  warn(object: object, message: string): void;
}

/**
 * Warns when Redis may evict keys (`maxmemory-policy` other than `noeviction`): an evicted job
 * record, queue entry or lock silently loses work. Reads INFO, which managed Redis services allow
 * where CONFIG GET is often disabled. Returns the policy (null when it could not be read).
 */
export async function warnIfEvicting(redis: Redis, logger: WarnLogger): Promise<string | null> {
  let policy: string | null = null;
  try {
    const info = await redis.info('memory');
    policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
  } catch (error) {
    logger.warn({ err: error }, 'could not read the redis maxmemory-policy');
    return null;
  }
  if (policy !== null && policy !== 'noeviction') {
    logger.warn(
      { maxmemoryPolicy: policy },
      `redis maxmemory-policy is '${policy}': under memory pressure Redis may evict jobs, queue entries and locks; ` +
        "set 'maxmemory-policy noeviction'",
    );
  }
  return policy;
}
