import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjective } from '../../src/core/objectives/index.ts';
import { evaluateGridResponseSchema } from '../../src/schemas/evaluate.ts';
import { startTestService, type TestService } from './service.ts';

/** The grid form of POST /v1/evaluate over real HTTP, against the core evaluated directly. */

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ worker: false });
});

afterAll(async () => {
  await service?.close();
});

function post(body: unknown) {
  return request(service.url)
    .post('/v1/evaluate')
    .send(body as object);
}

/** f of the objective at every grid node in the documented order, computed here with the core. */
function directGrid(
  objective: Parameters<typeof createObjective>[0],
  [xLo, xHi, nx]: number[],
  [yLo, yHi, ny]: number[],
): (number | null)[] {
  const local = createObjective(objective, 0);
  const values: (number | null)[] = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const x = i === nx - 1 ? xHi : xLo + (i * (xHi - xLo)) / (nx - 1);
      const y = j === ny - 1 ? yHi : yLo + (j * (yHi - yLo)) / (ny - 1);
      const f = local.value(Float64Array.of(x, y));
      values.push(Number.isFinite(f) ? f : null);
    }
  }
  return values;
}

describe('POST /v1/evaluate, the grid form', () => {
  it('answers f row-major with x fastest, f[j·nx + i] = f(xᵢ, yⱼ), equal to the core evaluated directly', async () => {
    const response = await post({
      objective: { type: 'builtin', name: 'rosenbrock' },
      grid: { x: [-2, 2, 41], y: [-1, 3, 23] },
    });
    expect(response.status).toBe(200);
    const { f } = evaluateGridResponseSchema.parse(response.body);
    expect(f).toHaveLength(41 * 23);
    const objective = { type: 'builtin', name: 'rosenbrock', dim: 2, params: { a: 1, b: 100 } } as const;
    expect(f).toEqual(directGrid(objective, [-2, 2, 41], [-1, 3, 23]));
    // The corners by hand: (−2, −1) is f[0]; (2, −1) is f[nx − 1]; (−2, 3) is f[(ny − 1)·nx].
    const rosenbrock = (x: number, y: number) => 100 * (y - x * x) ** 2 + (1 - x) ** 2;
    expect(f[0]).toBe(rosenbrock(-2, -1));
    expect(f[40]).toBe(rosenbrock(2, -1));
    expect(f[22 * 41]).toBe(rosenbrock(-2, 3));
  });

  it('evaluates an expression, with null where f is not finite', async () => {
    const response = await post({
      objective: { type: 'expression', expression: 'log(x) + y^2' },
      grid: { x: [-1, 1, 5], y: [0, 2, 3] },
    });
    expect(response.status).toBe(200);
    const { f } = evaluateGridResponseSchema.parse(response.body);
    expect(f).toHaveLength(15);
    // x = −1, −0.5 (log of a negative: NaN) and 0 (−∞) are null; x = 0.5 and 1 are finite.
    for (let j = 0; j < 3; j++) {
      expect(f.slice(j * 5, j * 5 + 3)).toEqual([null, null, null]);
      expect(f[j * 5 + 3]).toBeCloseTo(Math.log(0.5) + j * j, 12);
      expect(f[j * 5 + 4]).toBeCloseTo(j * j, 12);
    }
  });

  it('takes the largest grid, 512 × 512 = 262,144 points', async () => {
    const response = await post({
      objective: { type: 'builtin', name: 'himmelblau' },
      grid: { x: [-5, 5, 512], y: [-5, 5, 512] },
    });
    expect(response.status).toBe(200);
    const { f } = evaluateGridResponseSchema.parse(response.body);
    expect(f).toHaveLength(262_144);
    expect(f.every((value) => value !== null && value >= 0)).toBe(true);
  });

  it('refuses bad grids and objectives with 400s that name the field', async () => {
    const cases: [unknown, string, RegExp][] = [
      [
        { objective: { type: 'builtin', name: 'sphere' }, grid: { x: [-1, 1, 513], y: [-1, 1, 513] } },
        'grid',
        /263169 points exceeds the limit of 262144/,
      ],
      [
        { objective: { type: 'builtin', name: 'sphere' }, grid: { x: [1, 1, 5], y: [-1, 1, 5] } },
        'grid.x[1]',
        /greater/,
      ],
      [
        { objective: { type: 'builtin', name: 'sphere' }, grid: { x: [-1, 1, 5], y: [-1, 1, 2.5] } },
        'grid.y[2]',
        /integer/,
      ],
      [
        { objective: { type: 'builtin', name: 'sphere' }, grid: { x: [-1, 1, 1], y: [-1, 1, 5] } },
        'grid.x[2]',
        /at least 2/,
      ],
      [{ objective: { type: 'builtin', name: 'sphere' }, grid: { x: [-1, 1, 5] } }, 'grid.y', /.+/],
      [
        { objective: { type: 'builtin', name: 'sphere', dim: 3 }, grid: { x: [-1, 1, 5], y: [-1, 1, 5] } },
        'objective',
        /needs a 2-D objective; this one has dimension 3/,
      ],
      [
        {
          objective: { type: 'expression', expression: 'x + y + z' },
          grid: { x: [-1, 1, 5], y: [-1, 1, 5] },
        },
        'objective',
        /dimension 3/,
      ],
      [
        { objective: { type: 'expression', expression: 'x + (y' }, grid: { x: [-1, 1, 5], y: [-1, 1, 5] } },
        'objective.expression',
        /.+/,
      ],
      [
        { objective: { type: 'builtin', name: 'sphere' }, x: [1, 2], grid: { x: [-1, 1, 5], y: [-1, 1, 5] } },
        'x',
        /.+/,
      ],
    ];
    for (const [body, path, message] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const errors = response.body.errors as { path: string; message: string }[];
      const error = errors.find((candidate) => candidate.path === path);
      expect(error, `${JSON.stringify(body)} → ${JSON.stringify(errors)}`).toBeDefined();
      expect(error?.message).toMatch(message);
    }
  });

  it('runs off the event loop: /healthz answers while a heavy grid is computed', async () => {
    // ~120 characters of transcendental functions on 262,144 points: well over the 50 ms below.
    const expression = Array.from({ length: 6 }, (_, k) => `sin(x*${k + 1})*exp(cos(y+${k}))`).join('+');
    let gridDone = false;
    const grid = post({
      objective: { type: 'expression', expression },
      grid: { x: [-3, 3, 512], y: [-3, 3, 512] },
    }).then((response) => {
      gridDone = true;
      return response;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const health = await request(service.url).get('/healthz');
    const answeredWhilePending = !gridDone;
    const response = await grid;
    expect(health.status).toBe(200);
    expect(response.status).toBe(200);
    expect(answeredWhilePending).toBe(true);
    expect(evaluateGridResponseSchema.parse(response.body).f).toHaveLength(262_144);
  });
});
