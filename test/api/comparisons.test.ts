import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Comparison,
  createDescentClient,
  type DescentClient,
  DescentError,
  type TrajectoryPoint,
} from '../../src/client/index.ts';
import { comparisonSchema } from '../../src/schemas/comparison-resource.ts';
import { startTestService, type TestService } from './service.ts';

/**
 * Comparisons against the real service (app, workers, Redis), through the typed client:
 * rankings computed here from the members' own results, sweeps, cancel and delete, tenancy,
 * validation paths, and the multiplexed event stream with its resume token.
 */

let service: TestService;
let client: DescentClient;

beforeAll(async () => {
  service = await startTestService({ env: { API_KEYS: 'key-alice:alice,key-bob:bob' } });
  client = createDescentClient({ baseUrl: service.url, apiKey: 'key-alice' });
});

afterAll(async () => {
  await service?.close();
});

/** The order the brief asks for, written out independently of the server's comparator. */
function expectedOrder(comparison: Comparison): string[] {
  const lastRank = (job: Comparison['jobs'][number]) => {
    if (job.status === 'failed' || job.result === null) return 3;
    if (job.result.stopReason === 'diverged') return 1;
    if (job.result.stopReason === 'line_search_failed') return 2;
    return 0;
  };
  const finished = comparison.jobs
    .map((job, index) => ({ job, index }))
    .filter(({ job }) => ['completed', 'cancelled', 'failed'].includes(job.status));
  const ordinary = finished.filter(({ job }) => lastRank(job) === 0);
  ordinary.sort((a, b) => {
    const ra = a.job.result!;
    const rb = b.job.result!;
    if (ra.converged !== rb.converged) return ra.converged ? -1 : 1;
    if (ra.f !== rb.f) return ra.f < rb.f ? -1 : 1;
    if (ra.iterations !== rb.iterations) return ra.iterations - rb.iterations;
    if (ra.wallMs !== rb.wallMs) return ra.wallMs - rb.wallMs;
    return a.index - b.index;
  });
  const last = [1, 2, 3].flatMap((rank) => finished.filter(({ job }) => lastRank(job) === rank));
  return [...ordinary, ...last].map(({ job }) => job.id);
}

describe('a comparison of four optimizers on Rosenbrock', () => {
  let comparison: Comparison;

  beforeAll(async () => {
    const submitted = await client.compare({
      objective: { type: 'builtin', name: 'rosenbrock', dim: 2 },
      runs: [
        { optimizer: { name: 'adam', lr: 0.02 } },
        { optimizer: { name: 'momentum', lr: 0.001, rho: 0.9 } },
        { optimizer: { name: 'lbfgs' } },
        { optimizer: { name: 'newton' }, label: 'newton (exact)' },
      ],
      stop: { maxIterations: 3000, gradTol: 1e-6 },
      label: 'four-on-rosenbrock',
    });
    expect(submitted.status).toBe('queued');
    expect(submitted.jobs).toHaveLength(4);
    comparison = await client.waitComparison(submitted.id, { timeoutMs: 60_000 });
  });

  it('completes, with one ordinary job per run sharing the objective, start, stop and seed', async () => {
    comparisonSchema.parse(comparison);
    expect(comparison.status).toBe('completed');
    expect(comparison.finishedAt).not.toBeNull();
    expect(comparison.spec.runs.map((run) => run.label)).toEqual([
      'adam',
      'momentum',
      'lbfgs',
      'newton (exact)',
    ]);
    expect(comparison.spec.sweep).toBeNull();
    const seeds = new Set(comparison.jobs.map((job) => job.spec.seed));
    expect(seeds).toEqual(new Set([comparison.spec.seed]));
    for (const [k, job] of comparison.jobs.entries()) {
      expect(job.comparisonId).toBe(comparison.id);
      expect(job.spec.start).toEqual({ x0: [-1.2, 1] });
      expect(job.spec.stop.maxIterations).toBe(3000);
      expect(job.spec.optimizer.name).toBe(comparison.spec.runs[k].optimizer.name);
      expect(job.spec.label).toBe(comparison.spec.runs[k].label);
      const alone = await client.getJob(job.id);
      expect(alone.status).toBe('completed');
      expect(alone.comparisonId).toBe(comparison.id);
    }
  });

  it('ranks the runs: converged first, then f, iterations and wall time', () => {
    expect(comparison.ranking.map((entry) => entry.jobId)).toEqual(expectedOrder(comparison));
    expect(comparison.ranking.map((entry) => entry.rank)).toEqual([1, 2, 3, 4]);
    for (const entry of comparison.ranking) {
      const job = comparison.jobs.find((candidate) => candidate.id === entry.jobId)!;
      const result = job.result!;
      expect(entry).toMatchObject({
        optimizer: job.spec.optimizer.name,
        stopReason: result.stopReason,
        converged: result.converged,
        f: result.f,
        bestF: result.best.f,
        iterations: result.iterations,
        evaluations: result.evaluations,
        wallMs: result.wallMs,
        reason: null,
      });
      expect(entry.gap).toBeCloseTo(result.f - 0, 15);
      expect(entry.param).toBeUndefined();
    }
    // Newton and L-BFGS converge on 2-D Rosenbrock well within 3,000 iterations, and rank first.
    expect(
      comparison.ranking
        .slice(0, 2)
        .map((entry) => entry.optimizer)
        .sort(),
    ).toEqual(['lbfgs', 'newton']);
    expect(comparison.ranking.slice(0, 2).every((entry) => entry.converged)).toBe(true);
  });

  it('is listed newest first and filtered by label', async () => {
    const page = await client.api.GET('/v1/comparisons', {
      params: { query: { label: 'four-on-rosenbrock' } },
    });
    expect(page.data?.items.map((item) => item.id)).toEqual([comparison.id]);
    const completed = await client.api.GET('/v1/comparisons', {
      params: { query: { status: 'completed', limit: 100 } },
    });
    expect(completed.data?.items.map((item) => item.id)).toContain(comparison.id);
  });

  it('cannot have a member deleted on its own (the comparison owns it)', async () => {
    const answer = await client.api.DELETE('/v1/jobs/{id}', {
      params: { path: { id: comparison.jobs[0].id } },
    });
    expect(answer.response.status).toBe(409);
  });
});

