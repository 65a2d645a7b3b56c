import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrajectoryPoint } from '../../src/core/types.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis, monitorCommands, testRedisUrl } from '../helpers/redis.ts';
import { makeSpec } from '../helpers/specs.ts';

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;
let trajectories: TrajectoryStore;

beforeAll(() => {
  ({ redis, prefix, cleanup } = connectTestRedis('trajectory'));
  ({ jobs, submissions, runs } = jobStores(redis, prefix));
  trajectories = new TrajectoryStore(redis, prefix);
});

afterAll(async () => {
  await cleanup();
});

function points(from: number, to: number, withX = true): TrajectoryPoint[] {
  const out: TrajectoryPoint[] = [];
  for (let i = from; i <= to; i++) {
    const point: TrajectoryPoint = { i, f: 1 / (i + 1), gradNorm: i * 0.5, lr: 0.01, t: i * 0.1 };
    if (withX) point.x = [i, -(i + 1), 1e-300 * i];
    out.push(point);
  }
  return out;
}

async function newJob(): Promise<string> {
  return (await submissions.create('alice', makeSpec())).job.id;
}

describe('JobRuns.append and TrajectoryStore.read', () => {
  it('appends and reads points back exactly, with entry ids derived from i', async () => {
    const id = await newJob();
    expect(await runs.append(id, points(0, 9))).toBe(10);
    expect(await trajectories.read(id, -1, 100)).toEqual(points(0, 9));
    const entries = await redis.xrange(trajectories.keys.points(id), '-', '+');
    expect(entries.map(([entryId]) => entryId)).toEqual(points(0, 9).map((p) => `${p.i}-1`));
    expect(await trajectories.lastIteration(id)).toBe(9);
  });

  it('pages with an exclusive `after` and a limit', async () => {
    const id = await newJob();
    await runs.append(id, points(0, 99, false));
    expect((await trajectories.read(id, 9, 5)).map((p) => p.i)).toEqual([10, 11, 12, 13, 14]);
    expect((await trajectories.read(id, 97, 5)).map((p) => p.i)).toEqual([98, 99]);
    expect(await trajectories.read(id, 99, 5)).toEqual([]);
  });

  it('skips points at or below the last stored i when a retried job re-appends', async () => {
    const id = await newJob();
    await runs.append(id, points(0, 50));
    // A retried run resumes from an older checkpoint and re-sends 30..80 (with new times).
    const resent = points(30, 80).map((p) => ({ ...p, t: p.t + 1000 }));
    expect(await runs.append(id, resent)).toBe(30);
    const stored = await trajectories.read(id, -1, 1000);
    expect(stored.map((p) => p.i)).toEqual(Array.from({ length: 81 }, (_, i) => i));
    expect(stored.slice(0, 51)).toEqual(points(0, 50));
    expect(await redis.xlen(trajectories.keys.points(id))).toBe(81);
  });

  it('keeps sparse iterations (recording stride) in order', async () => {
    const id = await newJob();
    const sparse = [0, 10, 20, 25].map((i) => points(i, i)[0]);
    await runs.append(id, sparse);
    expect((await trajectories.read(id, 10, 10)).map((p) => p.i)).toEqual([20, 25]);
  });

  it('appends a batch in one round trip', async () => {
    const id = await newJob();
    const commands: string[] = [];
    const monitor = await monitorCommands(testRedisUrl(), (args) => {
      if (args.some((arg) => arg.includes(id))) commands.push(args[0].toLowerCase());
    });
    await runs.append(id, points(0, 499));
    await expect
      .poll(() => commands.filter((c) => c === 'evalsha' || c === 'eval').length)
      .toBeGreaterThan(0);
    // Inside the script the server runs one XADD per point; the client sent one command.
    const clientCommands = commands.filter((c) => c === 'evalsha' || c === 'eval');
    expect(clientCommands).toHaveLength(1);
    monitor.disconnect();
    expect(await redis.xlen(trajectories.keys.points(id))).toBe(500);
  });

  it('does not write the points of a removed job', async () => {
    const id = await newJob();
    await jobs.remove(id);
    expect(await runs.append(id, points(0, 3))).toBe(0);
    expect(await redis.exists(trajectories.keys.points(id))).toBe(0);
  });

  it('reports -1 as the last iteration of an empty trajectory', async () => {
    expect(await trajectories.lastIteration(await newJob())).toBe(-1);
  });
});
