import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../src/store/list-page.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { useJobStores } from '../helpers/job-stores.ts';
import { createTestRedis } from '../helpers/redis.ts';
import { sampleResult } from '../helpers/results.ts';
import { makeSpec } from '../helpers/specs.ts';

/** What the API does with a written record (src/store/job-records.ts): list pages, cancel, remove. */

const { redis, prefix, jobs, submissions, runs } = useJobStores('records');

const params = { final: new Float64Array([1, 2]), best: new Float64Array([3, -0.5]) };

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
      const page = await jobs.list(tenant, { ...query, cursor });
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
    const records = await Promise.all(ids.map((id) => jobs.get(id)));
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
    const page = await jobs.list(tenant, { limit: 100 });
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
    const runningPage = await jobs.list(tenant, { status: 'running', limit: 10 });
    expect(runningPage.items.map((item) => item.id)).toEqual([running]);
    expect(runningPage.nextCursor).toBeNull();
    const oddQueued = await allPages({ label: 'odd', status: 'queued', limit: 100 });
    expect(oddQueued.ids).toHaveLength(created.filter((c) => c.label === 'odd').length - 1);
  });

  it('does not shift pages when jobs are created meanwhile', async () => {
    const first = await jobs.list(tenant, { limit: 5 });
    await submissions.create(tenant, makeSpec({ label: 'late' }));
    const second = await jobs.list(tenant, { limit: 5, cursor: first.nextCursor! });
    const everything = await jobs.list(tenant, { limit: 100 });
    const withoutLate = everything.items.filter((item) => item.spec.label !== 'late').map((item) => item.id);
    expect([...first.items, ...second.items].map((item) => item.id)).toEqual(withoutLate.slice(0, 10));
  });

  it('shows a tenant only its own jobs', async () => {
    const page = await jobs.list('nobody', { limit: 10 });
    expect(page).toEqual({ items: [], nextCursor: null });
  });

  it('rejects a cursor it did not make', async () => {
    await expect(jobs.list(tenant, { limit: 5, cursor: 'garbage' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });

  it('clamps the limit to 100', async () => {
    const many = 'bulk';
    for (let k = 0; k < 105; k++) await submissions.create(many, makeSpec());
    const page = await jobs.list(many, { limit: 1000 });
    expect(page.items).toHaveLength(100);
    expect(page.nextCursor).not.toBeNull();
    const rest = await jobs.list(many, { limit: 1000, cursor: page.nextCursor! });
    expect(rest.items).toHaveLength(5);
    expect(rest.nextCursor).toBeNull();
  });
});

describe('cancel', () => {
  it('cancels a queued job at once', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const cancelled = await jobs.requestCancel(job.id);
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
    await subscriber.subscribe(jobs.keys.cancelChannel);
    subscriber.on('message', (_channel, message) => messages.push(message));
    const first = await jobs.requestCancel(job.id);
    const second = await jobs.requestCancel(job.id);
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
    const after = await jobs.requestCancel(job.id);
    expect(after?.status).toBe('completed');
    expect(after?.cancelRequested).toBe(false);
  });

  it('lets exactly one of a racing cancel and finish decide a running job', async () => {
    for (let round = 0; round < 10; round++) {
      const { job } = await submissions.create('alice', makeSpec());
      await runs.begin(job.id);
      await Promise.all([
        jobs.requestCancel(job.id),
        runs.finish(job.id, 'completed', sampleResult(), params),
      ]);
      const record = await jobs.get(job.id);
      expect(record?.status).toBe('completed');
    }
  });

  it('publishes status changes on the job events channel', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const subscriber = createTestRedis();
    const messages: string[] = [];
    await subscriber.subscribe(jobs.keys.events(job.id));
    subscriber.on('message', (_channel, message) => messages.push(message));
    await runs.begin(job.id);
    await runs.finish(job.id, 'cancelled', sampleResult({ stopReason: 'cancelled' }), params);
    await expect.poll(() => messages).toEqual(['running', 'cancelled']);
    await subscriber.quit();
  });
});

describe('remove', () => {
  it('removes the record, trajectory, params, checkpoint and list entry', async () => {
    const trajectories = new TrajectoryStore(redis, prefix);
    const { job } = await submissions.create('remover', makeSpec());
    await runs.begin(job.id);
    await runs.append(job.id, [{ i: 0, f: 1, gradNorm: 1, lr: 0.1, t: 0 }]);
    await runs.finish(job.id, 'completed', sampleResult(), params);
    await jobs.remove(job.id);
    expect(await jobs.get(job.id)).toBeNull();
    expect(await trajectories.lastIteration(job.id)).toBe(-1);
    expect(await jobs.params(job.id, 'final')).toBeNull();
    expect((await jobs.list('remover', { limit: 10 })).items).toEqual([]);
    expect(
      await redis.exists(jobs.keys.job(job.id), jobs.keys.points(job.id), jobs.keys.params(job.id)),
    ).toBe(0);
  });
});
