import os from 'node:os';
import { z } from 'zod';
import type { AutoDeviceRule } from './core/backends/device-choice.ts';
import type { Limits } from './schemas/limits.ts';

/**
 * Every service setting, read from the environment once at start and validated with zod.
 * `SETTINGS` is the single table: its schema parses the env string, its default applies when the
 * variable is unset or empty, and its description is what the README and `--help` print.
 */

const MIB = 1024 * 1024;

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?(e\d+)?$/i, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int('must be an integer').min(min).max(max));

const redisUrl = z
  .string()
  .trim()
  .refine(
    (value) => /^(rediss?|redis\+unix|unix):\/\//.test(value),
    'must be a redis://, rediss://, unix:// or redis+unix:// URL',
  );

/** `key1:tenantA,key2:tenantB` → Map(key → tenant). The key is everything before the last ':'. */
const apiKeys = z
  .string()
  .trim()
  .transform((value, context) => {
    const keys = new Map<string, string>();
    for (const entry of value.split(',').map((part) => part.trim())) {
      if (entry === '') continue;
      const colon = entry.lastIndexOf(':');
      const key = colon > 0 ? entry.slice(0, colon) : '';
      const tenant = colon > 0 ? entry.slice(colon + 1) : '';
      if (key === '' || !/^[A-Za-z0-9_.-]{1,64}$/.test(tenant)) {
        context.addIssue({
          code: 'custom',
          message: `entry '${entry.slice(0, 8)}…' is not key:tenant (tenant: 1-64 of A-Z a-z 0-9 _ . -)`,
        });
        return z.NEVER;
      }
      if (keys.has(key)) {
        context.addIssue({ code: 'custom', message: 'the same key appears twice' });
        return z.NEVER;
      }
      keys.set(key, tenant);
    }
    return keys;
  });

interface SettingDefinition<S extends z.ZodType<unknown, string>> {
  schema: S;
  /** Applied when the variable is unset or empty; a function for values known only at run time. */
  default?: string | (() => string);
  /** What the docs show as the default, when it is not the literal string. */
  defaultText?: string;
  description: string;
}

function setting<S extends z.ZodType<unknown, string>>(
  definition: SettingDefinition<S>,
): SettingDefinition<S> {
  return definition;
}

/**
 * `*`, or origins `https://a.example,http://localhost:5173` (scheme, host and port; no path);
 * null for a list with no entries (`,`).
 */
const corsOrigins = z
  .string()
  .trim()
  .transform((value, context): '*' | string[] | null => {
    if (value === '*') return '*';
    const origins: string[] = [];
    for (const entry of value.split(',').map((part) => part.trim())) {
      if (entry === '') continue;
      let origin: string | null = null;
      try {
        origin = new URL(entry).origin;
      } catch {
        // reported below
      }
      if (origin === null || origin === 'null' || origin !== entry.replace(/\/$/, '')) {
        context.addIssue({
          code: 'custom',
          message: `'${entry}' is not an origin (scheme://host[:port], e.g. http://localhost:5173), nor '*'`,
        });
        return z.NEVER;
      }
      origins.push(origin);
    }
    return origins.length > 0 ? origins : null;
  });

/**
 * Which proxies' X-Forwarded-For to believe: `true` (any), a hop count, or addresses and CIDR
 * ranges (`127.0.0.1,10.0.0.0/8`); `false` none.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, context): boolean | number | string[] => {
    if (value === 'true' || value === 'false') return value === 'true';
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const address = /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(\/\d{1,3})?$/;
    const bad = entries.find((entry) => !address.test(entry));
    if (bad !== undefined || entries.length === 0) {
      context.addIssue({
        code: 'custom',
        message: `'${bad ?? value}' is not true, false, a hop count, or an IP address or CIDR range`,
      });
      return z.NEVER;
    }
    return entries;
  });

/** Which queues a worker consumes: `auto` (detect a GPU), or a list of `cpu` and `gpu`. */
export type WorkerDevices = 'auto' | ('cpu' | 'gpu')[];

