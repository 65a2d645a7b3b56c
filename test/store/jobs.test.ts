import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Run } from '../../src/core/run.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import { JobRuns } from '../../src/store/job-runs.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { InvalidCursorError } from '../../src/store/list-page.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis, createTestRedis } from '../helpers/redis.ts';
import { sampleResult } from '../helpers/results.ts';
import { makeSpec } from '../helpers/specs.ts';

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let store: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;

beforeAll(() => {
  ({ redis, prefix, cleanup } = connectTestRedis('jobs'));
  ({ jobs: store, submissions, runs } = jobStores(redis, prefix));
});

afterAll(async () => {
  await cleanup();
});

const params = { final: new Float64Array([1, 2]), best: new Float64Array([3, -0.5]) };

describe('JobSubmissions.create and JobRecords.get', () => {
  it('creates a queued job with an unguessable id and reads it back', async () => {
    const spec = makeSpec({ label: 'first' });
    const { job, created } = await submissions.create('alice', spec);
    expect(created).toBe(true);
    expect(job.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await store.get(job.id)).toEqual({
      id: job.id,
      tenant: 'alice',
      status: 'queued',
      spec,
      progress: null,
      result: null,
      error: null,
      createdAt: job.createdAt,
      startedAt: null,
      finishedAt: null,
      cancelRequested: false,
    });
  });

  it('gives distinct ids to distinct jobs', async () => {
    const ids = new Set<string>();
    for (let k = 0; k < 20; k++) ids.add((await submissions.create('alice', makeSpec())).job.id);
    expect(ids.size).toBe(20);
  });

  it("hides another tenant's job and unknown ids", async () => {
    const { job } = await submissions.create('alice', makeSpec());
    expect(await store.get(job.id, 'bob')).toBeNull();
    expect((await store.get(job.id, 'alice'))?.id).toBe(job.id);
    expect(await store.get('no-such-job')).toBeNull();
  });
});

describe('idempotency', () => {
  it('returns the same job for the same key and tenant', async () => {
    const first = await submissions.create('alice', makeSpec(), 'key-1');
    const second = await submissions.create('alice', makeSpec({ seed: 99 }), 'key-1');
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.job.id).toBe(first.job.id);
    expect(second.job.spec.seed).toBe(7);
  });

  it('scopes keys per tenant', async () => {
    const alice = await submissions.create('alice', makeSpec(), 'shared-key');
    const bob = await submissions.create('bob', makeSpec(), 'shared-key');
    expect(bob.created).toBe(true);
    expect(bob.job.id).not.toBe(alice.job.id);
  });

  it('creates one job when the same key races', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => submissions.create('carol', makeSpec(), 'race-key')),
    );
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('creates a new job when the keyed job was removed', async () => {
    const first = await submissions.create('alice', makeSpec(), 'key-removed');
    await store.remove(first.job.id);
    const second = await submissions.create('alice', makeSpec(), 'key-removed');
    expect(second.created).toBe(true);
    expect(second.job.id).not.toBe(first.job.id);
  });

  it('expires keys after the idempotency TTL', async () => {
    const short = jobStores(redis, prefix, { idempotencyTtlSeconds: 100 }).submissions;
    await short.create('alice', makeSpec(), 'key-ttl');
    const ttl = await redis.ttl(short.keys.idempotency('alice', 'key-ttl'));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
  });
});

