import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/core/spec.ts';
import { datasetFromJson } from '../../src/data/json-table.ts';
import type { TabularDataset } from '../../src/data/tabular.ts';
import { normalizeJobSpec } from '../../src/schemas/job-spec.ts';
import { DatasetStore } from '../../src/store/datasets.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import { DatasetGoneError, type JobSubmissions } from '../../src/store/job-submissions.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis } from '../helpers/redis.ts';
import { sampleResult } from '../helpers/results.ts';

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let datasets: DatasetStore;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;

beforeAll(() => {
  ({ redis, prefix, cleanup } = connectTestRedis('datasets'));
  datasets = new DatasetStore(redis, prefix);
  ({ jobs, submissions, runs } = jobStores(redis, prefix));
});

afterAll(async () => {
  await cleanup();
});

function table(labels: (number | string)[] = ['b', 'a', 'b', 'a', 'c', 'c']): TabularDataset {
  const outcome = datasetFromJson(
    labels.map((_, r) => [r, r * r - 0.5]),
    labels,
  );
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  return outcome.dataset;
}

/** A model job spec on the stored data set `id` (shape of `table()`). */
function modelSpec(id: string): JobSpec {
  const normalized = normalizeJobSpec(
    {
      objective: { type: 'model', model: 'softmax_regression', data: { datasetId: id } },
      optimizer: { name: 'lbfgs' },
      seed: 1,
    },
    {
      models: {
        datasetShape: () => ({ rows: 6, features: 2, task: 'classification', classes: 3, targets: 'labels' }),
      },
    },
  );
  if (!normalized.ok) throw new Error(JSON.stringify(normalized.errors));
  return normalized.spec;
}

const params = { final: new Float64Array(9), best: new Float64Array(9) };

describe('DatasetStore', () => {
  it('stores X and y as float64 bytes and reads them back exactly, with the metadata', async () => {
    const dataset = table();
    const record = await datasets.create('alice', dataset, { name: 'letters' });
    expect(record).toMatchObject({
      tenant: 'alice',
      name: 'letters',
      rows: 6,
      features: 2,
      classes: 3,
      labels: ['a', 'b', 'c'],
    });
    expect(await datasets.read(record.id)).toEqual(dataset);
    expect(await datasets.get(record.id, 'alice')).toEqual(record);
    expect(await datasets.get(record.id, 'bob')).toBeNull();
    expect(await datasets.shape(record.id, 'alice')).toEqual({
      rows: 6,
      features: 2,
      task: 'classification',
      classes: 3,
      targets: 'labels',
    });
    expect((await redis.hgetBuffer(datasets.keys.dataset(record.id), 'X'))?.length).toBe(6 * 2 * 8);
  });

  it('lists a tenant’s data sets newest first, in cursor pages that never repeat or skip', async () => {
    const ids: string[] = [];
    for (let k = 0; k < 7; k++) ids.push((await datasets.create('carol', table())).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await datasets.list('carol', { limit: 3, cursor });
      if (page === null) throw new Error('cursor refused');
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(new Set(seen).size).toBe(7);
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(await datasets.list('carol', { limit: 3, cursor: 'garbage' })).toBeNull();
    expect((await datasets.list('dave', { limit: 3 }))?.items).toEqual([]);
  });

  it('refuses to remove a data set a queued job uses; the job’s end releases it (finish, fail, cancel)', async () => {
    for (const ending of ['finish', 'fail', 'cancel'] as const) {
      const record = await datasets.create('alice', table());
      const { job } = await submissions.create('alice', modelSpec(record.id));
      expect(await redis.smembers(datasets.keys.datasetJobs(record.id))).toEqual([job.id]);
      expect(await datasets.remove(record.id, 'alice')).toEqual({
        removed: false,
        reason: 'in_use',
        jobId: job.id,
      });
      if (ending === 'finish') {
        await runs.begin(job.id);
        expect(await datasets.remove(record.id, 'alice')).toMatchObject({ removed: false, reason: 'in_use' });
        await runs.finish(job.id, 'completed', sampleResult(), params, 100);
      } else if (ending === 'fail') {
        await runs.fail(job.id, { code: 'worker_error', message: 'boom' });
      } else {
        expect((await jobs.requestCancel(job.id))?.status).toBe('cancelled');
      }
      expect(await redis.scard(datasets.keys.datasetJobs(record.id)), ending).toBe(0);
      expect(await datasets.remove(record.id, 'bob'), ending).toEqual({ removed: false, reason: 'missing' });
      expect(await datasets.remove(record.id, 'alice'), ending).toEqual({ removed: true });
      expect(await redis.exists(datasets.keys.dataset(record.id), datasets.keys.datasetJobs(record.id))).toBe(
        0,
      );
      expect(await datasets.get(record.id)).toBeNull();
      expect(await datasets.remove(record.id, 'alice')).toEqual({ removed: false, reason: 'missing' });
    }
  });

  it('a job cannot be created on a data set removed meanwhile (checked in the create script)', async () => {
    const record = await datasets.create('alice', table());
    expect(await datasets.remove(record.id, 'alice')).toEqual({ removed: true });
    await expect(submissions.create('alice', modelSpec(record.id))).rejects.toBeInstanceOf(DatasetGoneError);
    expect(await redis.exists(datasets.keys.datasetJobs(record.id))).toBe(0);
  });

  it('removal ignores users whose job has finished or expired (a missed release cannot lock a data set)', async () => {
    const record = await datasets.create('alice', table());
    await redis.sadd(datasets.keys.datasetJobs(record.id), 'a-job-that-expired');
    expect(await datasets.remove(record.id, 'alice')).toEqual({ removed: true });
  });
});