const workerDevices = z
  .string()
  .trim()
  .transform((value, context): WorkerDevices => {
    if (value === 'auto') return 'auto';
    const devices = [...new Set(value.split(',').map((part) => part.trim()))].filter((part) => part !== '');
    const bad = devices.find((device) => device !== 'cpu' && device !== 'gpu');
    if (bad !== undefined || devices.length === 0) {
      context.addIssue({
        code: 'custom',
        message: `'${bad ?? value}' is not auto, nor a list of cpu and gpu (e.g. cpu,gpu)`,
      });
      return z.NEVER;
    }
    return devices as ('cpu' | 'gpu')[];
  });

const boolean = z.enum(['true', 'false']).transform((value) => value === 'true');

/** The rate limit of a shared server when RATE_LIMIT_MAX is unset (per tenant or address, per window). */
const SHARED_RATE_LIMIT_MAX = 600;

/** Whether HOST serves this machine only: a loopback address or name. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export const SETTINGS = {
  REDIS_URL: setting({
    schema: redisUrl,
    defaultText: '(unset)',
    description:
      'Redis to use: redis://[user:pass@]host:port[/db], rediss:// (TLS), or a unix socket as unix:///path/redis.sock ' +
      '(or redis+unix:///path). Unset: `npm start` starts an embedded redis-server under DATA_DIR; ' +
      '`npm run api` and `npm run worker` require it.',
  }),
  REDIS_PREFIX: setting({
    schema: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . : -'),
    default: 'descent',
    description:
      'Prefix of every Redis key (jobs, trajectories, the BullMQ queue), so deployments can share a Redis.',
  }),
  PORT: setting({ schema: integer(0, 65535), default: '3000', description: 'HTTP port of the API.' }),
  HOST: setting({
    schema: z.string().trim().min(1),
    default: '127.0.0.1',
    description:
      'Interface the API listens on. The default serves this machine only; set 0.0.0.0 to serve the network ' +
      '(the Docker images do).',
  }),
  TRUST_PROXY: setting({
    schema: trustProxy,
    default: 'false',
    description:
      "Behind a reverse proxy: whose X-Forwarded-For gives the client's address (for the per-address rate " +
      "limit and the logs). true (any proxy), a hop count, or the proxies' addresses or CIDR ranges, " +
      'e.g. 10.0.0.0/8. false: the address of the connection.',
  }),
  LOG_LEVEL: setting({
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    description: 'pino log level: fatal, error, warn, info, debug, trace or silent.',
  }),
  API_KEYS: setting({
    schema: apiKeys,
    defaultText: '(unset: open)',
    description:
      'Bearer keys and their tenants, `key1:tenantA,key2:tenantB`. Unset: the API is open, every caller is ' +
      "tenant 'default', and a warning is logged at start.",
  }),
  WORKER_CONCURRENCY: setting({
    schema: integer(1, 1024),
    default: () => String(os.availableParallelism()),
    defaultText: 'number of CPU cores',
    description: 'Jobs one worker process runs at once, each on its own worker thread.',
  }),
  CHECKPOINT_INTERVAL_MS: setting({
    schema: integer(10),
    default: '2000',
    description: 'How often a running job saves its checkpoint (the state a retried job resumes from).',
  }),
  WORKER_HEARTBEAT_MS: setting({
    schema: integer(10),
    default: '2000',
    description: 'How often a worker process records itself as alive (readyz: "a worker seen recently").',
  }),
  WORKER_SEEN_WITHIN_MS: setting({
    schema: integer(10),
    default: '10000',
    description: '/readyz reports ready only when a worker heartbeat is at most this old.',
  }),
  // Recovery after a crash (SIGKILL, a lost machine): the dead worker's jobs move to another
  // worker at the first stall check after their lock expired, within about lock + interval
  // (12 s; the lock is renewed every 2.5 to 5 s, so 5 to 10 s of it are left at a crash). BullMQ's
  // own 30 s and 30 s made that about a minute. A live job's lock holds through 5 s of delay in
  // its renewal, and the worker's main thread never runs long CPU work (runs go to threads):
  // test/workers/processes.test.ts runs a long job with both cores saturated and no stall.
  WORKER_LOCK_DURATION_MS: setting({
    schema: integer(100),
    default: '10000',
    description:
      "BullMQ job lock duration, renewed every quarter to half of it. A crashed worker's jobs move to another worker at the first stall check after their lock expires.",
  }),
  WORKER_STALLED_INTERVAL_MS: setting({
    schema: integer(100),
    default: '2000',
    description:
      "How often workers look for stalled jobs (jobs whose worker died) and hand them to another worker. A crashed worker's jobs move within about WORKER_LOCK_DURATION_MS + this.",
  }),
  WORKER_MAX_STALLED_COUNT: setting({
    schema: integer(0, 1000),
    default: '3',
    description: 'How many times a job may be recovered from a crashed worker before it is failed.',
  }),
  WORKER_DEVICES: setting({
    schema: workerDevices,
    default: 'auto',
    description:
      'Which jobs a worker process takes: `cpu` (the CPU queue), `gpu` (the GPU queue: `device: "gpu"` jobs ' +
      'and `auto` jobs routed to a GPU), or `cpu,gpu`. auto: cpu, plus gpu when a hardware GPU adapter is ' +
      'found at start (a software one, such as llvmpipe, only when listed). Listing gpu without an adapter ' +
      'stops the worker at start.',
  }),
  WORKER_GPU_CONCURRENCY: setting({
    schema: integer(1, 64),
    default: '1',
    description:
      "GPU jobs one worker process runs at once on its GPU (on the process's main thread: a GPU run mostly waits on the device).",
  }),
  GPU_AUTO_MIN_DIM: setting({
    schema: integer(1),
    default: '100000',
    description:
      '`device: "auto"` runs on a GPU from this dimension on (and only a spec the GPU runs, on a hardware ' +
      'adapter, with a GPU worker seen within WORKER_SEEN_WITHIN_MS). An estimate until measured on a real ' +
      'GPU: `npm run bench -- gpu` prints the crossover.',
  }),
  GPU_AUTO_MIN_MODEL_WORK: setting({
    schema: integer(1),
    default: '4000000',
    description:
      '`device: "auto"` runs a model on a GPU from this work per step on: rows per batch × parameters (the ' +
      'full batch of a stored data set is not estimated and stays on the CPU). An estimate until measured on ' +
      'a real GPU.',
  }),
  GPU_AUTO_SOFTWARE: setting({
    schema: boolean,
    default: 'false',
    description:
      'Let `device: "auto"` use a software GPU adapter (llvmpipe), which is slower than the CPU core at every ' +
      'size measured: for tests and development only.',
  }),
  DATA_DIR: setting({
    schema: z.string().trim().min(1),
    default: './data',
    description: 'Directory of the embedded redis-server (socket, AOF) when REDIS_URL is unset.',
  }),
  REDIS_APPENDFSYNC: setting({
    schema: z.enum(['always', 'everysec']),
    default: 'always',
    description:
      'When the embedded redis-server (REDIS_URL unset) syncs its AOF to disk. always: a job is on disk ' +
      'before its 202, and a crash of the whole machine loses nothing acknowledged. everysec: faster ' +
      'writes, but such a crash can lose the last second of them (a crash of the service alone ' +
      'loses nothing either way). For a Redis of your own, set its appendfsync there.',
  }),
  MAX_DIM: setting({ schema: integer(1), default: '1000000', description: 'Largest objective dimension.' }),
  MAX_ITERATIONS: setting({
    schema: integer(1),
    default: '10000000',
    description: 'Hard cap on stop.maxIterations.',
  }),
  MAX_SECONDS: setting({ schema: integer(1), default: '3600', description: 'Hard cap on stop.maxSeconds.' }),
  MAX_EXPRESSION_LENGTH: setting({
    schema: integer(1),
    default: '10000',
    description: 'Longest expression objective, in characters.',
  }),
  MAX_EXPRESSION_DEPTH: setting({
    schema: integer(1, 10_000),
    default: '200',
    description: 'Deepest nesting of an expression objective.',
  }),
  MAX_POINTS: setting({
    schema: integer(2),
    default: '100000',
    description: 'Hard cap on record.maxPoints.',
  }),
  MAX_RECORDED_NUMBERS: setting({
    schema: integer(1),
    default: '10000000',
    description:
      'Most numbers of x one trajectory may record (points × dimension when record.params is on); ' +
      'a spec over it is a 400 naming record.params.',
  }),
  INLINE_PARAMS_MAX_DIM: setting({
    schema: integer(1),
    default: '10000',
    description:
      'result.x and best.x are inlined up to this dimension; above it GET /v1/jobs/{id}/params serves them.',
  }),
  NEWTON_MAX_DIM: setting({
    schema: integer(1),
    default: '2000',
    description: 'Largest dimension for newton (dense Hessian, O(dim³) per step).',
  }),
  MAX_DATASET_NUMBERS: setting({
    schema: integer(1),
    default: '10000000',
    description: 'Largest dataset, in numbers (rows × (features + 1)).',
  }),
  DATASET_CACHE_BYTES: setting({
    schema: integer(0),
    default: String(256 * MIB),
    defaultText: '268435456 (256 MiB)',
    description:
      'Memory a worker process gives to the data sets it has read (split among its run threads, least recently used out; the data set of a running job always stays): each thread reads a data set once, not once per job.',
  }),
  BODY_LIMIT_BYTES: setting({
    schema: integer(1024),
    default: String(MIB),
    defaultText: '1048576 (1 MiB)',
    description: 'Largest request body, except dataset uploads (413 above).',
  }),
  DATASET_BODY_LIMIT_BYTES: setting({
    schema: integer(1024),
    default: String(16 * MIB),
    defaultText: '16777216 (16 MiB)',
    description: 'Largest dataset upload body (413 above).',
  }),
  RATE_LIMIT_MAX: setting({
    schema: integer(0),
    defaultText: `${SHARED_RATE_LIMIT_MAX} (local: none)`,
    description:
      'Requests per RATE_LIMIT_WINDOW_MS per tenant (or client address when open); 0 disables. Unset: ' +
      `${SHARED_RATE_LIMIT_MAX} when the server is shared (API_KEYS set, or HOST other than loopback), none ` +
      'for an open server on this machine only (the default HOST), so a notebook or the dashboard is never throttled.',
  }),
  RATE_LIMIT_WINDOW_MS: setting({ schema: integer(1), default: '60000', description: 'Rate-limit window.' }),
  CORS_ORIGINS: setting({
    schema: corsOrigins,
    defaultText: '(unset: none)',
    description:
      'Browser origins allowed to call the API from pages of their own (a notebook or dashboard served ' +
      "elsewhere): comma-separated, e.g. http://localhost:5173, or '*' for any. Unset: no CORS headers, " +
      "so browsers allow same-origin pages only. Other clients (curl, Python, services) don't need it.",
  }),
  SSE_PING_MS: setting({
    schema: integer(100),
    default: '15000',
    description: 'Interval of `: ping` comments on idle event streams.',
  }),
  SSE_MAX_BUFFER_BYTES: setting({
    schema: integer(1024),
    default: String(MIB),
    defaultText: '1048576 (1 MiB)',
    description: 'Unsent bytes an event-stream client may fall behind by before it is dropped.',
  }),
  JOB_TTL_SECONDS: setting({
    schema: integer(0),
    default: String(7 * 24 * 3600),
    defaultText: '604800 (7 days)',
    description:
      'Finished jobs, their trajectories and parameters expire this long after they finish; 0 keeps them forever.',
  }),
  // 10,000: ten full batches of 1,000 (a notebook's grid), or two hundred 50-run comparisons, at
  // once; records and queue entries of that many tiny jobs take ~20 MB of Redis. Fair order
  // (src/queue/job-queue.ts) keeps one tenant's backlog from delaying the others; the cap keeps
  // it from filling Redis.
  MAX_ACTIVE_JOBS_PER_TENANT: setting({
    schema: integer(0, 2 ** 21),
    default: '10000',
    description:
      "A tenant's queued + running jobs at most (a batch or a comparison counts each of its jobs); a " +
      'submission that would go over it is refused whole with 429 and Retry-After. 0: no cap.',
  }),
  WEBHOOK_SECRET: setting({
    schema: z.string().min(16, 'must be at least 16 characters'),
    defaultText: '(unset: off)',
    description:
      "The key of the webhooks' HMAC-SHA256 signatures (Descent-Signature), shared with the receivers. " +
      'Unset: a spec with a webhook is refused (400). The API and the workers need the same value.',
  }),
  WEBHOOK_ALLOWED_HOSTS: setting({
    schema: z
      .string()
      .trim()
      .transform((value) =>
        value
          .split(',')
          .map((host) =>
            host
              .trim()
              .toLowerCase()
              .replace(/^\[(.*)\]$/, '$1'),
          )
          .filter((host) => host !== ''),
      ),
    defaultText: '(unset: none)',
    description:
      'Webhook hosts allowed although they are (or resolve to) loopback, private, link-local or metadata ' +
      'addresses, and the only hosts allowed plain http: comma-separated names or addresses, e.g. ' +
      '127.0.0.1,hooks.internal.',
  }),
  WEBHOOK_TIMEOUT_MS: setting({
    schema: integer(1),
    default: '10000',
    description: 'How long a webhook delivery waits for an answer before the attempt counts as failed.',
  }),
  WEBHOOK_BACKOFF_MS: setting({
    schema: integer(1),
    default: '30000',
    description:
      'First wait before a failed webhook delivery is retried; doubled after each attempt, 8 attempts in all ' +
      '(30 s: the last about 64 minutes after the first).',
  }),
  IDEMPOTENCY_TTL_SECONDS: setting({
    schema: integer(1),
    default: String(24 * 3600),
    defaultText: '86400 (24 h)',
    description: 'How long an Idempotency-Key keeps returning the same job.',
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;

type Settings = {
  [K in SettingName]: z.output<(typeof SETTINGS)[K]['schema']>;
};

export interface Config {
  /** null: no Redis configured (`npm start` then embeds one). */
  redisUrl: string | null;
  redisPrefix: string;
  port: number;
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** key → tenant; null when the API runs open (tenant `default`). */
  apiKeys: Map<string, string> | null;
  workerConcurrency: number;
  checkpointIntervalMs: number;
  workerHeartbeatMs: number;
  workerSeenWithinMs: number;
  workerLockDurationMs: number;
  workerStalledIntervalMs: number;
  workerMaxStalledCount: number;
  workerDevices: WorkerDevices;
  workerGpuConcurrency: number;
  /** Where `device: "auto"` runs (GPU_AUTO_MIN_DIM, GPU_AUTO_SOFTWARE). */
  gpuAuto: AutoDeviceRule;
  dataDir: string;
  redisAppendfsync: 'always' | 'everysec';
  limits: Limits;
  maxDatasetNumbers: number;
  datasetCacheBytes: number;
  bodyLimitBytes: number;
  datasetBodyLimitBytes: number;
  rateLimitMax: number;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For is believed. */
  trustProxy: boolean | number | string[];
  /** Origins allowed by CORS; null: none (no CORS headers). */
  corsOrigins: '*' | string[] | null;
  rateLimitWindowMs: number;
  ssePingMs: number;
  sseMaxBufferBytes: number;
  /** 0: finished jobs never expire. */
  jobTtlSeconds: number;
  idempotencyTtlSeconds: number;
  /** 0: no cap. */
  maxActiveJobsPerTenant: number;
  webhook: WebhookConfig;
}

