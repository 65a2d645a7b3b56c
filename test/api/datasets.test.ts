import { EventSource, type EventSourceFetchInit } from 'eventsource';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/core/data/generators.ts';
import { datasetListSchema, datasetSchema } from '../../src/schemas/dataset.ts';
import { evaluateResponseSchema } from '../../src/schemas/evaluate.ts';
import {
  type Job,
  jobSchema,
  type TrajectoryPointResource,
  trajectoryPageSchema,
} from '../../src/schemas/job.ts';
import { modelCatalogSchema } from '../../src/schemas/model-catalog.ts';
import { problemSchema } from '../../src/schemas/problem-document.ts';
import { TWO_MOONS_MLP } from '../core/models/run-helpers.ts';
import { monitorCommands, testRedisUrl } from '../helpers/redis.ts';
import { FINISHED, startTestService, type TestService, waitFor } from './service.ts';

/**
 * Data sets and model jobs through the real service: real HTTP, a real worker (run threads), a
 * real SSE client, tenants from API_KEYS. Limits are lowered so the 413 and the numbers cap are
 * cheap to reach: DATASET_BODY_LIMIT_BYTES 256 KiB, MAX_DATASET_NUMBERS 30,000.
 */

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-9876543210';
const DATASET_LIMIT = 256 * 1024;
const MAX_NUMBERS = 30_000;

let service: TestService;

beforeAll(async () => {
  service = await startTestService({
    env: {
      API_KEYS: `${ALICE}:alice,${BOB}:bob`,
      BODY_LIMIT_BYTES: String(64 * 1024),
      DATASET_BODY_LIMIT_BYTES: String(DATASET_LIMIT),
      MAX_DATASET_NUMBERS: String(MAX_NUMBERS),
    },
  });
});

afterAll(async () => {
  await service?.close();
});

const as = (key: string) => ({ authorization: `Bearer ${key}` });

function uploadCsv(text: string, query: Record<string, string> = {}, key = ALICE) {
  return request(service.url)
    .post('/v1/datasets')
    .query(query)
    .set(as(key))
    .set('content-type', 'text/csv')
    .send(text);
}

function uploadJson(body: unknown, key = ALICE) {
  return request(service.url)
    .post('/v1/datasets')
    .set(as(key))
    .send(body as object);
}

function expectProblem(response: request.Response, status: number) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return problemSchema.parse(response.body);
}

async function submit(body: unknown, key = ALICE): Promise<Job> {
  const response = await request(service.url)
    .post('/v1/jobs')
    .set(as(key))
    .send(body as object);
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return jobSchema.parse(response.body);
}

async function finished(id: string): Promise<Job> {
  return waitFor(async () => {
    const job = jobSchema.parse((await request(service.url).get(`/v1/jobs/${id}`).set(as(ALICE))).body);
    return FINISHED.has(job.status) ? job : undefined;
  }, 60_000);
}

async function trajectory(id: string): Promise<TrajectoryPointResource[]> {
  const points: TrajectoryPointResource[] = [];
  let after = -1;
  for (;;) {
    const page = trajectoryPageSchema.parse(
      (
        await request(service.url)
          .get(`/v1/jobs/${id}/trajectory`)
          .set(as(ALICE))
          .query({ after, limit: 10_000 })
      ).body,
    );
    points.push(...page.points);
    after = page.next;
    if (page.complete) return points;
  }
}

/** Keys of the data sets of every tenant (what a refused upload must not leave behind). */
async function datasetKeys(): Promise<string[]> {
  return (await service.redis.keys(`${service.config.redisPrefix}:dataset:*`)).sort();
}