describe('JobRecords.list', () => {
  const tenant = 'lister';
  const created: { id: string; label: string }[] = [];

  beforeAll(async () => {
    // 25 jobs in 5 distinct milliseconds: ties on the score must still page without gaps.
    for (let k = 0; k < 25; k++) {
      const label = k % 2 === 0 ? 'even' : 'odd';
      const { job } = await submissions.create(tenant, makeSpec({ label }));
      created.push({ id: job.id, label });
      if (k % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 3));
    }
  });

  async function allPages(query: {
    status?: 'queued' | 'running' | 'completed';
    label?: string;
    limit: number;
  }) {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list(tenant, { ...query, cursor });
      expect(page.items.length).toBeLessThanOrEqual(query.limit);
      ids.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 100);
    return { ids, pages };
  }

  it('lists newest first: by creation time, ties by id, stable across pages', async () => {
    const { ids, pages } = await allPages({ limit: 7 });
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(pages).toBe(4);
    const records = await Promise.all(ids.map((id) => store.get(id)));
    const times = records.map((record) => Date.parse(record!.createdAt));
    for (let k = 1; k < times.length; k++) expect(times[k]).toBeLessThanOrEqual(times[k - 1]);
    // The newest job overall comes first.
    expect(ids[0]).toBe(
      [...created]
        .map((c, index) => ({ ...c, index, time: times[ids.indexOf(c.id)] }))
        .filter((c) => c.time === times[0])
        .map((c) => c.id)
        .sort()
        .reverse()[0],
    );
  });

  it('returns no cursor on the last page', async () => {
    const page = await store.list(tenant, { limit: 100 });
    expect(page.items).toHaveLength(25);
    expect(page.nextCursor).toBeNull();
  });

  it('filters by label and status', async () => {
    const even = await allPages({ label: 'even', limit: 4 });
    expect(even.ids.sort()).toEqual(
      created
        .filter((c) => c.label === 'even')
        .map((c) => c.id)
        .sort(),
    );

    const running = created[3].id;
    await runs.begin(running);
    const runningPage = await store.list(tenant, { status: 'running', limit: 10 });
    expect(runningPage.items.map((item) => item.id)).toEqual([running]);
    expect(runningPage.nextCursor).toBeNull();
    const oddQueued = await allPages({ label: 'odd', status: 'queued', limit: 100 });
    expect(oddQueued.ids).toHaveLength(created.filter((c) => c.label === 'odd').length - 1);
  });

  it('does not shift pages when jobs are created meanwhile', async () => {
    const first = await store.list(tenant, { limit: 5 });
    await submissions.create(tenant, makeSpec({ label: 'late' }));
    const second = await store.list(tenant, { limit: 5, cursor: first.nextCursor! });
    const everything = await store.list(tenant, { limit: 100 });
    const withoutLate = everything.items.filter((item) => item.spec.label !== 'late').map((item) => item.id);
    expect([...first.items, ...second.items].map((item) => item.id)).toEqual(withoutLate.slice(0, 10));
  });

  it('shows a tenant only its own jobs', async () => {
    const page = await store.list('nobody', { limit: 10 });
    expect(page).toEqual({ items: [], nextCursor: null });
  });

  it('rejects a cursor it did not make', async () => {
    await expect(store.list(tenant, { limit: 5, cursor: 'garbage' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });

  it('clamps the limit to 100', async () => {
    const many = 'bulk';
    for (let k = 0; k < 105; k++) await submissions.create(many, makeSpec());
    const page = await store.list(many, { limit: 1000 });
    expect(page.items).toHaveLength(100);
    expect(page.nextCursor).not.toBeNull();
    const rest = await store.list(many, { limit: 1000, cursor: page.nextCursor! });
    expect(rest.items).toHaveLength(5);
    expect(rest.nextCursor).toBeNull();
  });
});

describe('status transitions', () => {
  it('runs queued → running → completed, storing result, progress and params', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const running = (await runs.begin(job.id))?.record ?? null;
    expect(running?.status).toBe('running');
    expect(running?.startedAt).not.toBeNull();
    expect(await runs.setProgress(job.id, { iteration: 5, maxIterations: 1000, f: 2, gradNorm: 3 })).toBe(
      false,
    );
    expect((await store.get(job.id))?.progress).toEqual({
      iteration: 5,
      maxIterations: 1000,
      f: 2,
      gradNorm: 3,
    });

    expect(await runs.finish(job.id, 'completed', sampleResult(), params)).toBe(true);
    const done = await store.get(job.id);
    expect(done?.status).toBe('completed');
    expect(done?.result).toEqual(sampleResult());
    expect(done?.progress).toEqual({ iteration: 10, maxIterations: 1000, f: 0.5, gradNorm: 0.25 });
    expect(done?.finishedAt).not.toBeNull();
    expect(await store.params(job.id, 'final')).toEqual(new Float64Array([1, 2]));
    expect(await store.params(job.id, 'best')).toEqual(new Float64Array([3, -0.5]));
  });

  it('keeps startedAt from the first start when a retried job is marked running again', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const first = (await runs.begin(job.id))?.record ?? null;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = (await runs.begin(job.id))?.record ?? null;
    expect(again?.status).toBe('running');
    expect(again?.startedAt).toBe(first?.startedAt);
  });

  it('never moves a finished job back to running, nor finishes it twice', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    await runs.begin(job.id);
    expect(await runs.finish(job.id, 'completed', sampleResult(), params)).toBe(true);
    expect((await runs.begin(job.id))?.record ?? null).toBeNull();
    expect(await runs.finish(job.id, 'cancelled', sampleResult({ stopReason: 'cancelled' }), params)).toBe(
      false,
    );
    expect(await runs.fail(job.id, { code: 'x', message: 'y' })).toBe(false);
    expect(await runs.setProgress(job.id, { iteration: 1, maxIterations: 1, f: 0, gradNorm: 0 })).toBe(false);
    const record = await store.get(job.id);
    expect(record?.status).toBe('completed');
    expect(record?.result?.stopReason).toBe('max_iterations');
  });

  it('does not finish a job that never ran', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    expect(await runs.finish(job.id, 'completed', sampleResult(), params)).toBe(false);
    expect((await store.get(job.id))?.status).toBe('queued');
  });

  it('fails queued or running jobs with an error', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    await runs.begin(job.id);
    expect(await runs.fail(job.id, { code: 'worker_error', message: 'boom' })).toBe(true);
    const record = await store.get(job.id);
    expect(record?.status).toBe('failed');
    expect(record?.error).toEqual({ code: 'worker_error', message: 'boom' });
    expect(record?.finishedAt).not.toBeNull();
  });

  it('returns null for transitions of unknown jobs', async () => {
    expect((await runs.begin('missing'))?.record ?? null).toBeNull();
    expect(await store.requestCancel('missing')).toBeNull();
  });

  it('applies the finished-job TTL to the record, trajectory and params', async () => {
    const expiring = new JobRuns(redis, prefix, { finishedTtlSeconds: 3600 });
    const { job } = await submissions.create('alice', makeSpec());
    await expiring.begin(job.id);
    await expiring.append(job.id, [{ i: 0, f: 1, gradNorm: 1, lr: 0.1, t: 0 }]);
    await expiring.finish(job.id, 'completed', sampleResult(), params);
    for (const key of [
      expiring.keys.job(job.id),
      expiring.keys.points(job.id),
      expiring.keys.params(job.id),
    ]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(3500);
    }
  });
});