export interface WebhookConfig {
  /** null: webhooks are refused. */
  secret: string | null;
  /** Lower-case names and addresses (IPv6 without brackets). */
  allowedHosts: string[];
  timeoutMs: number;
  backoffMs: number;
}

export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Parses the named settings from `env`; bad ones are listed in `issues`. */
function parseSettings(
  names: readonly SettingName[],
  env: NodeJS.ProcessEnv,
): { values: Partial<Record<SettingName, unknown>>; issues: string[] } {
  const issues: string[] = [];
  const values: Partial<Record<SettingName, unknown>> = {};
  for (const name of names) {
    const definition = SETTINGS[name] as SettingDefinition<z.ZodType<unknown, string>>;
    const raw = env[name];
    const given = raw !== undefined && raw.trim() !== '';
    const text = given
      ? raw
      : typeof definition.default === 'function'
        ? definition.default()
        : definition.default;
    if (text === undefined) continue;
    const parsed = definition.schema.safeParse(text);
    if (parsed.success) values[name] = parsed.data;
    else {
      const message = parsed.error.issues.map((issue) => issue.message).join('; ');
      const secret = name === 'API_KEYS' || name === 'REDIS_URL' || name === 'WEBHOOK_SECRET';
      const shown = secret ? '' : ` (got '${text}')`;
      issues.push(`${name}: ${message}${shown}`);
    }
  }
  return { values, issues };
}

