import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/run.ts';
import type { JobSpec, ModelObjectiveSpec } from '../../src/core/spec.ts';
import { builtinData } from '../../src/data/builtin-datasets.ts';
import { modelDataFor } from '../../src/data/resolve.ts';
import type { TabularDataset } from '../../src/data/tabular.ts';
import { normalizeJobSpec } from '../../src/schemas/job-spec.ts';
import { DatasetStore } from '../../src/store/datasets.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { DatasetCache } from '../../workers/dataset-cache.ts';
import { HAND_BACK, JobLife, type LifeContext } from '../../workers/job-life.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis } from '../helpers/redis.ts';
import { withoutTime } from '../helpers/specs.ts';

/** Model jobs on the worker side: the data set cache of a run thread, and a model job's life. */

let redis: Redis;
let cleanup: () => Promise<void>;
let datasets: DatasetStore;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;
let trajectories: TrajectoryStore;

beforeAll(() => {
  let prefix: string;
  ({ redis, prefix, cleanup } = connectTestRedis('model-jobs'));
  datasets = new DatasetStore(redis, prefix);
  ({ jobs, submissions, runs } = jobStores(redis, prefix));
  trajectories = new TrajectoryStore(redis, prefix);
});

afterAll(async () => {
  await cleanup();
});

function moons(samples: number, seed: number): TabularDataset {
  return builtinData({ builtin: 'two_moons', samples, noise: 0.2 }, seed);
}

/** A store that counts its reads. */
function countingStore() {
  const counted = { reads: [] as string[] };
  return {
    counted,
    store: {
      read: (id: string) => {
        counted.reads.push(id);
        return datasets.read(id);
      },
    },
  };
}

describe('DatasetCache', () => {
  it('reads a data set once: later and concurrent requests share it', async () => {
    const { id } = await datasets.create('default', moons(100, 1));
    const { store, counted } = countingStore();
    const cache = new DatasetCache(store, 1 << 20);
    const [a, b] = await Promise.all([cache.get(id), cache.get(id)]);
    const c = await cache.get(id);
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(counted.reads).toEqual([id]);
    expect(await cache.get('no-such-data-set')).toBeNull();
  });

  it('keeps the most recently used data sets within its bytes, and always the one just read', async () => {
    // 100 rows × 3 numbers × 8 bytes = 2,400 bytes each
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) ids.push((await datasets.create('default', moons(100, 10 + k))).id);
    const { store, counted } = countingStore();
    const cache = new DatasetCache(store, 5000);
    await cache.get(ids[0]);
    await cache.get(ids[1]);
    await cache.get(ids[0]); // ids[1] is now the least recently used
    await cache.get(ids[2]); // evicts ids[1]
    await cache.get(ids[0]);
    await cache.get(ids[2]);
    expect(counted.reads).toEqual([ids[0], ids[1], ids[2]]);
    await cache.get(ids[1]);
    expect(counted.reads).toEqual([ids[0], ids[1], ids[2], ids[1]]);
    const tiny = new DatasetCache(store, 10);
    expect((await tiny.get(ids[0]))?.rows).toBe(100);
    await tiny.get(ids[0]);
    expect(counted.reads.filter((id) => id === ids[0])).toHaveLength(2);
  });
});

describe('a model job on a run thread', () => {
  it('handed back mid-run, resumed by another thread with a cache of its own: the uninterrupted run, bit for bit', async () => {
    const stored = await datasets.create('default', moons(400, 3));
    const normalized = normalizeJobSpec(
      {
        objective: {
          type: 'model',
          model: 'mlp',
          data: { datasetId: stored.id },
          hidden: [16],
          batchSize: 7,
        },
        optimizer: { name: 'adam', lr: 0.003 },
        stop: { maxIterations: 30_000, gradTol: 0, fTol: null },
        record: { every: 1 },
        seed: 4,
      },
      { models: { datasetShape: () => stored } },
    );
    if (!normalized.ok) throw new Error(JSON.stringify(normalized.errors));
    const spec: JobSpec = normalized.spec;
    const id = (await submissions.create('default', spec)).job.id;

    const context = (cache: DatasetCache): LifeContext => ({
      runs,
      checkpointIntervalMs: 50,
      inlineParamsMaxDim: 10_000,
      datasets: cache,
    });
    const controller = new AbortController();
    const first = context(new DatasetCache(datasets, 1 << 20));
    const spied = Object.create(runs) as JobRuns;
    spied.append = (jobId, points) => {
      controller.abort(HAND_BACK);
      return runs.append(jobId, points);
    };
    const handedBack = await new JobLife(id, { ...first, runs: spied }, controller.signal).run({
      jobId: id,
    });
    if (handedBack.outcome !== 'handed_back')
      throw new Error(`expected handed_back, got ${handedBack.outcome}`);
    const checkpoint = await runs.loadCheckpoint(id);
    expect(checkpoint?.iteration).toBe(handedBack.iteration);
    // 320 training rows in batches of 7: 46 batches an epoch
    console.log(
      `handed back at iteration ${handedBack.iteration} (batch ${(handedBack.iteration ?? 0) % 46} of an epoch)`,
    );

    const resumed = await new JobLife(id, context(new DatasetCache(datasets, 1 << 20))).run({ jobId: id });
    expect(resumed).toMatchObject({ outcome: 'finished', resumedFrom: handedBack.iteration });

    const record = await jobs.get(id);
    expect(record?.status).toBe('completed');
    const dataset = modelDataFor(
      spec.objective as ModelObjectiveSpec,
      spec.seed,
      (await datasets.read(stored.id)) ?? undefined,
    );
    const expected = runToCompletion(spec, { dataset });
    expect(withoutTime(await trajectories.read(id, -1, 1_000_000))).toEqual(withoutTime(expected.trajectory));
    const { wallMs: _a, ...result } = record?.result ?? { wallMs: 0 };
    const { wallMs: _b, ...expectedResult } = expected.result;
    expect(result).toEqual(expectedResult);
    // the data set is free again once the job has finished
    expect(await datasets.remove(stored.id, 'default')).toEqual({ removed: true });
  });
});