describe('cancel', () => {
  it('cancels a queued job at once', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const cancelled = await store.requestCancel(job.id);
    expect(cancelled?.status).toBe('cancelled');
    expect(cancelled?.cancelRequested).toBe(true);
    expect(cancelled?.finishedAt).not.toBeNull();
    expect((await runs.begin(job.id))?.record ?? null).toBeNull();
  });

  it('signals a running job on the cancel channel and flags the record; idempotent', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    await runs.begin(job.id);
    const subscriber = createTestRedis();
    const messages: string[] = [];
    await subscriber.subscribe(store.keys.cancelChannel);
    subscriber.on('message', (_channel, message) => messages.push(message));
    const first = await store.requestCancel(job.id);
    const second = await store.requestCancel(job.id);
    expect(first?.status).toBe('running');
    expect(first?.cancelRequested).toBe(true);
    expect(second?.status).toBe('running');
    expect(await runs.setProgress(job.id, { iteration: 1, maxIterations: 10, f: 0, gradNorm: 0 })).toBe(true);
    await expect.poll(() => messages).toEqual([job.id, job.id]);
    await subscriber.quit();
  });

  it('leaves a finished job alone', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    await runs.begin(job.id);
    await runs.finish(job.id, 'completed', sampleResult(), params);
    const after = await store.requestCancel(job.id);
    expect(after?.status).toBe('completed');
    expect(after?.cancelRequested).toBe(false);
  });

  it('lets exactly one of a racing cancel and finish decide a running job', async () => {
    for (let round = 0; round < 10; round++) {
      const { job } = await submissions.create('alice', makeSpec());
      await runs.begin(job.id);
      await Promise.all([
        store.requestCancel(job.id),
        runs.finish(job.id, 'completed', sampleResult(), params),
      ]);
      const record = await store.get(job.id);
      expect(record?.status).toBe('completed');
    }
  });

  it('publishes status changes on the job events channel', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const subscriber = createTestRedis();
    const messages: string[] = [];
    await subscriber.subscribe(store.keys.events(job.id));
    subscriber.on('message', (_channel, message) => messages.push(message));
    await runs.begin(job.id);
    await runs.finish(job.id, 'cancelled', sampleResult({ stopReason: 'cancelled' }), params);
    await expect.poll(() => messages).toEqual(['running', 'cancelled']);
    await subscriber.quit();
  });
});

