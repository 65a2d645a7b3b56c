import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltin } from '../../src/core/objectives/builtins/index.ts';
import { evaluateResponseSchema } from '../../src/schemas/evaluate.ts';
import { startTestService, type TestService } from './service.ts';

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ worker: false });
});

afterAll(async () => {
  await service?.close();
});

/** An expression of about `length` characters over `count` variables x0 … x{count−1}. */
function longExpression(length: number, count: number): string {
  const terms: string[] = [];
  let total = 0;
  for (let k = 0; total < length - 60; k++) {
    const term = `sin(x${k % count}*x${(k * 7 + 3) % count}+${k % 10})*exp(x${(k * 13 + 5) % count}/${(k % 7) + 1})`;
    terms.push(term);
    total += term.length + 1;
  }
  return terms.join('+');
}

describe('POST /v1/evaluate off the event loop', () => {
  it('/healthz answers while the heaviest allowed evaluate (10,000 characters, its Hessian) is still pending', async () => {
    const expression = longExpression(10_000, 400);
    expect(expression.length).toBeLessThanOrEqual(10_000);
    expect(expression.length).toBeGreaterThan(9_900);
    let evaluateDone = false;
    const evaluate = request(service.url)
      .post('/v1/evaluate')
      .send({
        objective: {
          type: 'expression',
          expression,
          variables: Array.from({ length: 400 }, (_, i) => `x${i}`),
        },
        x: new Array(400).fill(0.1),
        hessian: true,
      })
      .then((response) => {
        evaluateDone = true;
        return response;
      });
    // Let the request reach the server; with the work on the event loop this timer could not
    // fire before the evaluation ended.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const health = await request(service.url).get('/healthz');
    const healthAnsweredWhilePending = !evaluateDone;
    const evaluated = await evaluate;
    expect(evaluated.status, JSON.stringify(evaluated.body).slice(0, 500)).toBe(200);
    expect(health.status).toBe(200);
    expect(healthAnsweredWhilePending).toBe(true);
    expect(evaluated.status).toBe(200);
    const body = evaluateResponseSchema.parse(evaluated.body);
    expect(body.gradient).toHaveLength(400);
    expect(body.hessian).toHaveLength(400);
    expect(body.hessian?.[0]).toHaveLength(400);
    // symmetric, as a Hessian is
    expect(body.hessian?.[3][17]).toBe(body.hessian?.[17][3]);
  });

  it('a thread computes what the event loop would: a rotated quadratic at dim 40, f = ½ xᵀ∇²f x and ∇f = ∇²f x', async () => {
    const x = Array.from({ length: 40 }, (_, i) => Math.sin(i + 1));
    const objective = {
      type: 'builtin',
      name: 'quadratic',
      dim: 40,
      params: { rotate: true, conditionNumber: 50 },
    };
    const response = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective, x, seed: 9, hessian: true });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const { f, gradient, hessian } = evaluateResponseSchema.parse(response.body);
    const local = createBuiltin('quadratic', 40, { rotate: true, conditionNumber: 50 }, 9);
    const g = new Float64Array(40);
    expect(f).toBe(local.valueAndGradient(Float64Array.from(x), g));
    expect(gradient).toEqual([...g]);
    const hx = hessian!.map((row) => row.reduce<number>((sum, value, j) => sum + value! * x[j], 0));
    for (let i = 0; i < 40; i++) expect(hx[i]).toBeCloseTo(g[i], 10);
  });

  it('a long expression without the Hessian answers f and ∇f only', async () => {
    const expression = longExpression(400, 3)
      .replaceAll('x0', 'a')
      .replaceAll('x1', 'b')
      .replaceAll('x2', 'c');
    const response = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'expression', expression }, x: [0.1, 0.2, 0.3], hessian: false });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['f', 'gradient']);
    expect(response.body.gradient).toHaveLength(3);
    expect(Number.isFinite(response.body.f)).toBe(true);
  });
});