/** A noisy two-moons sample as CSV: quoted header, text labels, CRLF, a BOM and a trailing newline. */
function moonsCsv(samples: number, noise: number, seed: number): string {
  const data = generateDataset('two_moons', { samples, noise }, seed);
  const lines = ['"x, first","x second","shape"'];
  for (let r = 0; r < data.rows; r++) {
    lines.push(
      `${data.X[2 * r].toFixed(6)},${data.X[2 * r + 1].toFixed(6)},${data.y[r] === 0 ? 'upper' : 'lower'}`,
    );
  }
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

describe('POST /v1/datasets', () => {
  it('stores a CSV (quoted header, CRLF, BOM, trailing newline), text labels mapped to classes in sorted order', async () => {
    const response = await uploadCsv(moonsCsv(200, 0.2, 1), { target: 'shape', name: 'moons' });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const dataset = datasetSchema.parse(response.body);
    expect(dataset).toMatchObject({
      name: 'moons',
      rows: 200,
      features: 2,
      classes: 2,
      task: 'classification',
      columns: ['x, first', 'x second'],
      target: 'shape',
      labels: ['lower', 'upper'],
      targets: 'labels',
      origin: 'upload',
      bytes: 200 * 3 * 8,
    });
    expect(response.headers.location).toBe(`/v1/datasets/${dataset.id}`);
    const fetched = await request(service.url).get(`/v1/datasets/${dataset.id}`).set(as(ALICE));
    expect(datasetSchema.parse(fetched.body)).toEqual(dataset);
    const list = datasetListSchema.parse(
      (await request(service.url).get('/v1/datasets').set(as(ALICE))).body,
    );
    expect(list.items.map((item) => item.id)).toContain(dataset.id);
    // stored compactly: X and y as float64 bytes, the metadata as JSON
    const stored = await service.redis.hgetBuffer(`${service.config.redisPrefix}:dataset:${dataset.id}`, 'X');
    expect(stored?.length).toBe(200 * 2 * 8);
  });

  it('stores JSON {X, y}: numeric targets are kept, integers 0 … K−1 are their own classes', async () => {
    const body = {
      X: [
        [1, 2],
        [2, 1],
        [3, 4],
        [4, 3],
      ],
      y: [0, 1, 0, 1],
      columns: ['a', 'b'],
    };
    const dataset = datasetSchema.parse((await uploadJson(body)).body);
    expect(dataset).toMatchObject({
      rows: 4,
      features: 2,
      classes: 2,
      task: 'classification',
      targets: 'numbers',
      target: 'y',
    });
    expect(dataset.labels).toBeUndefined();
    const regression = datasetSchema.parse((await uploadJson({ X: body.X, y: [0.5, 1.5, 2.25, -1] })).body);
    expect(regression.task).toBe('regression');
    expect(regression.classes).toBeUndefined();
    const signs = datasetSchema.parse((await uploadJson({ X: body.X, y: [-1, 1, -1, 1] })).body);
    expect(signs).toMatchObject({ classes: 2, labels: ['-1', '1'] });
  });

  it('parses a large body (over 64 KiB) on a compute thread: the same answer', async () => {
    const text = moonsCsv(3000, 0.2, 2);
    expect(text.length).toBeGreaterThan(64 * 1024);
    const dataset = datasetSchema.parse((await uploadCsv(text, { target: 'shape' })).body);
    expect(dataset).toMatchObject({ rows: 3000, features: 2, classes: 2 });
    const refused = expectProblem(
      await uploadCsv(text.replace('\r\n0.', '\r\nzero.'), { target: 'shape' }),
      400,
    );
    expect(refused.errors?.[0]).toMatchObject({ path: expect.stringMatching(/^rows\[\d+\]\[0\]$/) });
    expect(refused.errors?.[0].message).toMatch(
      /^line \d+, column 1 \('x, first'\): 'zero\.\d+' is not a number$/,
    );
  });

  it('refuses every malformed upload with a 400 naming row and column, and stores nothing', async () => {
    const before = await datasetKeys();
    const header = 'a,b,label\n';
    const cases: { name: string; send: () => request.Test; path: string; message: RegExp }[] = [
      {
        name: 'ragged row',
        send: () => uploadCsv(`${header}1,2,x\n3,4\n5,6,y\n`, { target: 'label' }),
        path: 'rows[1]',
        message: /^line 3 has 2 fields; the header has 3$/,
      },
      {
        name: 'non-numeric feature',
        send: () => uploadCsv(`${header}1,2,x\n3,abc,y\n`, { target: 'label' }),
        path: 'rows[1][1]',
        message: /^line 3, column 2 \('b'\): 'abc' is not a number$/,
      },
      {
        name: 'NaN',
        send: () => uploadCsv(`${header}1,2,x\nNaN,4,y\n`, { target: 'label' }),
        path: 'rows[1][0]',
        message: /^line 3, column 1 \('a'\): 'NaN' is not a finite number/,
      },
      {
        name: 'Infinity',
        send: () => uploadCsv(`${header}1,2,x\n3,-Infinity,y\n`, { target: 'label' }),
        path: 'rows[1][1]',
        message: /^line 3, column 2 \('b'\): '-Infinity' is not a finite number/,
      },
      {
        name: 'empty cell',
        send: () => uploadCsv(`${header}1,,x\n3,4,y\n`, { target: 'label' }),
        path: 'rows[0][1]',
        message: /^line 2, column 2 \('b'\): the cell is empty/,
      },
      {
        name: 'missing target column',
        send: () => uploadCsv(`${header}1,2,x\n3,4,y\n`, { target: 'species' }),
        path: 'target',
        message: /^no column 'species' in the header; the columns are 'a', 'b', 'label'$/,
      },
      {
        name: 'no target named',
        send: () => uploadCsv(`${header}1,2,x\n3,4,y\n`),
        path: 'target',
        message: /^name the target column with \?target=<column>/,
      },
      {
        name: 'one class only',
        send: () => uploadCsv(`${header}1,2,x\n3,4,x\n`, { target: 'label' }),
        path: 'target',
        message: /^column 'label' holds one class only \('x'\); classification needs at least 2$/,
      },
      {
        name: 'empty file',
        send: () => uploadCsv('', { target: 'label' }),
        path: 'body',
        message: /^the file is empty$/,
      },
      {
        name: 'header only',
        send: () => uploadCsv(header, { target: 'label' }),
        path: 'body',
        message: /^the file has a header row but no data rows$/,
      },
      {
        name: 'more numbers than the cap',
        // 10,001 rows of 2 features and a target: 30,003 numbers; the cap is 30,000 (row 10,000)
        send: () => uploadCsv(`${header}${'1,2,x\n3,4,y\n'.repeat(5000)}5,6,x\n`, { target: 'label' }),
        path: 'rows[10000]',
        message: /^line 10002: the data set exceeds the limit of 30000 numbers/,
      },
      {
        name: 'JSON: non-numeric feature',
        send: () =>
          uploadJson({
            X: [
              [1, 2],
              [3, 'x'],
            ],
            y: [0, 1],
          }),
        path: 'X[1][1]',
        message: /^row 1, column 1: 'x' is not a number$/,
      },
      {
        name: 'JSON: ragged row',
        send: () => uploadJson({ X: [[1, 2], [3]], y: [0, 1] }),
        path: 'X[1]',
        message: /^row 1 has 1 values; row 0 has 2$/,
      },
      {
        name: 'JSON: Infinity (1e999)',
        send: () =>
          request(service.url)
            .post('/v1/datasets')
            .set(as(ALICE))
            .set('content-type', 'application/json')
            .send('{"X": [[1, 2], [3, 1e999]], "y": [0, 1]}'),
        path: 'X[1][1]',
        message: /^row 1, column 1: Infinity is not a finite number/,
      },
      {
        name: 'JSON: empty',
        send: () => uploadJson({ X: [], y: [] }),
        path: 'X',
        message: /^X has no rows$/,
      },
      {
        name: 'JSON: one class only',
        send: () => uploadJson({ X: [[1], [2]], y: ['a', 'a'], task: 'classification' }),
        path: 'y',
        message: /^y holds one class only \('a'\)/,
      },
    ];
    for (const testCase of cases) {
      const problem = expectProblem(await testCase.send(), 400);
      expect(problem.errors?.[0]?.path, testCase.name).toBe(testCase.path);
      expect(problem.errors?.[0]?.message, testCase.name).toMatch(testCase.message);
    }
    expect(await datasetKeys()).toEqual(before);
  });

  it('answers 413 for a body over DATASET_BODY_LIMIT_BYTES, naming the setting', async () => {
    const problem = expectProblem(await uploadCsv(moonsCsv(12_000, 0.1, 3), { target: 'shape' }), 413);
    expect(problem.detail).toMatch(/DATASET_BODY_LIMIT_BYTES/);
    expect(problem.detail).toContain(String(DATASET_LIMIT));
  });
});

describe('tenants', () => {
  it("another tenant's data set is a 404 (GET, DELETE) and unknown to its job specs", async () => {
    const dataset = datasetSchema.parse((await uploadCsv(moonsCsv(50, 0.1, 4), { target: 'shape' })).body);
    expectProblem(await request(service.url).get(`/v1/datasets/${dataset.id}`).set(as(BOB)), 404);
    expectProblem(await request(service.url).delete(`/v1/datasets/${dataset.id}`).set(as(BOB)), 404);
    const list = datasetListSchema.parse((await request(service.url).get('/v1/datasets').set(as(BOB))).body);
    expect(list.items.map((item) => item.id)).not.toContain(dataset.id);
    const refused = expectProblem(
      await request(service.url)
        .post('/v1/jobs')
        .set(as(BOB))
        .send({
          objective: { type: 'model', model: 'logistic_regression', data: { datasetId: dataset.id } },
          optimizer: { name: 'lbfgs' },
        }),
      400,
    );
    expect(refused.errors?.[0]).toMatchObject({
      path: 'objective.data.datasetId',
      message: expect.stringMatching(/^no data set/),
    });
    // still Alice's
    expect((await request(service.url).get(`/v1/datasets/${dataset.id}`).set(as(ALICE))).status).toBe(200);
  });
});

describe('training on an uploaded CSV', () => {
  it('upload, train, stream points with valF over SSE, download the CSV, early stop with patience', async () => {
    const dataset = datasetSchema.parse((await uploadCsv(moonsCsv(120, 0.45, 5), { target: 'shape' })).body);
    const job = await submit({
      objective: { type: 'model', model: 'mlp', data: { datasetId: dataset.id }, hidden: [64, 64] },
      optimizer: { name: 'adam', lr: 0.01 },
      stop: { maxIterations: 20_000, patience: 15 },
      record: { every: 5 },
      seed: 6,
    });
    expect(job.spec.objective).toMatchObject({
      type: 'model',
      data: { datasetId: dataset.id },
      dim: 64 * 2 + 64 + 64 * 64 + 64 + 2 * 64 + 2,
    });
    const source = new EventSource(`${service.url}/v1/jobs/${job.id}/events`, {
      fetch: (input, init: EventSourceFetchInit) =>
        fetch(input, { ...init, headers: { ...init.headers, ...as(ALICE) } }),
    });
    const streamed: TrajectoryPointResource[] = [];
    const final = await new Promise<Job>((resolve, reject) => {
      source.addEventListener('points', (event) => streamed.push(...JSON.parse(event.data).points));
      source.addEventListener('end', (event) => {
        source.close();
        resolve(jobSchema.parse(JSON.parse(event.data)));
      });
      source.addEventListener('error', (event) => {
        if (source.readyState === EventSource.CLOSED)
          reject(new Error(`event stream failed: ${event.message}`));
      });
    });
    expect(final.status).toBe('completed');
    const result = final.result;
    if (result === null) throw new Error('no result');
    expect(result.stopReason).toBe('early_stopped');
    expect(result.converged).toBe(false);
    expect(streamed.length).toBeGreaterThan(16);
    for (const point of streamed) {
      expect(point.i % 5 === 0 || point.i === result.iterations).toBe(true);
      expect(typeof point.valF).toBe('number');
      expect(typeof point.valAccuracy).toBe('number');
    }
    expect(streamed).toEqual(await trajectory(job.id));
    const best = streamed.reduce((low, point) =>
      (point.valF as number) < (low.valF as number) ? point : low,
    );
    expect(result.validation).toMatchObject({
      bestIteration: best.i,
      loss: best.valF,
      accuracy: best.valAccuracy,
    });
    expect(result.best.iteration).toBe(best.i);
    expect(streamed.at(-1)?.i).toBe(best.i + 15 * 5);
    const params = await request(service.url)
      .get(`/v1/jobs/${job.id}/params`)
      .query({ which: 'best' })
      .set(as(ALICE));
    expect(params.body).toEqual(result.best.x);

    const csv = await request(service.url)
      .get(`/v1/jobs/${job.id}/trajectory`)
      .query({ format: 'csv' })
      .set(as(ALICE));
    expect(csv.status).toBe(200);
    const [head, ...rows] = csv.text.trim().split('\n');
    expect(head).toBe('i,f,gradNorm,lr,valF,valAccuracy,t');
    expect(rows).toHaveLength(streamed.length);
    rows.forEach((row, k) => {
      const cells = row.split(',');
      expect(Number(cells[0])).toBe(streamed[k].i);
      expect(Number(cells[4])).toBe(streamed[k].valF);
      expect(Number(cells[5])).toBe(streamed[k].valAccuracy);
    });
  });

  it('DELETE of a data set a running job uses is a 409; once the job has finished it is deleted', async () => {
    const dataset = datasetSchema.parse((await uploadCsv(moonsCsv(300, 0.2, 7), { target: 'shape' })).body);
    const job = await submit({
      objective: {
        type: 'model',
        model: 'mlp',
        data: { datasetId: dataset.id },
        hidden: [32],
        batchSize: 16,
      },
      optimizer: { name: 'sgd', lr: 0.01 },
      stop: { maxIterations: 10_000_000, maxSeconds: 60 },
      seed: 8,
    });
    await waitFor(async () => {
      const current = jobSchema.parse(
        (await request(service.url).get(`/v1/jobs/${job.id}`).set(as(ALICE))).body,
      );
      return current.status === 'running' ? true : undefined;
    });
    const refused = expectProblem(
      await request(service.url).delete(`/v1/datasets/${dataset.id}`).set(as(ALICE)),
      409,
    );
    expect(refused.detail).toContain(job.id);
    await request(service.url).post(`/v1/jobs/${job.id}/cancel`).set(as(ALICE));
    expect((await finished(job.id)).status).toBe('cancelled');
    expect((await request(service.url).delete(`/v1/datasets/${dataset.id}`).set(as(ALICE))).status).toBe(204);
    expectProblem(await request(service.url).get(`/v1/datasets/${dataset.id}`).set(as(ALICE)), 404);
    expect(await service.redis.exists(`${service.config.redisPrefix}:dataset:${dataset.id}`)).toBe(0);
    // a job on the deleted data set is refused
    const gone = expectProblem(
      await request(service.url)
        .post('/v1/jobs')
        .set(as(ALICE))
        .send({
          objective: { type: 'model', model: 'mlp', data: { datasetId: dataset.id } },
          optimizer: { name: 'adam' },
        }),
      400,
    );
    expect(gone.errors?.[0].path).toBe('objective.data.datasetId');
  });

  it('a worker thread reads a data set once, not once per job', async () => {
    const dataset = datasetSchema.parse((await uploadCsv(moonsCsv(200, 0.2, 9), { target: 'shape' })).body);
    const key = `${service.config.redisPrefix}:dataset:${dataset.id}`;
    let reads = 0;
    const monitor = await monitorCommands(testRedisUrl(), (args) => {
      if (args[0]?.toLowerCase() === 'hmget' && args[1] === key && args.includes('X')) reads++;
    });
    try {
      const jobs: Job[] = [];
      for (let k = 0; k < 6; k++) {
        jobs.push(
          await submit({
            objective: { type: 'model', model: 'logistic_regression', data: { datasetId: dataset.id } },
            optimizer: { name: 'lbfgs' },
            stop: { maxIterations: 30 },
            seed: 20 + k,
          }),
        );
      }
      for (const job of jobs) {
        const done = await finished(job.id);
        expect(done.status, JSON.stringify(done.error)).toBe('completed');
      }
    } finally {
      monitor.disconnect();
    }
    // two run threads (WORKER_CONCURRENCY 2): at most one read each
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(2);
  });
});

describe('model jobs', () => {
  it('inline rows are stored as a data set on submit; the job record refers to it by id', async () => {
    const job = await submit({
      objective: {
        type: 'model',
        model: 'linear_regression',
        data: {
          inline: {
            X: [[0], [1], [2], [3], [4], [5], [6], [7], [8], [9]],
            y: [1, 3, 5, 7, 9, 11, 13, 15, 17, 19],
          },
        },
        validationFraction: 0,
        standardize: false,
      },
      optimizer: { name: 'newton' },
      seed: 1,
    });
    const data = (job.spec.objective as { data: { datasetId?: string } }).data;
    expect(Object.keys(data)).toEqual(['datasetId']);
    const dataset = datasetSchema.parse(
      (await request(service.url).get(`/v1/datasets/${data.datasetId}`).set(as(ALICE))).body,
    );
    expect(dataset).toMatchObject({ origin: 'inline', rows: 10, features: 1, task: 'regression' });
    const done = await finished(job.id);
    expect(done.result?.stopReason).toBe('grad_tol');
    // y = 2x + 1 exactly: w = 2, b = 1
    expect(done.result?.x?.[0]).toBeCloseTo(2, 9);
    expect(done.result?.x?.[1]).toBeCloseTo(1, 9);
    const raw = await service.redis.hget(`${service.config.redisPrefix}:job:${job.id}`, 'spec');
    expect(raw?.length).toBeLessThan(600);
  });

  it('the MLP on two_moons (1,000 samples, noise 0.2, hidden [16, 16], Adam, batch 64) reaches validation accuracy >= 0.95 through the service', async () => {
    const job = await submit(TWO_MOONS_MLP);
    const done = await finished(job.id);
    expect(done.status).toBe('completed');
    console.log(`two_moons mlp through the service: validation ${JSON.stringify(done.result?.validation)}`);
    expect(done.result?.validation?.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(done.result?.validation?.finalAccuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('refuses what a model cannot train on, naming the field', async () => {
    const regression = datasetSchema.parse(
      (await uploadJson({ X: [[1], [2], [3], [4]], y: [0.5, 1.5, 2.5, 3.5] })).body,
    );
    const cases: [unknown, string, RegExp][] = [
      [
        { type: 'model', model: 'softmax_regression', data: { datasetId: regression.id } },
        'objective.model',
        /needs class labels/,
      ],
      [
        { type: 'model', model: 'logistic_regression', data: { builtin: 'iris' } },
        'objective.model',
        /exactly 2 classes/,
      ],
      [{ type: 'model', model: 'mlp', data: { builtin: 'iris' }, dim: 5 }, 'objective.dim', /parameters/],
      [
        { type: 'model', model: 'linear_regression', data: { builtin: 'iris' }, hidden: [3] },
        'objective.hidden',
        /only mlp/,
      ],
      [
        { type: 'model', model: 'mlp', data: { builtin: 'iris', samples: 10 } },
        'objective.data.samples',
        /iris is a fixed/,
      ],
    ];
    for (const [objective, path, message] of cases) {
      const problem = expectProblem(
        await request(service.url)
          .post('/v1/jobs')
          .set(as(ALICE))
          .send({ objective, optimizer: { name: 'adam' } }),
        400,
      );
      expect(problem.errors?.[0]?.path).toBe(path);
      expect(problem.errors?.[0]?.message).toMatch(message);
    }
    const patience = expectProblem(
      await request(service.url)
        .post('/v1/jobs')
        .set(as(ALICE))
        .send({
          objective: { type: 'builtin', name: 'sphere' },
          optimizer: { name: 'adam' },
          stop: { patience: 3 },
        }),
      400,
    );
    expect(patience.errors?.[0]?.path).toBe('stop.patience');
  });

  it('POST /v1/evaluate takes a model objective: f and the gradient on the training split, and validation metrics', async () => {
    const response = await request(service.url)
      .post('/v1/evaluate')
      .set(as(ALICE))
      .send({
        objective: {
          type: 'model',
          model: 'logistic_regression',
          data: { builtin: 'two_moons', samples: 200 },
        },
        x: [0, 0, 0],
      });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const evaluation = evaluateResponseSchema.parse(response.body);
    // σ(0) = ½ on every row: the binary cross-entropy is ln 2, with validation accuracy of a coin
    expect(evaluation.f).toBeCloseTo(Math.LN2, 14);
    expect(evaluation.validation?.loss).toBeCloseTo(Math.LN2, 14);
    expect(evaluation.gradient).toHaveLength(3);
    expect(evaluation.hessian).toHaveLength(3);
    const dataset = datasetSchema.parse((await uploadCsv(moonsCsv(60, 0.1, 10), { target: 'shape' })).body);
    const stored = await request(service.url)
      .post('/v1/evaluate')
      .set(as(ALICE))
      .send({
        objective: { type: 'model', model: 'mlp', data: { datasetId: dataset.id }, hidden: [4] },
        x: new Array(4 * 2 + 4 + 2 * 4 + 2).fill(0.1),
      });
    expect(stored.status, JSON.stringify(stored.body)).toBe(200);
    // all-equal weights give equal logits: cross-entropy ln 2 for two classes
    expect(evaluateResponseSchema.parse(stored.body).f).toBeCloseTo(Math.LN2, 12);
    const wrongLength = expectProblem(
      await request(service.url)
        .post('/v1/evaluate')
        .set(as(ALICE))
        .send({
          objective: { type: 'model', model: 'mlp', data: { datasetId: dataset.id }, hidden: [4] },
          x: [1, 2],
        }),
      400,
    );
    expect(wrongLength.errors?.[0]?.path).toBe('x');
  });

  it('GET /v1/catalog/models lists the models with their options and the built-in data sets with their shapes', async () => {
    const catalog = modelCatalogSchema.parse(
      (await request(service.url).get('/v1/catalog/models').set(as(ALICE))).body,
    );
    expect(catalog.models.map((model) => model.name)).toEqual([
      'linear_regression',
      'logistic_regression',
      'softmax_regression',
      'mlp',
    ]);
    const mlp = catalog.models.find((model) => model.name === 'mlp');
    expect(mlp?.hessian).toBe(false);
    expect(mlp?.options.find((option) => option.name === 'hidden')?.default).toEqual([16, 16]);
    expect(mlp?.options.find((option) => option.name === 'validationFraction')).toMatchObject({
      default: 0.2,
      range: '[0, 1)',
    });
    expect(catalog.models[0].options.map((option) => option.name)).toEqual([
      'l2',
      'batchSize',
      'validationFraction',
      'standardize',
    ]);
    expect(catalog.datasets.find((entry) => entry.name === 'iris')).toMatchObject({
      rows: 150,
      features: 4,
      classes: 3,
      labels: ['setosa', 'versicolor', 'virginica'],
    });
    const blobs = catalog.datasets.find((entry) => entry.name === 'blobs');
    expect(blobs?.options.map((option) => [option.name, option.default])).toEqual([
      ['samples', 1000],
      ['noise', 1],
      ['classes', 3],
      ['features', 2],
    ]);
  });
});
