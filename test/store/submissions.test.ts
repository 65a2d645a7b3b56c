import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeComparisonSpec } from '../../src/schemas/comparison.ts';
import { ComparisonStore } from '../../src/store/comparisons.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import { type JobSubmissions, TenantCapError } from '../../src/store/job-submissions.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis } from '../helpers/redis.ts';
import { sampleResult } from '../helpers/results.ts';
import { makeSpec } from '../helpers/specs.ts';

/**
 * The store's submission scripts: the tenant's active count raised by create-jobs.lua and lowered
 * by every way a job finishes (_release.lua), and a comparison counted down by its members.
 */

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;
let comparisons: ComparisonStore;

beforeAll(() => {
  ({ redis, prefix, cleanup } = connectTestRedis('submissions'));
  ({ jobs, submissions, runs } = jobStores(redis, prefix, { maxActivePerTenant: 6 }));
  comparisons = new ComparisonStore(redis, prefix, jobs, submissions);
});

afterAll(async () => {
  await cleanup();
});

const params = { final: new Float64Array([1, 1]), best: new Float64Array([1, 1]) };

describe('the active count', () => {
  it('is raised by each created job and lowered by every way a job finishes', async () => {
    const { jobs: created, position } = await submissions.createBatch('dora', [
      makeSpec(),
      makeSpec(),
      makeSpec(),
      makeSpec(),
    ]);
    expect(position).toBe(0);
    expect(await jobs.activeCount('dora')).toBe(4);
    const [a, b, c, d] = created.map((job) => job.id);
    const result = sampleResult();

    await runs.begin(a);
    expect(await runs.finish(a, 'completed', result, params, 1000)).toBe(true);
    expect(await jobs.activeCount('dora')).toBe(3);
    expect(await runs.finishUnstarted(b, 'completed', result, params, 1000)).toBe('finished');
    expect(await jobs.activeCount('dora')).toBe(2);
    expect(await runs.fail(c, { code: 'worker_error', message: 'boom' })).toBe(true);
    expect(await jobs.activeCount('dora')).toBe(1);
    expect((await jobs.requestCancel(d))?.status).toBe('cancelled');
    expect(await jobs.activeCount('dora')).toBe(0);
    // A second finish of a finished job changes nothing.
    expect(await runs.fail(a, { code: 'worker_error', message: 'again' })).toBe(false);
    expect((await jobs.requestCancel(d))?.status).toBe('cancelled');
    expect(await jobs.activeCount('dora')).toBe(0);
  });

  it('refuses a submission that would go over the cap, writing nothing', async () => {
    const { position } = await submissions.createBatch('erin', [
      makeSpec(),
      makeSpec(),
      makeSpec(),
      makeSpec(),
      makeSpec(),
    ]);
    expect(position).toBe(0);
    expect((await submissions.create('erin', makeSpec())).position).toBe(5);
    const error = await submissions.createBatch('erin', [makeSpec()]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TenantCapError);
    expect(error).toMatchObject({ active: 6, requested: 1, cap: 6 });
    expect(await redis.zcard(`${prefix}:jobs:erin`)).toBe(6);
    expect(await jobs.activeCount('erin')).toBe(6);
  });
});

describe('a comparison', () => {
  function members(count: number) {
    const normalized = normalizeComparisonSpec({
      objective: { type: 'builtin', name: 'booth' },
      runs: Array.from({ length: count }, () => ({ optimizer: { name: 'sgd' } })),
      seed: 4,
    });
    if (!normalized.ok) throw new Error(JSON.stringify(normalized.errors));
    return normalized;
  }

  it('runs from its first member and completes with its last', async () => {
    const { spec, members: specs } = members(2);
    const { comparison, jobs: created, position } = await comparisons.create('fay', spec, 'two', specs);
    expect(position).toBe(0);
    expect(created.map((job) => job.comparisonId)).toEqual([comparison.id, comparison.id]);
    expect((await comparisons.get(comparison.id))?.status).toBe('queued');
    await runs.begin(created[0].id);
    expect((await comparisons.get(comparison.id))?.status).toBe('running');
    await runs.finish(created[0].id, 'completed', sampleResult(), params, 1000);
    expect((await comparisons.get(comparison.id))?.status).toBe('running');
    await runs.finishUnstarted(created[1].id, 'completed', sampleResult(), params, 1000);
    const done = await comparisons.get(comparison.id);
    expect(done?.status).toBe('completed');
    expect(done?.finishedAt).not.toBeNull();
    expect(await jobs.activeCount('fay')).toBe(0);
  });

  it('fails when a member failed, and ends cancelled when cancelled', async () => {
    const first = await comparisons.create('fay', members(2).spec, null, members(2).members);
    await runs.fail(first.jobs[0].id, { code: 'worker_error', message: 'boom' });
    await runs.finishUnstarted(first.jobs[1].id, 'completed', sampleResult(), params, 1000);
    expect((await comparisons.get(first.comparison.id))?.status).toBe('failed');

    const second = await comparisons.create('fay', members(3).spec, null, members(3).members);
    await runs.begin(second.jobs[0].id);
    const discarded = await comparisons.cancel(second.comparison);
    expect(discarded.sort()).toEqual([second.jobs[1].id, second.jobs[2].id].sort());
    expect((await comparisons.get(second.comparison.id))?.status).toBe('running');
    expect(await comparisons.remove(second.comparison.id)).toBe('active');
    await runs.finish(second.jobs[0].id, 'cancelled', sampleResult(), params, 1000);
    expect((await comparisons.get(second.comparison.id))?.status).toBe('cancelled');
    expect(await comparisons.remove(second.comparison.id)).toBe('removed');
    expect(await jobs.getMany(second.jobs.map((job) => job.id))).toEqual([null, null, null]);
    expect(await comparisons.get(second.comparison.id)).toBeNull();
  });
});
