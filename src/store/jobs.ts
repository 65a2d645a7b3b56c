import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunCheckpoint } from '../core/run.ts';
import type { JobSpec } from '../core/spec.ts';
import type { Result, TrajectoryPoint } from '../core/types.ts';
import {
  FINISHED_STATUSES,
  type FinishedJob,
  type JobError,
  type JobProgress,
  type JobRecord,
  type JobStatus,
  type JobStoreContract,
  type ListQuery,
} from './contract.ts';
import { StoreKeys } from './keys.ts';
import { LuaScript } from './lua.ts';
import { appendPointsLua, pointArgs } from './trajectory.ts';

/**
 * Job records in Redis (layout in contract.ts). Every status transition is one Lua script, so
 * transitions are atomic: a finished job never goes back to running, and of a cancel racing a
 * finish exactly one wins. A record's hash holds only the fields that are set (null fields are
 * absent): id, tenant, status, spec, label, progress, result, error, createdAt, startedAt,
 * finishedAt, cancelRequested.
 */

const LIST_MAX_LIMIT = 100;
/** Records a list call inspects at most (with filters, a page may then hold fewer than `limit`). */
const LIST_SCAN_BUDGET = 2000;

export interface JobStoreOptions {
  /** Seconds a finished job (record, trajectory, params) is kept; 0: forever. */
  finishedTtlSeconds?: number;
  /** Seconds an Idempotency-Key keeps returning its job. */
  idempotencyTtlSeconds?: number;
}

/** A list cursor that was not made by this store (the API answers 400). */
export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

const ID_BYTES = 16;
/** Ids drawn per randomBytes call: one call per id cost ~12 µs of a ~0.4 ms submit (profiled). */
const IDS_PER_DRAW = 256;
let idPool = Buffer.alloc(0);
let idOffset = 0;

/** 128 random bits (crypto.randomBytes, drawn in batches), base64url: unguessable, URL-safe, 22 characters. */
export function newJobId(): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * IDS_PER_DRAW);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

// KEYS: job, tenantJobs[, idem]  ARGV: id, createdMs, idemTtl, jobPrefix, field, value, ...
const createScript = new LuaScript(`
if #KEYS == 3 then
  local existing = redis.call('GET', KEYS[3])
  if existing and redis.call('EXISTS', ARGV[4] .. existing) == 1 then
    return {0, existing}
  end
  redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[3])
end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return {1, ARGV[1]}
`);

/**
 * queued → running, shared by markRunning and begin (KEYS[1] job; ARGV nowIso, eventsChannel):
 * a finished or missing job returns false, so it never goes back to running.
 */
const TO_RUNNING_LUA = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'completed' or status == 'failed' or status == 'cancelled' then return false end
if status ~= 'running' then
  redis.call('HSET', KEYS[1], 'status', 'running')
  redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[1])
  redis.call('PUBLISH', ARGV[2], 'running')
end
`;

// KEYS: job  ARGV: nowIso, eventsChannel
const markRunningScript = new LuaScript(`${TO_RUNNING_LUA}
return redis.call('HGETALL', KEYS[1])
`);

// KEYS: job, checkpoint  ARGV: nowIso, eventsChannel → { HGETALL, checkpoint | false } (markRunning, then the checkpoint)
const beginScript = new LuaScript(`${TO_RUNNING_LUA}
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}
`);

// KEYS: job  ARGV: progressJson → 1 when cancel was requested
const progressScript = new LuaScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[1])
if redis.call('HGET', KEYS[1], 'cancelRequested') == '1' then return 1 end
return 0
`);

/** The part of the finishing scripts after the checks: result, params, TTLs, notifications. */
const FINISH_LUA = `
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'result', ARGV[2], 'progress', ARGV[3], 'finishedAt', ARGV[4])
redis.call('HSET', KEYS[2], 'final', ARGV[5], 'best', ARGV[6])
redis.call('DEL', KEYS[3])
local ttl = tonumber(ARGV[7])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[4], ttl)
end
redis.call('PUBLISH', ARGV[8], ARGV[1])
redis.call('PUBLISH', ARGV[9], ARGV[10])
`;

