import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/run.ts';
import { type Job, jobListSchema, jobSchema, trajectoryPageSchema } from '../../src/schemas/job.ts';
import type { JobSpec } from '../../src/schemas/job-spec.ts';
import { problemSchema } from '../../src/schemas/problem-document.ts';
import { withoutTime } from '../helpers/specs.ts';
import { FINISHED, startTestService, type TestService, waitFor } from './service.ts';

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});

afterAll(async () => {
  await service?.close();
});

const quickSpec = {
  objective: { type: 'builtin', name: 'rosenbrock' },
  optimizer: { name: 'adam', lr: 0.01 },
  stop: { maxIterations: 300 },
  seed: 7,
};

/** Runs for up to 30 s unless cancelled: about a thousand points a second. */
const longSpec = {
  objective: { type: 'builtin', name: 'rosenbrock' },
  optimizer: { name: 'sgd', lr: 1e-6 },
  stop: { maxIterations: 10_000_000, maxSeconds: 30, gradTol: 0 },
  record: { maxPoints: 2000 },
  seed: 3,
};

function api() {
  return request(service.url);
}

async function submit(body: unknown, headers: Record<string, string> = {}): Promise<Job> {
  const response = await api()
    .post('/v1/jobs')
    .set(headers)
    .send(body as object);
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return jobSchema.parse(response.body);
}

async function getJob(id: string): Promise<Job> {
  const response = await api().get(`/v1/jobs/${id}`);
  expect(response.status).toBe(200);
  return jobSchema.parse(response.body);
}

async function waitForStatus(id: string, statuses: Set<string>): Promise<Job> {
  return waitFor(async () => {
    const job = await getJob(id);
    return statuses.has(job.status) ? job : undefined;
  });
}

function expectProblem(response: request.Response, status: number) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = problemSchema.parse(response.body);
  expect(problem.status).toBe(status);
  return problem;
}