describe('finishing with the last points', () => {
  const point = (i: number) => ({ i, f: 1 / (1 + i), gradNorm: 1, lr: 0.1, t: i });

  it('finish stores the last points with the result in one script, skipping points already stored', async () => {
    const trajectories = new TrajectoryStore(redis, prefix);
    const { job } = await submissions.create('alice', makeSpec());
    await runs.begin(job.id);
    await runs.append(job.id, [point(0), point(1)]);
    expect(await runs.finish(job.id, 'completed', sampleResult(), params, 10, [point(1), point(2)])).toBe(
      true,
    );
    expect((await trajectories.read(job.id, -1, 10)).map((p) => p.i)).toEqual([0, 1, 2]);
    expect((await store.get(job.id))?.status).toBe('completed');
  });

  it('announces each finished or failed job once on the finished channel', async () => {
    const subscriber = createTestRedis();
    const messages: unknown[] = [];
    await subscriber.subscribe(store.keys.finishedChannel);
    subscriber.on('message', (_channel, message) => messages.push(JSON.parse(message)));
    const done = (await submissions.create('alice', makeSpec())).job;
    await runs.begin(done.id);
    await runs.finish(done.id, 'completed', sampleResult(), params, 10);
    await runs.finish(done.id, 'completed', sampleResult(), params, 10);
    const failed = (await submissions.create('alice', makeSpec())).job;
    await runs.fail(failed.id, { code: 'x', message: 'y' });
    await runs.fail(failed.id, { code: 'x', message: 'y' });
    await expect
      .poll(() => messages)
      .toEqual([
        { id: done.id, status: 'completed', iterations: 10, wallMs: 1.5 },
        { id: failed.id, status: 'failed', iterations: null, wallMs: null },
      ]);
    await subscriber.quit();
  });

  it('finishUnstarted finishes a queued job in one script: startedAt, points, result, params, status', async () => {
    const trajectories = new TrajectoryStore(redis, prefix);
    const { job } = await submissions.create('alice', makeSpec());
    const subscriber = createTestRedis();
    const messages: string[] = [];
    await subscriber.subscribe(store.keys.events(job.id));
    subscriber.on('message', (_channel, message) => messages.push(message));
    expect(
      await runs.finishUnstarted(job.id, 'completed', sampleResult(), params, 1000, [point(0), point(1)]),
    ).toBe('finished');
    const record = await store.get(job.id);
    expect(record?.status).toBe('completed');
    expect(record?.startedAt).not.toBeNull();
    expect(record?.finishedAt).not.toBeNull();
    expect(record?.result).toEqual(sampleResult());
    expect(record?.progress).toEqual({ iteration: 10, maxIterations: 1000, f: 0.5, gradNorm: 0.25 });
    expect((await trajectories.read(job.id, -1, 10)).map((p) => p.i)).toEqual([0, 1]);
    expect(await store.params(job.id, 'best')).toEqual(new Float64Array([3, -0.5]));
    await expect.poll(() => messages).toEqual(['completed']);
    await subscriber.quit();
    // Finished: a second attempt changes nothing.
    expect(await runs.finishUnstarted(job.id, 'completed', sampleResult(), params, 1000, [point(2)])).toBe(
      'gone',
    );
    expect(await trajectories.lastIteration(job.id)).toBe(1);
  });

  it('finishUnstarted also finishes a job an earlier attempt left running, keeping its startedAt', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const running = (await runs.begin(job.id))?.record ?? null;
    await runs.saveCheckpoint(job.id, new Run(makeSpec()).checkpoint());
    expect(await runs.finishUnstarted(job.id, 'completed', sampleResult(), params, 1000)).toBe('finished');
    const record = await store.get(job.id);
    expect(record?.status).toBe('completed');
    expect(record?.startedAt).toBe(running?.startedAt);
    expect(await runs.loadCheckpoint(job.id)).toBeNull();
  });

  it('finishUnstarted writes nothing for a cancelled or missing job, or one with a cancel request', async () => {
    const trajectories = new TrajectoryStore(redis, prefix);
    const cancelled = (await submissions.create('alice', makeSpec())).job;
    await store.requestCancel(cancelled.id);
    expect(
      await runs.finishUnstarted(cancelled.id, 'completed', sampleResult(), params, 1000, [point(0)]),
    ).toBe('gone');
    expect((await store.get(cancelled.id))?.status).toBe('cancelled');
    expect(await redis.exists(store.keys.points(cancelled.id), store.keys.params(cancelled.id))).toBe(0);

    expect(await runs.finishUnstarted('missing', 'completed', sampleResult(), params, 1000, [point(0)])).toBe(
      'gone',
    );
    expect(await redis.exists(store.keys.points('missing'), store.keys.job('missing'))).toBe(0);

    const flagged = (await submissions.create('alice', makeSpec())).job;
    await runs.begin(flagged.id);
    await store.requestCancel(flagged.id);
    expect(
      await runs.finishUnstarted(flagged.id, 'completed', sampleResult(), params, 1000, [point(0)]),
    ).toBe('cancel_requested');
    expect((await store.get(flagged.id))?.status).toBe('running');
    expect(await trajectories.lastIteration(flagged.id)).toBe(-1);
  });
});