// KEYS: job, params, checkpoint, points  ARGV: status, resultJson, progressJson, finishedIso, final, best, ttl, eventsChannel, finishedChannel, finishedJson[, i1, json1, i2, json2, ...]
// → { finished (1 | 0), points added }. The run's last points are appended first (as
// TrajectoryStore.append does: while the record exists, deduplicated by entry id), so a job is
// never seen finished with its trajectory incomplete, and a run that ends within one batch
// stores points, result, params and status, and publishes the status, in one round trip.
const finishScript = new LuaScript(`
local added = 0
if #ARGV > 10 and redis.call('EXISTS', KEYS[1]) == 1 then
${appendPointsLua(4, 11)}
end
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return {0, added} end
${FINISH_LUA}
return {1, added}
`);

// finishScript for a run that was never marked running (JobStore.finishUnstarted): same KEYS and
// ARGV, except that final and best come as hex (all arguments strings: ioredis then skips its
// slower Buffer encoding, ~25 µs of a worker's ~0.2 ms per tiny job). → { 1, added } finished;
// { 0, 0 } gone or already finished; { 2, 0 } a cancel was requested (nothing written).
const finishUnstartedScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'running' then return {0, 0} end
if redis.call('HGET', KEYS[1], 'cancelRequested') == '1' then return {2, 0} end
local function unhex(s) return (string.gsub(s, '..', function(h) return string.char(tonumber(h, 16)) end)) end
ARGV[5] = unhex(ARGV[5])
ARGV[6] = unhex(ARGV[6])
local added = 0
if #ARGV > 10 then
${appendPointsLua(4, 11)}
end
redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[4])
${FINISH_LUA}
return {1, added}
`);

// KEYS: job, checkpoint, points  ARGV: errorJson, finishedIso, ttl, eventsChannel, finishedChannel, finishedJson
const failScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[1], 'finishedAt', ARGV[2])
redis.call('DEL', KEYS[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
end
redis.call('PUBLISH', ARGV[4], 'failed')
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`);

// KEYS: job  ARGV: nowIso, ttl, eventsChannel, cancelChannel, id
const cancelScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'cancelRequested', '1', 'finishedAt', ARGV[1])
  local ttl = tonumber(ARGV[2])
  if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
  redis.call('PUBLISH', ARGV[3], 'cancelled')
elseif status == 'running' then
  redis.call('HSET', KEYS[1], 'cancelRequested', '1')
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return redis.call('HGETALL', KEYS[1])
`);

// KEYS: job, points, checkpoint, params  ARGV: tenantJobsPrefix, id
const removeScript = new LuaScript(`
local tenant = redis.call('HGET', KEYS[1], 'tenant')
if tenant then redis.call('ZREM', ARGV[1] .. tenant, ARGV[2]) end
return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
`);

// KEYS: job, checkpoint  ARGV: checkpointJson
const checkpointScript = new LuaScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
return 1
`);

/*
 * One page of a tenant's jobs, newest first: members ordered by (createdMs desc, id desc); the
 * cursor (score, id) is the last item returned, so jobs created meanwhile never shift a page.
 * KEYS: tenantJobs  ARGV: jobPrefix, cursorScore ('+inf' when none), cursorId, status, hasLabel, label, limit, budget
 * → { nextScore | false, nextId | false, record1 (flat HGETALL), record2, ... }
 */
const listScript = new LuaScript(`
local cursorScore = ARGV[2]
local cursorId = ARGV[3]
local status = ARGV[4]
local hasLabel = ARGV[5] == '1'
local label = ARGV[6]
local limit = tonumber(ARGV[7])
local budget = tonumber(ARGV[8])
local batch = 100
local records = {}
local expired = {}
local lastScore, lastId = false, false
local scanned = 0
local offset = 0
local reachedEnd = false
local stopped = false
while not stopped do
  local page = redis.call('ZRANGE', KEYS[1], cursorScore, '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, batch, 'WITHSCORES')
  if #page == 0 then reachedEnd = true break end
  offset = offset + math.floor(#page / 2)
  for i = 1, #page, 2 do
    local id, score = page[i], page[i + 1]
    local skip = cursorId ~= '' and tonumber(score) == tonumber(cursorScore) and id >= cursorId
    if not skip then
      if #records >= limit or scanned >= budget then stopped = true break end
      scanned = scanned + 1
      lastScore, lastId = score, id
      local key = ARGV[1] .. id
      local fields = redis.call('HMGET', key, 'status', 'label')
      if not fields[1] then
        expired[#expired + 1] = id
      elseif (status == '' or fields[1] == status) and (not hasLabel or fields[2] == label) then
        records[#records + 1] = redis.call('HGETALL', key)
      end
    end
  end
  if not stopped and #page < batch * 2 then reachedEnd = true break end
end
if #expired > 0 then redis.call('ZREM', KEYS[1], unpack(expired)) end
if reachedEnd then lastScore, lastId = false, false end
local out = {lastScore, lastId}
for i = 1, #records do out[#out + 1] = records[i] end
return out
`);