/** Every point after `after`, through the JSON pages. */
async function readTrajectory(id: string, pageSize = 1000) {
  const points: unknown[] = [];
  let after = -1;
  for (;;) {
    const response = await api().get(`/v1/jobs/${id}/trajectory`).query({ after, limit: pageSize });
    expect(response.status).toBe(200);
    const page = trajectoryPageSchema.parse(response.body);
    points.push(...page.points);
    after = page.next;
    if (page.complete) return points as ReturnType<typeof trajectoryPageSchema.parse>['points'];
    if (page.points.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('POST /v1/jobs', () => {
  it('answers 202 with the normalised job, its links and a Location header', async () => {
    const response = await api().post('/v1/jobs').send(quickSpec).set('x-request-id', 'req-submit-1');
    expect(response.status).toBe(202);
    expect(response.headers['x-request-id']).toBe('req-submit-1');
    const job = jobSchema.parse(response.body);
    expect(job.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(response.headers.location).toBe(`/v1/jobs/${job.id}`);
    expect(['queued', 'running', 'completed']).toContain(job.status);
    expect(job.spec.seed).toBe(7);
    expect(job.spec.stop.maxIterations).toBe(300);
    expect(job.spec.optimizer).toMatchObject({ name: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999 });
    expect(job.spec.schedule).toEqual({ type: 'constant' });
    expect(job.links).toMatchObject({
      self: `/v1/jobs/${job.id}`,
      events: `/v1/jobs/${job.id}/events`,
      trajectory: `/v1/jobs/${job.id}/trajectory`,
    });
  });

  it('resolves a seed when the spec has none', async () => {
    const { seed: _seed, ...unseeded } = quickSpec;
    const job = await submit(unseeded);
    expect(Number.isInteger(job.spec.seed)).toBe(true);
  });

  it('runs a job to completion with the same trajectory and result as runToCompletion', async () => {
    const job = await submit(quickSpec);
    const done = await waitForStatus(job.id, FINISHED);
    expect(done.status).toBe('completed');
    const local = runToCompletion(done.spec as JobSpec);
    const points = await readTrajectory(job.id, 70);
    expect(withoutTime(points)).toEqual(withoutTime(local.trajectory));
    const { wallMs: _remote, ...remoteResult } = done.result ?? { wallMs: 0 };
    const { wallMs: _local, ...localResult } = local.result;
    expect(remoteResult).toEqual(JSON.parse(JSON.stringify(localResult)));
    expect(done.progress).toMatchObject({ iteration: local.result.iterations, maxIterations: 300 });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
  });

  it('rejects an invalid learning rate with 400 naming optimizer.lr', async () => {
    const response = await api()
      .post('/v1/jobs')
      .send({ ...quickSpec, optimizer: { name: 'adam', lr: -1 } });
    const problem = expectProblem(response, 400);
    expect(problem.errors?.map((error) => error.path)).toContain('optimizer.lr');
  });

  it('rejects a bad expression with 400 naming objective.expression', async () => {
    const response = await api()
      .post('/v1/jobs')
      .send({ ...quickSpec, objective: { type: 'expression', expression: '(x + ' } });
    const problem = expectProblem(response, 400);
    expect(problem.errors?.[0].path).toBe('objective.expression');
  });

  it('rejects an unknown field with 400 naming it', async () => {
    const response = await api()
      .post('/v1/jobs')
      .send({ ...quickSpec, stop: { maxIterations: 10, maxIter: 5 } });
    const problem = expectProblem(response, 400);
    expect(problem.errors).toContainEqual({ path: 'stop.maxIter', message: expect.any(String) });
  });

  it('rejects a start point of the wrong dimension with 400 naming start.x0', async () => {
    const response = await api()
      .post('/v1/jobs')
      .send({ ...quickSpec, start: { x0: [1, 2, 3] } });
    expect(expectProblem(response, 400).errors?.[0].path).toBe('start.x0');
  });

  it('rejects recording x of a huge run with 400 naming record.params (Redis would hold it all)', async () => {
    const huge = {
      objective: { type: 'builtin', name: 'sphere', dim: 1_000_000 },
      optimizer: { name: 'adam', lr: 0.1 },
      stop: { maxIterations: 50 },
    };
    const response = await api()
      .post('/v1/jobs')
      .send({ ...huge, record: { params: true } });
    const problem = expectProblem(response, 400);
    expect(problem.errors).toEqual([
      {
        path: 'record.params',
        message:
          'recording x for up to 51 points of dimension 1000000 is 51000000 numbers, over the limit of ' +
          '10000000: record fewer points (record.maxPoints, record.every) or set record.params to false',
      },
    ]);
    // By default such a run records no x, and is accepted; a few points of x fit the limit.
    const accepted = await api().post('/v1/jobs').send(huge);
    expect(accepted.status).toBe(202);
    expect(accepted.body.spec.record).toEqual({ every: 1, params: false, maxPoints: 10_000 });
    const fits = await api()
      .post('/v1/jobs')
      .send({ ...huge, record: { params: true, maxPoints: 10 } });
    expect(fits.status).toBe(202);
    await Promise.all(
      [accepted.body.id, fits.body.id].map((id: string) => api().post(`/v1/jobs/${id}/cancel`)),
    );
  });

  it('rejects malformed JSON, an empty body and a non-object body with 400', async () => {
    const malformed = await api()
      .post('/v1/jobs')
      .set('content-type', 'application/json')
      .send('{"objective":');
    expectProblem(malformed, 400);
    const empty = await api().post('/v1/jobs').set('content-type', 'application/json').send('');
    expectProblem(empty, 400);
    const array = await api().post('/v1/jobs').send([1, 2]);
    expectProblem(array, 400);
  });

  it('rejects a body over 1 MiB with 413', async () => {
    const body = JSON.stringify({ ...quickSpec, label: 'x'.repeat(2 * 1024 * 1024) });
    const response = await api().post('/v1/jobs').set('content-type', 'application/json').send(body);
    expect(expectProblem(response, 413).title).toBe('Payload too large');
  });

  it('rejects a body that is not JSON with 415', async () => {
    const response = await api().post('/v1/jobs').set('content-type', 'text/plain').send('objective=sphere');
    expectProblem(response, 415);
    const form = await api().post('/v1/jobs').type('form').send({ objective: 'sphere' });
    expectProblem(form, 415);
  });

  it('returns the same job for a repeated Idempotency-Key and creates it once', async () => {
    const key = `key-${Date.now()}`;
    const labelled = { ...quickSpec, label: `idempotent-${key}` };
    const first = await submit(labelled, { 'idempotency-key': key });
    const second = await api().post('/v1/jobs').set('idempotency-key', key).send(labelled);
    expect(second.status).toBe(202);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body.id).toBe(first.id);
    const list = await api().get('/v1/jobs').query({ label: labelled.label });
    expect(jobListSchema.parse(list.body).items.map((job) => job.id)).toEqual([first.id]);
  });
});

describe('GET /v1/jobs', () => {
  it('lists newest first, filters by status and label, and pages with cursors', async () => {
    const label = `list-${Date.now()}`;
    const ids: string[] = [];
    for (let k = 0; k < 5; k++) ids.push((await submit({ ...quickSpec, label })).id);
    const other = await submit({ ...quickSpec, label: `${label}-other` });
    for (const id of [...ids, other.id]) await waitForStatus(id, FINISHED);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const response = await api()
        .get('/v1/jobs')
        .query({ label, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(response.status).toBe(200);
      const page = jobListSchema.parse(response.body);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined && pages < 10);
    expect(seen).toEqual([...ids].reverse());

    const completed = jobListSchema.parse(
      (await api().get('/v1/jobs').query({ label, status: 'completed', limit: 100 })).body,
    );
    expect(completed.items).toHaveLength(5);
    const queued = jobListSchema.parse((await api().get('/v1/jobs').query({ label, status: 'queued' })).body);
    expect(queued.items).toEqual([]);
  });

  it('rejects a limit over 100, an unknown status and a foreign cursor with 400', async () => {
    expect(expectProblem(await api().get('/v1/jobs').query({ limit: 101 }), 400).errors?.[0].path).toBe(
      'limit',
    );
    expect(expectProblem(await api().get('/v1/jobs').query({ status: 'done' }), 400).errors?.[0].path).toBe(
      'status',
    );
    expect(
      expectProblem(await api().get('/v1/jobs').query({ cursor: 'nonsense' }), 400).errors?.[0].path,
    ).toBe('cursor');
  });
});

describe('GET /v1/jobs/{id}', () => {
  it('answers 404 problem+json for an unknown id and an unknown route', async () => {
    expect(expectProblem(await api().get('/v1/jobs/no-such-job'), 404).detail).toMatch(/no-such-job/);
    expectProblem(await api().get('/v1/nothing-here'), 404);
    expectProblem(await api().get('/v1/jobs/no-such-job/trajectory'), 404);
    expectProblem(await api().get('/v1/jobs/no-such-job/params'), 404);
    expectProblem(await api().post('/v1/jobs/no-such-job/cancel'), 404);
    expectProblem(await api().delete('/v1/jobs/no-such-job'), 404);
    expectProblem(await api().get('/v1/jobs/no-such-job/events'), 404);
  });
});

describe('cancel and delete', () => {
  /** Submits a long job, cancels it once it runs, and returns the job and the measured latency. */
  async function cancelRunningJob(): Promise<{ done: Job; latencyMs: number }> {
    const job = await submit(longSpec);
    await waitForStatus(job.id, new Set(['running']));
    // Let it record some points first.
    await waitFor(async () => ((await getJob(job.id)).progress?.iteration ?? 0) > 0 || undefined);
    const running = await api().delete(`/v1/jobs/${job.id}`);
    expect(expectProblem(running, 409).detail).toMatch(/running/);

    const cancel = await api().post(`/v1/jobs/${job.id}/cancel`);
    const cancelledAt = performance.now();
    expect(cancel.status).toBe(200);
    const done = await waitFor(
      async () => {
        const current = await getJob(job.id);
        return FINISHED.has(current.status) ? current : undefined;
      },
      5000,
      2,
    );
    return { done, latencyMs: performance.now() - cancelledAt };
  }

  it('cancels a running job at once (latency printed; the figure is in npm run bench); cancel is idempotent; DELETE is 409 until it has finished', async () => {
    // Latency is measured from the cancel response to the status change seen by polling and
    // printed; it is not asserted (no timing assertions in tests: the machine is shared). The
    // bench reports it against the 100 ms goal. What is asserted: the run stopped by cancel, early.
    const measured = await cancelRunningJob();
    console.log(
      `cancel latency (cancel response → status cancelled seen by polling): ${measured.latencyMs.toFixed(1)} ms`,
    );
    const done: Job | undefined = measured.done;
    if (done === undefined) throw new Error('no job was cancelled');
    expect(done.status).toBe('cancelled');
    expect(done.result?.stopReason).toBe('cancelled');
    expect(done.result?.iterations).toBeLessThan(done.spec.stop.maxIterations);
    const job = done;

    const again = await api()
      .post(`/v1/jobs/${job.id}/cancel`)
      .set('content-type', 'application/json')
      .send('');
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('cancelled');
    expect(again.body.finishedAt).toBe(done.finishedAt);

    const points = await readTrajectory(job.id);
    expect(points.length).toBeGreaterThan(0);
    expect(points.at(-1)?.i).toBe(done.result?.iterations);

    const deleted = await api().delete(`/v1/jobs/${job.id}`);
    expect(deleted.status).toBe(204);
    expectProblem(await api().get(`/v1/jobs/${job.id}`), 404);
    expectProblem(await api().get(`/v1/jobs/${job.id}/trajectory`), 404);
    expect(await service.redis.exists(`${service.config.redisPrefix}:job:${job.id}:points`)).toBe(0);
  });
});

describe('GET /v1/jobs/{id}/trajectory', () => {
  let job: Job;
  beforeAll(async () => {
    job = await submit({ ...quickSpec, stop: { maxIterations: 250, gradTol: 0 } });
    job = await waitForStatus(job.id, FINISHED);
  });

  it('pages with an exclusive after, next and complete', async () => {
    const first = trajectoryPageSchema.parse(
      (await api().get(`/v1/jobs/${job.id}/trajectory`).query({ limit: 100 })).body,
    );
    expect(first.points.map((point) => point.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(first).toMatchObject({ next: 99, complete: false });
    expect(first.points[0].x).toEqual(
      job.spec.start && 'x0' in job.spec.start ? job.spec.start.x0 : undefined,
    );

    const second = trajectoryPageSchema.parse(
      (await api().get(`/v1/jobs/${job.id}/trajectory`).query({ after: 99, limit: 200 })).body,
    );
    expect(second.points[0].i).toBe(100);
    expect(second.points.at(-1)?.i).toBe(250);
    expect(second).toMatchObject({ next: 250, complete: true });

    const exact = trajectoryPageSchema.parse(
      (await api().get(`/v1/jobs/${job.id}/trajectory`).query({ after: 149, limit: 101 })).body,
    );
    expect(exact.points).toHaveLength(101);
    expect(exact.complete).toBe(true);

    const end = trajectoryPageSchema.parse(
      (await api().get(`/v1/jobs/${job.id}/trajectory`).query({ after: 250 })).body,
    );
    expect(end).toEqual({ points: [], next: 250, complete: true });

    const all = trajectoryPageSchema.parse((await api().get(`/v1/jobs/${job.id}/trajectory`)).body);
    expect(all.points).toHaveLength(251);
  });

  it('rejects limit over 10000 and a non-integer after with 400', async () => {
    expect(
      expectProblem(await api().get(`/v1/jobs/${job.id}/trajectory`).query({ limit: 10_001 }), 400)
        .errors?.[0].path,
    ).toBe('limit');
    expect(
      expectProblem(await api().get(`/v1/jobs/${job.id}/trajectory`).query({ after: 'x' }), 400).errors?.[0]
        .path,
    ).toBe('after');
  });

  it('serves CSV for Accept: text/csv with the header i,f,gradNorm,lr,x0,x1,t and one row per point', async () => {
    const response = await api().get(`/v1/jobs/${job.id}/trajectory`).set('accept', 'text/csv');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    const lines = response.text.trimEnd().split('\n');
    expect(lines[0]).toBe('i,f,gradNorm,lr,x0,x1,t');
    expect(lines).toHaveLength(1 + 251);
    const json = trajectoryPageSchema.parse((await api().get(`/v1/jobs/${job.id}/trajectory`)).body).points;
    for (const [row, line] of lines.slice(1).entries()) {
      const cells = line.split(',').map(Number);
      const point = json[row];
      expect(cells).toEqual([point.i, point.f, point.gradNorm, point.lr, ...(point.x ?? []), point.t]);
    }
    const viaQuery = await api()
      .get(`/v1/jobs/${job.id}/trajectory`)
      .query({ format: 'csv', after: 200, limit: 10 });
    expect(viaQuery.text.trimEnd().split('\n')).toHaveLength(11);
  });
});

describe('GET /v1/jobs/{id}/params', () => {
  it('serves final and best parameters as JSON and as little-endian float64; 409 while running', async () => {
    const running = await submit(longSpec);
    await waitForStatus(running.id, new Set(['running']));
    expect(expectProblem(await api().get(`/v1/jobs/${running.id}/params`), 409).detail).toMatch(/running/);
    await api().post(`/v1/jobs/${running.id}/cancel`);

    const job = await waitForStatus((await submit(quickSpec)).id, FINISHED);
    const final = await api().get(`/v1/jobs/${job.id}/params`);
    expect(final.status).toBe(200);
    expect(final.body).toEqual(job.result?.x);
    const best = await api().get(`/v1/jobs/${job.id}/params`).query({ which: 'best' });
    expect(best.body).toEqual(job.result?.best.x);

    const binary = await api()
      .get(`/v1/jobs/${job.id}/params`)
      .set('accept', 'application/octet-stream')
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      });
    expect(binary.headers['content-type']).toBe('application/octet-stream');
    const bytes = binary.body as Buffer;
    expect(bytes.length).toBe(8 * (job.result?.x?.length ?? 0));
    const values = Array.from({ length: bytes.length / 8 }, (_, j) => bytes.readDoubleLE(j * 8));
    expect(values).toEqual(job.result?.x);

    expect(
      expectProblem(await api().get(`/v1/jobs/${job.id}/params`).query({ which: 'worst' }), 400).errors?.[0]
        .path,
    ).toBe('which');
    await waitForStatus(running.id, FINISHED);
  });
});
