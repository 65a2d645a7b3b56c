import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemSchema } from '../../src/schemas/problem-document.ts';
import { startTestService, type TestService } from './service.ts';

/** Errors that say what to do: the problem+json of bad requests, over real HTTP. */

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ worker: false });
});

afterAll(async () => {
  await service?.close();
});

const valid = {
  objective: { type: 'builtin', name: 'rosenbrock' },
  optimizer: { name: 'adam', lr: 0.01 },
};

async function problemOf(response: request.Response, status = 400) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return problemSchema.parse(response.body);
}

function submit(body: unknown) {
  return request(service.url)
    .post('/v1/jobs')
    .send(body as object);
}

describe('validation problems', () => {
  it('names an unknown field, its nearest allowed field and all of them, before the `required` it caused', async () => {
    const problem = await problemOf(
      await submit({ objective: valid.objective, optimiser: { name: 'adam' } }),
    );
    expect(problem.errors).toEqual([
      {
        path: 'optimiser',
        message:
          "unknown field 'optimiser' (did you mean 'optimizer'?); allowed: 'objective', 'optimizer', " +
          "'schedule', 'start', 'stop', 'gradientNoise', 'record', 'device', 'seed', 'label', 'webhook'",
      },
      { path: 'optimizer', message: 'required' },
    ]);
    expect(problem.detail).toMatch(/^optimiser: unknown field 'optimiser' \(did you mean 'optimizer'\?\)/);
    expect(problem.detail).toMatch(/ \| optimizer: required$/);
  });

  it('says `required` for a missing field, with the allowed values of a missing discriminator', async () => {
    expect((await problemOf(await submit({ objective: valid.objective }))).errors).toEqual([
      { path: 'optimizer', message: 'required' },
    ]);
    expect((await problemOf(await submit({ ...valid, objective: { name: 'sphere' } }))).errors).toEqual([
      { path: 'objective.type', message: "required: one of 'builtin', 'expression', 'model'" },
    ]);
  });

  it.each([
    [
      { objective: { type: 'builtn', name: 'rosenbrock' } },
      'objective.type',
      "'builtin', 'expression', 'model'",
      "'builtn' (did you mean 'builtin'?)",
    ],
    [
      { objective: { type: 'builtin', name: 'rosenbrok' } },
      'objective.name',
      "'sphere', 'quadratic', 'rosenbrock', 'beale', 'booth', 'himmelblau', 'goldstein_price', 'rastrigin', 'ackley', 'styblinski_tang', 'saddle', 'monkey_saddle'",
      "'rosenbrok' (did you mean 'rosenbrock'?)",
    ],
    [
      { optimizer: { name: 'adamm' } },
      'optimizer.name',
      "'sgd', 'momentum', 'adagrad', 'rmsprop', 'adam', 'adamw', 'newton', 'lbfgs'",
      "'adamm' (did you mean 'adam'?)",
    ],
    [
      { optimizer: { name: 'newton', hessian: 'dampd' } },
      'optimizer.hessian',
      "'exact', 'damped', 'saddle_free'",
      "'dampd' (did you mean 'damped'?)",
    ],
    [
      { optimizer: { name: 'lbfgs', lineSearch: 'wolfe' } },
      'optimizer.lineSearch',
      "'strong_wolfe', 'none'",
      "'wolfe'",
    ],
    [
      { schedule: { type: 'cosin' } },
      'schedule.type',
      "'constant', 'step', 'exponential', 'cosine', 'inverse_sqrt', 'one_cycle', 'plateau'",
      "'cosin' (did you mean 'cosine'?)",
    ],
    [
      { start: { random: { distribution: 'gauss' } } },
      'start.random.distribution',
      "'normal', 'uniform'",
      "'gauss'",
    ],
    [{ device: 'gpus' }, 'device', "'cpu', 'gpu', 'auto'", "'gpus' (did you mean 'gpu'?)"],
  ])('lists the allowed values in one style: %j', async (change, path, allowed, got) => {
    const problem = await problemOf(await submit({ ...valid, ...change }));
    expect(problem.errors?.[0]).toEqual({ path, message: `must be one of ${allowed}; got ${got}` });
  });

  it('words a literal and a route parameter in the same style', async () => {
    const literal = await problemOf(await submit({ ...valid, start: { standard: false } }));
    expect(literal.errors).toContainEqual({ path: 'start.standard', message: 'must be true; got false' });
    const query = await problemOf(await request(service.url).get('/v1/jobs?status=runing'));
    expect(query.errors).toEqual([
      {
        path: 'status',
        message:
          "must be one of 'queued', 'running', 'completed', 'failed', 'cancelled'; got 'runing' (did you mean 'running'?)",
      },
    ]);
    const unknown = await problemOf(await request(service.url).get('/v1/jobs?limt=5'));
    expect(unknown.errors).toEqual([
      {
        path: 'limt',
        message:
          "unknown field 'limt' (did you mean 'limit'?); allowed: 'status', 'label', 'limit', 'cursor'",
      },
    ]);
  });

  it('puts a caret under an expression error and hints at ^ for ** and at the missing *', async () => {
    const product = await problemOf(
      await submit({ ...valid, objective: { type: 'expression', expression: '(1-x)^2 + 100(y-x^2)^2' } }),
    );
    expect(product.errors).toEqual([
      {
        path: 'objective.expression',
        message: "unexpected '(' at 13 (missing '*'? write 100*( to multiply)",
        position: 13,
        source: '(1-x)^2 + 100(y-x^2)^2',
        marker: '             ^',
      },
    ]);
    const power = await problemOf(
      await submit({ ...valid, objective: { type: 'expression', expression: 'x**2 + y' } }),
    );
    expect(power.errors?.[0]).toMatchObject({
      message: "unexpected '*' at 2 (powers are written with '^': x^2, not x**2)",
      marker: '  ^',
    });
  });
});

describe('problems of the request body', () => {
  it('gives the line, column and offset of invalid JSON, with a caret', async () => {
    const body = '{"objective": {"type": "builtin",\n "name": tru}, "optimizer": {"name": "adam"}}';
    const problem = await problemOf(
      await request(service.url).post('/v1/jobs').set('content-type', 'application/json').send(body),
    );
    const offset = body.indexOf('tru');
    expect(problem.title).toBe('Invalid JSON');
    expect(problem.detail).toBe(
      `(body): invalid JSON at line 2, column 10 (offset ${offset}): unexpected 'tru'`,
    );
    const [error] = problem.errors ?? [];
    expect(error?.position).toBe(offset);
    expect(error?.source?.[(error?.marker?.length ?? 0) - 1]).toBe('t');
    const truncated = await problemOf(
      await request(service.url)
        .post('/v1/jobs')
        .set('content-type', 'application/json')
        .send('{"objective":'),
    );
    expect(truncated.detail).toBe('(body): invalid JSON at line 1, column 14 (offset 13): expected a value');
  });

  it('states the body limit and the setting that raises it in a 413', async () => {
    const huge = { ...valid, label: 'x'.repeat(1024 * 1024) };
    const problem = await problemOf(await submit(huge), 413);
    expect(problem.detail).toBe(
      "the request body is larger than the limit of 1048576 bytes (1 MiB); the server's BODY_LIMIT_BYTES setting raises it",
    );
  });
});