/**
 * The rule for `device: "auto"` alone (GPU_AUTO_MIN_DIM, GPU_AUTO_MIN_MODEL_WORK, GPU_AUTO_SOFTWARE), for `descent run`,
 * which needs no other setting; throws a ConfigError when one is bad.
 */
export function gpuAutoRule(env: NodeJS.ProcessEnv = process.env): AutoDeviceRule {
  const { values, issues } = parseSettings(
    ['GPU_AUTO_MIN_DIM', 'GPU_AUTO_MIN_MODEL_WORK', 'GPU_AUTO_SOFTWARE'],
    env,
  );
  if (issues.length > 0) throw new ConfigError(issues);
  return autoRuleOf(values as Settings);
}

function autoRuleOf(settings: Settings): AutoDeviceRule {
  return {
    minDim: settings.GPU_AUTO_MIN_DIM,
    minModelWork: settings.GPU_AUTO_MIN_MODEL_WORK,
    allowSoftware: settings.GPU_AUTO_SOFTWARE,
  };
}

/** Reads and validates every setting; throws a ConfigError that lists every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { values, issues } = parseSettings(Object.keys(SETTINGS) as SettingName[], env);
  const settings = values as Settings;
  if (issues.length === 0 && settings.DATASET_BODY_LIMIT_BYTES < settings.BODY_LIMIT_BYTES) {
    issues.push('DATASET_BODY_LIMIT_BYTES: must be at least BODY_LIMIT_BYTES');
  }
  if (issues.length === 0 && settings.INLINE_PARAMS_MAX_DIM > settings.MAX_DIM) {
    // Not an error in itself, but a sign of a typo: clamp silently would hide it.
    issues.push('INLINE_PARAMS_MAX_DIM: must not exceed MAX_DIM');
  }
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    redisUrl: settings.REDIS_URL ?? null,
    redisPrefix: settings.REDIS_PREFIX,
    port: settings.PORT,
    host: settings.HOST,
    logLevel: settings.LOG_LEVEL,
    apiKeys: settings.API_KEYS && settings.API_KEYS.size > 0 ? settings.API_KEYS : null,
    workerConcurrency: settings.WORKER_CONCURRENCY,
    checkpointIntervalMs: settings.CHECKPOINT_INTERVAL_MS,
    workerHeartbeatMs: settings.WORKER_HEARTBEAT_MS,
    workerSeenWithinMs: settings.WORKER_SEEN_WITHIN_MS,
    workerLockDurationMs: settings.WORKER_LOCK_DURATION_MS,
    workerStalledIntervalMs: settings.WORKER_STALLED_INTERVAL_MS,
    workerMaxStalledCount: settings.WORKER_MAX_STALLED_COUNT,
    workerDevices: settings.WORKER_DEVICES,
    workerGpuConcurrency: settings.WORKER_GPU_CONCURRENCY,
    gpuAuto: autoRuleOf(settings),
    dataDir: settings.DATA_DIR,
    redisAppendfsync: settings.REDIS_APPENDFSYNC,
    limits: {
      maxDim: settings.MAX_DIM,
      maxIterations: settings.MAX_ITERATIONS,
      maxSeconds: settings.MAX_SECONDS,
      maxExpressionLength: settings.MAX_EXPRESSION_LENGTH,
      maxExpressionDepth: settings.MAX_EXPRESSION_DEPTH,
      maxPoints: settings.MAX_POINTS,
      maxRecordedNumbers: settings.MAX_RECORDED_NUMBERS,
      inlineParamsMaxDim: settings.INLINE_PARAMS_MAX_DIM,
      newtonMaxDim: settings.NEWTON_MAX_DIM,
    },
    maxDatasetNumbers: settings.MAX_DATASET_NUMBERS,
    datasetCacheBytes: settings.DATASET_CACHE_BYTES,
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    datasetBodyLimitBytes: settings.DATASET_BODY_LIMIT_BYTES,
    rateLimitMax:
      settings.RATE_LIMIT_MAX ??
      (settings.API_KEYS?.size || !isLoopbackHost(settings.HOST) ? SHARED_RATE_LIMIT_MAX : 0),
    trustProxy: settings.TRUST_PROXY,
    corsOrigins: settings.CORS_ORIGINS ?? null,
    rateLimitWindowMs: settings.RATE_LIMIT_WINDOW_MS,
    ssePingMs: settings.SSE_PING_MS,
    sseMaxBufferBytes: settings.SSE_MAX_BUFFER_BYTES,
    jobTtlSeconds: settings.JOB_TTL_SECONDS,
    idempotencyTtlSeconds: settings.IDEMPOTENCY_TTL_SECONDS,
    maxActiveJobsPerTenant: settings.MAX_ACTIVE_JOBS_PER_TENANT,
    webhook: {
      secret: settings.WEBHOOK_SECRET ?? null,
      allowedHosts: settings.WEBHOOK_ALLOWED_HOSTS ?? [],
      timeoutMs: settings.WEBHOOK_TIMEOUT_MS,
      backoffMs: settings.WEBHOOK_BACKOFF_MS,
    },
  };
}

export interface SettingDoc {
  name: SettingName;
  default: string;
  description: string;
}

/** The settings table for the README and `--help`: name, default and description. */
export function settingsTable(): SettingDoc[] {
  return (Object.entries(SETTINGS) as [SettingName, SettingDefinition<z.ZodType<unknown, string>>][]).map(
    ([name, definition]) => ({
      name,
      default:
        definition.defaultText ??
        (typeof definition.default === 'string' ? definition.default : '(computed)'),
      description: definition.description,
    }),
  );
}

/** The table as Markdown rows (README "Configuration"). */
export function settingsMarkdown(): string {
  const rows = settingsTable().map((row) => `| \`${row.name}\` | ${row.default} | ${row.description} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The table as plain text lines for `--help`. */
export function settingsHelp(): string {
  const rows = settingsTable();
  const width = Math.max(...rows.map((row) => row.name.length));
  return rows
    .map((row) => `  ${row.name.padEnd(width)}  ${row.description} [default: ${row.default}]`)
    .join('\n');
}