describe('checkpoints', () => {
  it('round-trips a run checkpoint, and a run resumed from it ends as an uninterrupted one', async () => {
    const spec = makeSpec({ stop: { maxIterations: 200_000, gradTol: 0 } });
    const { job } = await submissions.create('alice', spec);
    await runs.begin(job.id);
    const run = new Run(spec);
    while (run.iteration < 100) run.advance(0);
    expect(run.done).toBe(false);
    const checkpoint = run.checkpoint();
    await runs.saveCheckpoint(job.id, checkpoint);
    const loaded = await runs.loadCheckpoint(job.id);
    expect(loaded).toEqual(checkpoint);

    const resumed = new Run(spec, { checkpoint: loaded! });
    while (!resumed.advance()) {}
    while (!run.advance()) {}
    const { wallMs: _a, ...expected } = run.result();
    const { wallMs: _b, ...actual } = resumed.result();
    expect(actual).toEqual(expected);
  });

  it('begins a job: marks it running and returns its checkpoint in one call', async () => {
    const spec = makeSpec();
    const { job } = await submissions.create('alice', spec);
    const first = await runs.begin(job.id);
    expect(first?.record.status).toBe('running');
    expect(first?.checkpoint).toBeNull();
    const checkpoint = new Run(spec).checkpoint();
    await runs.saveCheckpoint(job.id, checkpoint);
    const again = await runs.begin(job.id);
    expect(again?.checkpoint).toEqual(checkpoint);
    expect(again?.record.startedAt).toBe(first?.record.startedAt);
    await runs.finish(job.id, 'completed', sampleResult(), params, 1000);
    expect(await runs.begin(job.id)).toBeNull();
    expect((await store.get(job.id))?.progress?.maxIterations).toBe(1000);
  });

  it('writes no checkpoint for a job that is not running, and deletes it when the job finishes', async () => {
    const spec = makeSpec();
    const { job } = await submissions.create('alice', spec);
    const checkpoint = new Run(spec).checkpoint();
    await runs.saveCheckpoint(job.id, checkpoint);
    expect(await runs.loadCheckpoint(job.id)).toBeNull();
    await runs.begin(job.id);
    await runs.saveCheckpoint(job.id, checkpoint);
    expect(await runs.loadCheckpoint(job.id)).not.toBeNull();
    await runs.finish(job.id, 'completed', sampleResult(), params);
    expect(await runs.loadCheckpoint(job.id)).toBeNull();
  });
});

describe('remove', () => {
  it('removes the record, trajectory, params, checkpoint and list entry', async () => {
    const trajectories = new TrajectoryStore(redis, prefix);
    const { job } = await submissions.create('remover', makeSpec());
    await runs.begin(job.id);
    await runs.append(job.id, [{ i: 0, f: 1, gradNorm: 1, lr: 0.1, t: 0 }]);
    await runs.finish(job.id, 'completed', sampleResult(), params);
    await store.remove(job.id);
    expect(await store.get(job.id)).toBeNull();
    expect(await trajectories.lastIteration(job.id)).toBe(-1);
    expect(await store.params(job.id, 'final')).toBeNull();
    expect((await store.list('remover', { limit: 10 })).items).toEqual([]);
    expect(
      await redis.exists(store.keys.job(job.id), store.keys.points(job.id), store.keys.params(job.id)),
    ).toBe(0);
  });
});