function encodeCursor(score: string, id: string): string {
  return Buffer.from(`${score}:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { score: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!match) throw new InvalidCursorError();
  return { score: match[1], id: match[2] };
}

function flatToObject(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

function parseJson<T>(text: string | undefined): T | null {
  return text === undefined || text === '' ? null : (JSON.parse(text) as T);
}

export function decodeJobRecord(hash: Record<string, string>): JobRecord | null {
  if (hash.id === undefined || hash.status === undefined) return null;
  return {
    id: hash.id,
    tenant: hash.tenant,
    status: hash.status as JobStatus,
    spec: JSON.parse(hash.spec) as JobSpec,
    progress: parseJson<JobProgress>(hash.progress),
    result: parseJson<Result>(hash.result),
    error: parseJson<JobError>(hash.error),
    createdAt: hash.createdAt,
    startedAt: hash.startedAt ?? null,
    finishedAt: hash.finishedAt ?? null,
    cancelRequested: hash.cancelRequested === '1',
  };
}

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian float64 bytes of `values`. */
export function float64Bytes(values: Float64Array): Buffer {
  if (hostLittleEndian) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const bytes = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i], i * 8);
  return bytes;
}

/** The Float64Array of little-endian float64 bytes (copied, so it is aligned and owned). */
export function float64FromBytes(bytes: Buffer): Float64Array {
  const out = new Float64Array(Math.floor(bytes.length / 8));
  if (hostLittleEndian) new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 8));
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}

export class JobStore implements JobStoreContract {
  readonly keys: StoreKeys;
  private readonly redis: Redis;
  private readonly finishedTtlSeconds: number;
  private readonly idempotencyTtlSeconds: number;

  constructor(redis: Redis, prefix: string, options: JobStoreOptions = {}) {
    this.redis = redis;
    this.keys = new StoreKeys(prefix);
    this.finishedTtlSeconds = options.finishedTtlSeconds ?? 0;
    this.idempotencyTtlSeconds = options.idempotencyTtlSeconds ?? 24 * 3600;
  }

  async create(
    tenant: string,
    spec: JobSpec,
    idempotencyKey?: string,
    id: string = newJobId(),
  ): Promise<{ job: JobRecord; created: boolean }> {
    const now = new Date();
    const job: JobRecord = {
      id,
      tenant,
      status: 'queued',
      spec,
      progress: null,
      result: null,
      error: null,
      createdAt: now.toISOString(),
      startedAt: null,
      finishedAt: null,
      cancelRequested: false,
    };
    const fields = ['id', id, 'tenant', tenant, 'status', 'queued', 'spec', JSON.stringify(spec)];
    fields.push('createdAt', job.createdAt, 'cancelRequested', '0');
    if (spec.label !== null && spec.label !== undefined) fields.push('label', spec.label);
    const keys = [this.keys.job(id), this.keys.tenantJobs(tenant)];
    if (idempotencyKey !== undefined) keys.push(this.keys.idempotency(tenant, idempotencyKey));
    const [created, jobId] = (await createScript.run(this.redis, keys, [
      id,
      now.getTime(),
      this.idempotencyTtlSeconds,
      this.keys.jobPrefix,
      ...fields,
    ])) as [number, string];
    if (created === 1) return { job, created: true };
    const existing = await this.get(jobId, tenant);
    // Deleted between the two calls: a fresh job is what a first request would have got.
    if (existing === null) return this.create(tenant, spec, idempotencyKey);
    return { job: existing, created: false };
  }

  async get(id: string, tenant?: string): Promise<JobRecord | null> {
    const record = decodeJobRecord(await this.redis.hgetall(this.keys.job(id)));
    if (record === null || (tenant !== undefined && record.tenant !== tenant)) return null;
    return record;
  }

  /** Newest first; `cursor` is the `nextCursor` of the previous page (else InvalidCursorError). */
  async list(tenant: string, query: ListQuery): Promise<{ items: JobRecord[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(LIST_MAX_LIMIT, Math.floor(query.limit)));
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    const reply = (await listScript.run(
      this.redis,
      [this.keys.tenantJobs(tenant)],
      [
        this.keys.jobPrefix,
        cursor ? cursor.score : '+inf',
        cursor ? cursor.id : '',
        query.status ?? '',
        query.label !== undefined ? '1' : '0',
        query.label ?? '',
        limit,
        LIST_SCAN_BUDGET,
      ],
    )) as unknown[];
    const [score, id] = reply as [string | null, string | null];
    const items: JobRecord[] = [];
    for (const flat of reply.slice(2)) {
      const record = decodeJobRecord(flatToObject(flat));
      if (record !== null) items.push(record);
    }
    return { items, nextCursor: score !== null && id !== null ? encodeCursor(score, id) : null };
  }

  async markRunning(id: string): Promise<JobRecord | null> {
    const flat = await markRunningScript.run(
      this.redis,
      [this.keys.job(id)],
      [new Date().toISOString(), this.keys.events(id)],
    );
    return flat ? decodeJobRecord(flatToObject(flat)) : null;
  }

  /**
   * markRunning and loadCheckpoint in one round trip (what a worker does first with a job);
   * null when the job is gone or already finished.
   */
  async begin(id: string): Promise<{ record: JobRecord; checkpoint: RunCheckpoint | null } | null> {
    const reply = (await beginScript.run(
      this.redis,
      [this.keys.job(id), this.keys.checkpoint(id)],
      [new Date().toISOString(), this.keys.events(id)],
    )) as [unknown, string | null] | null;
    if (!reply) return null;
    const record = decodeJobRecord(flatToObject(reply[0]));
    if (record === null) return null;
    return { record, checkpoint: parseJson<RunCheckpoint>(reply[1] ?? undefined) };
  }

  /** Stores progress of a running job; resolves to true when a cancel was requested meanwhile. */
  async setProgress(id: string, progress: JobProgress): Promise<boolean> {
    const reply = await progressScript.run(this.redis, [this.keys.job(id)], [JSON.stringify(progress)]);
    return reply === 1;
  }

  /**
   * running → completed | cancelled; resolves to false when the job was not running (no change).
   * The final progress is derived from the result; `maxIterations` (the spec's) saves reading it.
   * `points`, the run's last points (at most a batch), are appended in the same script, before
   * the status changes.
   */
  async finish(
    id: string,
    status: 'completed' | 'cancelled',
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    maxIterations?: number,
    points: readonly TrajectoryPoint[] = [],
  ): Promise<boolean> {
    const reply = (await finishScript.run(
      this.redis,
      this.finishKeys(id),
      await this.finishArgs(id, status, result, params, maxIterations, points),
    )) as [number, number];
    return reply[0] === 1;
  }

  /**
   * Finishes a run that was never begun: queued (or running, from an attempt that stopped)
   * → completed | cancelled in one script: startedAt (when not set yet), points, result, params,
   * status and notifications, as `finish`. A worker runs a small job straight from its queue
   * entry's spec and stores it this way, one round trip in all. Resolves to `finished`, `gone`
   * (missing or already finished: nothing written) or `cancel_requested` (a cancel reached the
   * job while an earlier attempt ran it: nothing written; the caller runs it the usual way, which
   * honours the cancel).
   */
  finishUnstarted(
    id: string,
    status: 'completed' | 'cancelled',
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    maxIterations: number,
    points: readonly TrajectoryPoint[] = [],
  ): Promise<'finished' | 'gone' | 'cancel_requested'> {
    // Sent at once (synchronously, as EVAL: never a NOSCRIPT retry), so that a command the
    // caller issues after this call runs after it in Redis (see driveFirstSlice).
    const reply = finishUnstartedScript.runInOrder(
      this.redis,
      this.finishKeys(id),
      this.finishArgsKnown(id, status, result, params, maxIterations, points, true),
    ) as Promise<[number, number]>;
    return reply.then(([code]) => (code === 1 ? 'finished' : code === 2 ? 'cancel_requested' : 'gone'));
  }

  private finishKeys(id: string): string[] {
    return [this.keys.job(id), this.keys.params(id), this.keys.checkpoint(id), this.keys.points(id)];
  }

  private async finishArgs(
    id: string,
    status: 'completed' | 'cancelled',
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    maxIterations: number | undefined,
    points: readonly TrajectoryPoint[],
  ): Promise<(string | number | Buffer)[]> {
    if (maxIterations === undefined) {
      const spec = await this.redis.hget(this.keys.job(id), 'spec');
      maxIterations = spec ? (JSON.parse(spec) as JobSpec).stop.maxIterations : result.iterations;
    }
    return this.finishArgsKnown(id, status, result, params, maxIterations, points);
  }

  private finishArgsKnown(
    id: string,
    status: 'completed' | 'cancelled',
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    maxIterations: number,
    points: readonly TrajectoryPoint[],
    hexParams = false,
  ): (string | number | Buffer)[] {
    const encode = hexParams ? (values: Float64Array) => float64Bytes(values).toString('hex') : float64Bytes;
    const progress: JobProgress = {
      iteration: result.iterations,
      maxIterations,
      f: result.f,
      gradNorm: result.gradNorm,
    };
    const finished: FinishedJob = { id, status, iterations: result.iterations, wallMs: result.wallMs };
    const args: (string | number | Buffer)[] = [
      status,
      JSON.stringify(result),
      JSON.stringify(progress),
      new Date().toISOString(),
      encode(params.final),
      encode(params.best),
      this.finishedTtlSeconds,
      this.keys.events(id),
      this.keys.finishedChannel,
      JSON.stringify(finished),
    ];
    return pointArgs(points, args);
  }

  /** queued | running → failed; resolves to false when the job had already finished. */
  async fail(id: string, error: JobError): Promise<boolean> {
    const reply = await failScript.run(
      this.redis,
      [this.keys.job(id), this.keys.checkpoint(id), this.keys.points(id)],
      [
        JSON.stringify(error),
        new Date().toISOString(),
        this.finishedTtlSeconds,
        this.keys.events(id),
        this.keys.finishedChannel,
        JSON.stringify({ id, status: 'failed', iterations: null, wallMs: null } satisfies FinishedJob),
      ],
    );
    return reply === 1;
  }

  async requestCancel(id: string): Promise<JobRecord | null> {
    const flat = await cancelScript.run(
      this.redis,
      [this.keys.job(id)],
      [new Date().toISOString(), this.finishedTtlSeconds, this.keys.events(id), this.keys.cancelChannel, id],
    );
    return flat ? decodeJobRecord(flatToObject(flat)) : null;
  }

  async remove(id: string): Promise<void> {
    await removeScript.run(
      this.redis,
      [this.keys.job(id), this.keys.points(id), this.keys.checkpoint(id), this.keys.params(id)],
      [`${this.keys.prefix}:jobs:`, id],
    );
  }

  /** Saved only while the job is running (a late write never outlives its finished job). */
  async saveCheckpoint(id: string, checkpoint: RunCheckpoint): Promise<void> {
    await checkpointScript.run(
      this.redis,
      [this.keys.job(id), this.keys.checkpoint(id)],
      [JSON.stringify(checkpoint)],
    );
  }

  async loadCheckpoint(id: string): Promise<RunCheckpoint | null> {
    return parseJson<RunCheckpoint>((await this.redis.get(this.keys.checkpoint(id))) ?? undefined);
  }

  async params(id: string, which: 'final' | 'best'): Promise<Float64Array | null> {
    const bytes = await this.redis.hgetBuffer(this.keys.params(id), which);
    return bytes === null ? null : float64FromBytes(bytes);
  }
}

export function isFinished(status: JobStatus): boolean {
  return FINISHED_STATUSES.has(status);
}