describe('sweeps', () => {
  it('runs a three-value lr sweep, labelled and ranked by its results', async () => {
    const submitted = await client.compare({
      objective: { type: 'builtin', name: 'sphere', dim: 2 },
      sweep: { optimizer: { name: 'sgd' }, param: 'lr', values: [0.001, 0.01, 0.1] },
      stop: { maxIterations: 200, gradTol: 1e-6 },
      seed: 3,
    });
    const done = await client.waitComparison(submitted.id, { timeoutMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(done.spec.sweep).toMatchObject({ param: 'lr', values: [0.001, 0.01, 0.1] });
    expect(done.spec.runs.map((run) => run.label)).toEqual(['sgd lr=0.001', 'sgd lr=0.01', 'sgd lr=0.1']);
    expect(done.jobs.map((job) => job.spec.optimizer.lr)).toEqual([0.001, 0.01, 0.1]);
    expect(done.ranking.map((entry) => entry.jobId)).toEqual(expectedOrder(done));
    // On the sphere a larger step (below 1) gets closer in the same number of steps.
    expect(done.ranking.map((entry) => entry.param)).toEqual([
      { name: 'lr', value: 0.1 },
      { name: 'lr', value: 0.01 },
      { name: 'lr', value: 0.001 },
    ]);
  });

  it('expands a logspace sweep into n log-spaced values, both ends exact', async () => {
    const submitted = await client.compare({
      objective: { type: 'builtin', name: 'booth' },
      sweep: { optimizer: { name: 'adam' }, param: 'beta1', logspace: [0.5, 0.9, 3] },
      stop: { maxIterations: 300 },
    });
    expect(submitted.spec.sweep?.values).toEqual([0.5, 0.67082039325, 0.9]);
    const lr = await client.compare({
      objective: { type: 'builtin', name: 'booth' },
      sweep: { optimizer: { name: 'adam' }, param: 'lr', logspace: [1e-4, 1e-1, 7] },
      stop: { maxIterations: 300 },
    });
    const values = lr.spec.sweep?.values ?? [];
    expect(values).toHaveLength(7);
    expect(values[0]).toBe(1e-4);
    expect(values[6]).toBe(1e-1);
    for (let k = 1; k < 7; k++) expect(values[k] / values[k - 1]).toBeCloseTo(Math.sqrt(10), 9);
    expect(lr.spec.runs[1].label).toBe('adam lr=0.000316228');
    const done = await client.waitComparison(lr.id, { timeoutMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(done.ranking).toHaveLength(7);
    expect(done.ranking.map((entry) => entry.jobId)).toEqual(expectedOrder(done));
    expect(new Set(done.jobs.map((job) => job.spec.seed)).size).toBe(1);
  });
});

describe('validation', () => {
  async function problemOf(body: unknown): Promise<{ path: string; message: string }[]> {
    const response = await fetch(`${service.url}/v1/comparisons`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer key-alice' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    return ((await response.json()) as { errors: { path: string; message: string }[] }).errors;
  }
  const objective = { type: 'builtin', name: 'sphere' };

  it('names the offending run, sweep value or parameter', async () => {
    const runs = [
      { optimizer: { name: 'sgd' } },
      { optimizer: { name: 'adam' } },
      { optimizer: { name: 'adam', lr: -1 } },
    ];
    expect((await problemOf({ objective, runs })).map((error) => error.path)).toEqual([
      'runs[2].optimizer.lr',
    ]);
    const sweep = { optimizer: { name: 'sgd' }, param: 'lr', values: [0.1, -1] };
    expect((await problemOf({ objective, sweep })).map((error) => error.path)).toEqual(['sweep.values[1]']);
    const param = await problemOf({
      objective,
      sweep: { optimizer: { name: 'sgd' }, param: 'rho', values: [0.1] },
    });
    expect(param).toEqual([{ path: 'sweep.param', message: expect.stringContaining('lr') }]);
    const both = await problemOf({ objective, runs: [{ optimizer: { name: 'sgd' } }], sweep });
    expect(both.map((error) => error.path)).toEqual(['sweep']);
    const many = await problemOf({
      objective,
      runs: Array.from({ length: 51 }, () => ({ optimizer: { name: 'sgd' } })),
    });
    expect(many.map((error) => error.path)).toEqual(['runs']);
    const shared = await problemOf({ objective: { type: 'builtin', name: 'nope' }, runs });
    expect(shared[0].path).toBe('objective.name');
  });
});

describe('cancel and delete', () => {
  it('cancels every unfinished run, ends cancelled, and deletes its jobs with it', async () => {
    const long = { name: 'sgd', lr: 1e-6 } as const;
    const submitted = await client.compare({
      objective: { type: 'builtin', name: 'rosenbrock', dim: 200 },
      runs: [{ optimizer: long }, { optimizer: long }, { optimizer: long }],
      stop: { maxIterations: 10_000_000, gradTol: 0, fTol: null, maxSeconds: 60 },
      record: { every: 1000 },
    });
    expect(submitted.spec.runs.map((run) => run.label)).toEqual(['sgd #1', 'sgd #2', 'sgd #3']);
    await client.api.GET('/v1/comparisons/{id}', { params: { path: { id: submitted.id } } });
    const deleting = await client.api.DELETE('/v1/comparisons/{id}', {
      params: { path: { id: submitted.id } },
    });
    expect(deleting.response.status).toBe(409);
    const cancelled = await client.cancelComparison(submitted.id);
    expect(cancelled.id).toBe(submitted.id);
    const done = await client.waitComparison(submitted.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('cancelled');
    expect(done.jobs.map((job) => job.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect((await client.cancelComparison(submitted.id)).status).toBe('cancelled');
    const deleted = await client.api.DELETE('/v1/comparisons/{id}', {
      params: { path: { id: submitted.id } },
    });
    expect(deleted.response.status).toBe(204);
    for (const job of done.jobs) {
      await expect(client.getJob(job.id)).rejects.toMatchObject({ status: 404 });
    }
    await expect(client.getComparison(submitted.id)).rejects.toBeInstanceOf(DescentError);
  });
});

describe('tenancy', () => {
  it('answers 404 to another tenant on every comparison route, and lists none of it', async () => {
    const mine = await client.compare({
      objective: { type: 'builtin', name: 'booth' },
      runs: [{ optimizer: { name: 'lbfgs' } }],
    });
    await client.waitComparison(mine.id, { timeoutMs: 20_000 });
    const bob = createDescentClient({ baseUrl: service.url, apiKey: 'key-bob' });
    const path = { params: { path: { id: mine.id } } };
    expect((await bob.api.GET('/v1/comparisons/{id}', path)).response.status).toBe(404);
    expect((await bob.api.POST('/v1/comparisons/{id}/cancel', path)).response.status).toBe(404);
    expect((await bob.api.DELETE('/v1/comparisons/{id}', path)).response.status).toBe(404);
    const events = await fetch(`${service.url}/v1/comparisons/${mine.id}/events`, {
      headers: { authorization: 'Bearer key-bob' },
    });
    expect(events.status).toBe(404);
    expect(
      (await bob.api.GET('/v1/jobs/{id}', { params: { path: { id: mine.jobs[0].id } } })).response.status,
    ).toBe(404);
    const list = await bob.api.GET('/v1/comparisons', { params: { query: { limit: 100 } } });
    expect(list.data?.items.map((item) => item.id)).not.toContain(mine.id);
    // And it is there for its owner.
    expect((await client.getComparison(mine.id)).id).toBe(mine.id);
  });
});

describe('GET /v1/comparisons/{id}/events', () => {
  /**
   * A comparison whose three runs record 2,001 points each over a few seconds (1,000-dim
   * Rosenbrock with small steps: none stops before maxIterations).
   */
  async function longComparison(): Promise<Comparison> {
    return client.compare({
      objective: { type: 'builtin', name: 'rosenbrock', dim: 1000 },
      runs: [
        { optimizer: { name: 'adam', lr: 1e-4 } },
        { optimizer: { name: 'rmsprop', lr: 1e-4 } },
        { optimizer: { name: 'sgd', lr: 1e-5 } },
      ],
      stop: { maxIterations: 100_000, gradTol: 0, fTol: null },
      record: { every: 50, params: false },
    });
  }

  function expectEveryPointOnce(byJob: Map<string, number[]>, jobIds: string[]) {
    const expected = Array.from({ length: 2001 }, (_, k) => k * 50);
    for (const id of jobIds) expect(byJob.get(id), id).toEqual(expected);
  }

  it('carries every run, is resumed after a forced drop with nothing lost or repeated per run, and ends', async () => {
    const tokens: string[] = [];
    const onRequest = (request: { url?: string; headers: Record<string, unknown> }) => {
      const id = request.headers['last-event-id'];
      if (request.url?.includes('/events') && typeof id === 'string') tokens.push(id);
    };
    service.app.server.on('request', onRequest);
    try {
      const comparison = await longComparison();
      const jobIds = comparison.jobs.map((job) => job.id);
      const byJob = new Map<string, number[]>(jobIds.map((id) => [id, []]));
      const stream = client.streamComparison(comparison.id);
      let received = 0;
      let dropped = false;
      let final: Comparison | undefined;
      for (;;) {
        const next = await stream.next();
        if (next.done) {
          final = next.value;
          break;
        }
        byJob.get(next.value.jobId)?.push(next.value.point.i);
        received += 1;
        if (!dropped && received >= 20) {
          dropped = true;
          // Destroys every socket of the server, the stream's among them (a forced drop).
          service.app.server.closeAllConnections();
        }
      }
      expect(dropped).toBe(true);
      expect(tokens.length).toBeGreaterThanOrEqual(1);
      expect(tokens[0]).toMatch(/^v1\.-?\d+\.-?\d+\.-?\d+$/);
      expectEveryPointOnce(byJob, jobIds);
      expect(final?.status).toBe('completed');
      expect(final?.ranking).toHaveLength(3);
      // The points are the stored trajectories.
      const stored: TrajectoryPoint[] = [];
      for await (const page of client.trajectory(jobIds[1], { limit: 5000 })) stored.push(...page.points);
      expect(stored.map((point) => point.i)).toEqual(byJob.get(jobIds[1]));
    } finally {
      service.app.server.off('request', onRequest);
    }
  });

  it('resumes each run after its own index from a token, and refuses malformed tokens', async () => {
    const comparison = await longComparison();
    const done = await client.waitComparison(comparison.id, { timeoutMs: 60_000 });
    const jobIds = done.jobs.map((job) => job.id);
    const byJob = new Map<string, number[]>(jobIds.map((id) => [id, []]));
    const stream = client.streamComparison(done.id, { after: 'v1.50000.-1.99950' });
    for await (const { jobId, point } of stream) byJob.get(jobId)?.push(point.i);
    expect(byJob.get(jobIds[0])).toEqual(Array.from({ length: 1000 }, (_, k) => 50_050 + k * 50));
    expect(byJob.get(jobIds[1])).toHaveLength(2001);
    expect(byJob.get(jobIds[2])).toEqual([100_000]);

    const text = await (
      await fetch(`${service.url}/v1/comparisons/${done.id}/events?after=v1.100000.100000.100000`, {
        headers: { authorization: 'Bearer key-alice' },
      })
    ).text();
    expect(text).toMatch(/^retry: 1000\n\nevent: status\n/);
    expect(text).not.toContain('event: points');
    expect(text).toMatch(/event: end\ndata: \{"id":"[^"]+","status":"completed"/);

    for (const token of ['v1.1.2', 'v2.1.2.3', '1.2.3', 'v1.1.2.3.4', 'v1.a.b.c']) {
      const answer = await fetch(`${service.url}/v1/comparisons/${done.id}/events`, {
        headers: { authorization: 'Bearer key-alice', 'last-event-id': token },
      });
      expect(answer.status, token).toBe(400);
    }
  });
});
