import type { Redis } from 'ioredis';
import type { DatasetShape } from '../data/model-data.ts';
import type { TabularDataset } from '../data/tabular.ts';
import { float64Bytes, float64FromBytes } from './float64.ts';
import { newId } from './ids.ts';
import { StoreKeys } from './keys.ts';
import { runScript } from './scripts.ts';

/**
 * Uploaded data sets in Redis (layout in contract.ts): one hash per data set holding its
 * metadata as JSON and X and y as little-endian float64 bytes (8 bytes a number, against ~18 as
 * JSON text, and read back with one copy), plus the tenant's index and the set of jobs that use
 * it. A data set is immutable: written once, in one MULTI with its index entry (nothing is ever
 * half-stored), read by id, and removed by a script that refuses while a queued or running job
 * uses it.
 */

/** What is known of a stored data set without its rows: the API's resource, and normalisation's shape. */
export interface DatasetMeta extends Omit<TabularDataset, 'X' | 'y'> {
  id: string;
  /** A name given at upload (null when none). */
  name: string | null;
  /** How it came: an upload, or a job spec's inline rows. */
  origin: 'upload' | 'inline';
  /** Bytes of X and y as stored. */
  bytes: number;
  createdAt: string;
}

export interface DatasetRecord extends DatasetMeta {
  tenant: string;
}

export type RemoveOutcome =
  | { removed: true }
  | { removed: false; reason: 'missing' }
  | { removed: false; reason: 'in_use'; jobId: string };

const LIST_MAX_LIMIT = 100;

function encodeCursor(score: string, id: string): string {
  return Buffer.from(`${score}:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { score: number; id: string } | null {
  const match = /^(\d{1,16}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match === null ? null : { score: Number(match[1]), id: match[2] };
}

export class DatasetStore {
  readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new StoreKeys(prefix);
  }

  /** Stores a parsed data set for `tenant` under a fresh unguessable id; resolves to its record. */
  async create(
    tenant: string,
    dataset: TabularDataset,
    options: { name?: string | null; origin?: 'upload' | 'inline' } = {},
  ): Promise<DatasetRecord> {
    const id = newId();
    const created = new Date();
    const record: DatasetRecord = {
      id,
      tenant,
      name: options.name ?? null,
      rows: dataset.rows,
      features: dataset.features,
      columns: dataset.columns,
      target: dataset.target,
      task: dataset.task,
      classes: dataset.classes,
      labels: dataset.labels,
      targets: dataset.targets,
      origin: options.origin ?? 'upload',
      bytes: dataset.X.byteLength + dataset.y.byteLength,
      createdAt: created.toISOString(),
    };
    const { id: _id, tenant: _tenant, ...meta } = record;
    await this.redis
      .multi()
      .hset(this.keys.dataset(id), {
        id,
        tenant,
        meta: JSON.stringify(meta),
        X: float64Bytes(dataset.X),
        y: float64Bytes(dataset.y),
      })
      .zadd(this.keys.tenantDatasets(tenant), created.getTime(), id)
      .exec();
    return record;
  }

  /** The metadata, or null when missing or another tenant's (`tenant` undefined: any). */
  async get(id: string, tenant?: string): Promise<DatasetRecord | null> {
    const [owner, meta] = await this.redis.hmget(this.keys.dataset(id), 'tenant', 'meta');
    if (owner === null || meta === null || (tenant !== undefined && owner !== tenant)) return null;
    return { id, tenant: owner, ...(JSON.parse(meta) as Omit<DatasetMeta, 'id'>) };
  }

  /** What normalisation needs of the tenant's data set, or undefined. */
  async shape(id: string, tenant: string): Promise<DatasetShape | undefined> {
    const record = await this.get(id, tenant);
    if (record === null) return undefined;
    const { rows, features, task, classes, targets } = record;
    return { rows, features, task, classes, targets };
  }

  /** The rows (a worker's read, once per data set: see workers/dataset-cache.ts), or null when gone. */
  async read(id: string): Promise<TabularDataset | null> {
    const [meta, X, y] = await this.redis.hmgetBuffer(this.keys.dataset(id), 'meta', 'X', 'y');
    if (meta === null || X === null || y === null) return null;
    const { rows, features, columns, target, task, classes, labels, targets } = JSON.parse(
      meta.toString('utf8'),
    ) as DatasetMeta;
    return {
      X: float64FromBytes(X),
      y: float64FromBytes(y),
      rows,
      features,
      columns,
      target,
      task,
      classes,
      labels,
      targets,
    };
  }

  /** Newest first, `limit` at most 100; `cursor` is the previous page's `nextCursor` (null: invalid). */
  async list(
    tenant: string,
    query: { limit: number; cursor?: string },
  ): Promise<{ items: DatasetRecord[]; nextCursor: string | null } | null> {
    const limit = Math.max(1, Math.min(LIST_MAX_LIMIT, Math.floor(query.limit)));
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.cursor !== undefined && cursor === null) return null;
    // Members come by score, then id, both descending (ZRANGE … REV); the cursor is the last
    // item of the previous page, so the entries at or above it are skipped.
    const key = this.keys.tenantDatasets(tenant);
    const entries: { id: string; score: string }[] = [];
    for (let offset = 0; entries.length <= limit; ) {
      const page = await this.redis.zrange(
        key,
        cursor === null ? '+inf' : String(cursor.score),
        '-inf',
        'BYSCORE',
        'REV',
        'LIMIT',
        offset,
        limit + 1,
        'WITHSCORES',
      );
      if (page.length === 0) break;
      offset += page.length / 2;
      for (let k = 0; k + 1 < page.length; k += 2) {
        const entry = { id: page[k], score: page[k + 1] };
        if (cursor !== null && Number(entry.score) === cursor.score && entry.id >= cursor.id) continue;
        entries.push(entry);
      }
    }
    const shown = entries.slice(0, limit);
    const pipeline = this.redis.pipeline();
    for (const entry of shown) pipeline.hmget(this.keys.dataset(entry.id), 'tenant', 'meta');
    const replies = (await pipeline.exec()) ?? [];
    const items: DatasetRecord[] = [];
    replies.forEach(([error, fields], k) => {
      const [owner, meta] = (fields ?? []) as (string | null)[];
      if (error === null && owner === tenant && typeof meta === 'string') {
        items.push({ id: shown[k].id, tenant, ...(JSON.parse(meta) as Omit<DatasetMeta, 'id'>) });
      }
    });
    const last = shown[shown.length - 1];
    return {
      items,
      nextCursor: entries.length > limit && last !== undefined ? encodeCursor(last.score, last.id) : null,
    };
  }

  /** Removes the tenant's data set, unless a queued or running job uses it (one script: atomic with job creation). */
  async remove(id: string, tenant: string): Promise<RemoveOutcome> {
    const reply = (await runScript(
      this.redis,
      'descentRemoveDataset',
      [this.keys.dataset(id), this.keys.datasetJobs(id), this.keys.tenantDatasets(tenant)],
      [tenant, this.keys.jobPrefix, id],
    )) as number | [number, string];
    if (reply === 1) return { removed: true };
    if (Array.isArray(reply)) return { removed: false, reason: 'in_use', jobId: reply[1] };
    return { removed: false, reason: 'missing' };
  }
}
