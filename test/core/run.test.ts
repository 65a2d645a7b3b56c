import { describe, expect, it } from 'vitest';
import { recordedPoints } from '../../src/core/recording.ts';
import { Run, runToCompletion } from '../../src/core/run.ts';
import { spec, steppingClock, withoutTime } from './spec-helpers.ts';

const rosenbrock = { type: 'builtin', name: 'rosenbrock' } as const;

describe('iteration semantics', () => {
  it('records point 0 at the start with lr₁ and one point per iteration', () => {
    const { result, trajectory } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'sphere' },
        optimizer: { name: 'sgd', lr: 0.1 },
        start: { x0: [1, -2] },
        stop: { maxIterations: 3 },
      }),
    );
    expect(trajectory.map((p) => p.i)).toEqual([0, 1, 2, 3]);
    expect(trajectory[0]).toMatchObject({ i: 0, f: 5, lr: 0.1, x: [1, -2] });
    expect(trajectory[0].gradNorm).toBeCloseTo(Math.sqrt(20), 12);
    // sphere: g = 2x, x ← x − 0.1·2x = 0.8x
    expect(trajectory[1].x).toEqual([0.8, -1.6]);
    expect(trajectory[3].x?.[0]).toBeCloseTo(0.512, 15);
    expect(result).toMatchObject({ stopReason: 'max_iterations', converged: false, iterations: 3 });
    expect(result.evaluations).toEqual({ f: 4, gradient: 4, hessian: 0 });
    expect(result.best.iteration).toBe(3);
  });

  it('reports lrᵢ = lr · s(i − 1) on point i, and lr₁ on point 0', () => {
    const { trajectory } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'sphere' },
        optimizer: { name: 'sgd', lr: 0.1 },
        schedule: { type: 'exponential', gamma: 0.5 },
        stop: { maxIterations: 3 },
      }),
    );
    expect(trajectory.map((p) => p.lr)).toEqual([0.1, 0.1, 0.05, 0.025]);
  });

  it('stops on gradTol before maxIterations and marks it converged', () => {
    const { result } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'sphere' },
        optimizer: { name: 'sgd', lr: 0.5 },
        start: { x0: [3, 4] },
      }),
    );
    // lr 0.5 on sphere lands exactly on 0 in one step.
    expect(result).toMatchObject({ stopReason: 'grad_tol', converged: true, iterations: 1, x: [0, 0], f: 0 });
  });

  it('stops on targetValue and on fTol in the documented order', () => {
    const target = runToCompletion(
      spec({
        objective: rosenbrock,
        optimizer: { name: 'adam', lr: 0.01 },
        stop: { targetValue: 1, maxIterations: 10000 },
      }),
    ).result;
    expect(target.stopReason).toBe('target_value');
    expect(target.f).toBeLessThanOrEqual(1);
    const ftol = runToCompletion(
      spec({
        objective: rosenbrock,
        optimizer: { name: 'sgd', lr: 1e-4 },
        stop: { fTol: 1e-3, maxIterations: 100000 },
      }),
    ).result;
    expect(ftol.stopReason).toBe('f_tol');
    expect(ftol.converged).toBe(true);
  });

  it('maxIterations 0 evaluates the start only', () => {
    const { result, trajectory } = runToCompletion(
      spec({ objective: rosenbrock, optimizer: { name: 'adam' }, stop: { maxIterations: 0 } }),
    );
    expect(result.iterations).toBe(0);
    expect(result.x).toEqual([-1.2, 1]);
    expect(trajectory).toHaveLength(1);
  });
});

describe('divergence', () => {
  it('is a result: stopReason diverged with the last finite point as x', () => {
    const { result, trajectory } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'sphere' },
        optimizer: { name: 'sgd', lr: 10 },
        start: { x0: [1, 1] },
        stop: { maxIterations: 1000 },
      }),
    );
    expect(result.stopReason).toBe('diverged');
    expect(result.converged).toBe(false);
    // x ← x − 10·2x = −19x each step; f = 2·19^(2i) passes 1e12·f₀ = 2e12 at i = 5 (19^10 ≈ 6.1e12).
    expect(result.iterations).toBe(5);
    expect(result.x).toEqual([19 ** 4, 19 ** 4]);
    expect(result.f).toBe(2 * 19 ** 8);
    expect(result.x?.every(Number.isFinite)).toBe(true);
    expect(trajectory.at(-1)?.i).toBe(4);
    expect(result.best).toMatchObject({ iteration: 0, f: 2, x: [1, 1] });
  });

  it('best is the lowest-f iterate, its x exactly the recorded one, however f rises and falls', () => {
    // f goes down and up along these runs, so the best iterate is sometimes x, sometimes the
    // previous iterate and sometimes an older one kept aside (run.ts double-buffers x).
    const cases = [
      { objective: rosenbrock, optimizer: { name: 'momentum', lr: 2e-3, rho: 0.95 } },
      { objective: rosenbrock, optimizer: { name: 'adam', lr: 0.3 } },
      { objective: { type: 'builtin', name: 'rastrigin', dim: 3 }, optimizer: { name: 'sgd', lr: 0.02 } },
      { objective: { type: 'builtin', name: 'sphere' }, optimizer: { name: 'sgd', lr: 1.05 } },
    ] as const;
    for (const { objective, optimizer } of cases) {
      const { result, trajectory } = runToCompletion(
        spec({
          objective,
          optimizer,
          stop: { maxIterations: 300, fTol: null },
          record: { every: 1, params: true },
        }),
      );
      const lowest = trajectory.reduce((best, point) => (point.f < best.f ? point : best));
      const rises = trajectory.filter((point, k) => k > 0 && point.f > trajectory[k - 1].f).length;
      expect(rises).toBeGreaterThan(0);
      expect(result.best.iteration).toBe(lowest.i);
      expect(result.best.f).toBe(lowest.f);
      expect(result.best.x).toEqual(lowest.x);
    }
  });

  it('a non-finite f at the start diverges at iteration 0 without throwing (a spec normalisation would refuse)', () => {
    const valid = spec({
      objective: { type: 'expression', expression: 'log(x)' },
      optimizer: { name: 'sgd' },
      start: { x0: [1] },
    });
    const { result } = runToCompletion({ ...valid, start: { x0: [-1] } });
    expect(result.stopReason).toBe('diverged');
    expect(result.iterations).toBe(0);
    expect(result.x).toEqual([-1]);
  });
});

describe('recording', () => {
  it('records every k-th iteration plus the final one, without params when asked', () => {
    const { trajectory } = runToCompletion(
      spec({
        objective: rosenbrock,
        optimizer: { name: 'adam' },
        stop: { maxIterations: 25 },
        record: { every: 10, params: false },
      }),
    );
    expect(trajectory.map((p) => p.i)).toEqual([0, 10, 20, 25]);
    expect(trajectory.every((p) => p.x === undefined)).toBe(true);
  });

  it('thins evenly to maxPoints, keeping point 0 and the final point', () => {
    const { trajectory } = runToCompletion(
      spec({
        objective: rosenbrock,
        optimizer: { name: 'adam' },
        stop: { maxIterations: 1001 },
        record: { maxPoints: 12 },
      }),
    );
    // stride = ⌈1001 / 10⌉ = 101 → 0, 101, …, 909, then the final 1001.
    expect(trajectory.length).toBeLessThanOrEqual(12);
    expect(trajectory.map((p) => p.i)).toEqual([0, 101, 202, 303, 404, 505, 606, 707, 808, 909, 1001]);
  });

  it('recordedPoints bounds the points a run records (gradTol 0: every run goes to maxIterations)', () => {
    const cases: [every: number, maxIterations: number, maxPoints: number][] = [
      [10, 25, 10_000],
      [1, 1001, 12],
      [3, 30, 100],
      [1, 0, 10],
      [1, 7, 2],
      [7, 1000, 50],
    ];
    for (const [every, maxIterations, maxPoints] of cases) {
      const { trajectory } = runToCompletion(
        spec({
          objective: rosenbrock,
          optimizer: { name: 'sgd', lr: 1e-4 },
          stop: { maxIterations, gradTol: 0, fTol: null },
          record: { every, maxPoints, params: false },
        }),
      );
      const bound = recordedPoints(every, maxIterations, maxPoints);
      expect(trajectory.length).toBeLessThanOrEqual(bound);
      // Tight: at most one point short (the final iteration may be a multiple of the stride).
      expect(trajectory.length).toBeGreaterThanOrEqual(bound - 1);
    }
  });

  it('defaults to no params above 100 dimensions', () => {
    const normalized = spec({
      objective: { type: 'builtin', name: 'sphere', dim: 101 },
      optimizer: { name: 'sgd' },
    });
    expect(normalized.record.params).toBe(false);
  });
});

describe('reproducibility and checkpoints', () => {
  const noisy = {
    objective: rosenbrock,
    optimizer: { name: 'adam', lr: 0.02 },
    start: { random: { distribution: 'normal', scale: 1 } },
    gradientNoise: { std: 0.5 },
    schedule: { type: 'plateau', patience: 5, warmup: { steps: 10 } },
    stop: { maxIterations: 300 },
    seed: 123,
  };

  it('the same seed gives the same run bit for bit; another seed does not', () => {
    const a = runToCompletion(spec(noisy));
    const b = runToCompletion(spec(noisy));
    const c = runToCompletion(spec({ ...noisy, seed: 124 }));
    expect(withoutTime(a.trajectory)).toEqual(withoutTime(b.trajectory));
    expect(a.result.x).toEqual(b.result.x);
    expect(c.result.x).not.toEqual(a.result.x);
  });

  const checkpointCases = [
    ['adam with noise, warmup and plateau', noisy],
    [
      'momentum nesterov with clipNorm',
      {
        objective: rosenbrock,
        optimizer: { name: 'momentum', lr: 1e-3, nesterov: true, clipNorm: 5 },
        stop: { maxIterations: 300 },
      },
    ],
    [
      'adagrad',
      {
        objective: { type: 'builtin', name: 'rastrigin', dim: 5 },
        optimizer: { name: 'adagrad', lr: 0.1 },
        stop: { maxIterations: 300 },
      },
    ],
    [
      'rmsprop cosine',
      {
        objective: rosenbrock,
        optimizer: { name: 'rmsprop' },
        schedule: { type: 'cosine' },
        stop: { maxIterations: 300 },
      },
    ],
    [
      'adamw amsgrad',
      {
        objective: { type: 'builtin', name: 'ackley', dim: 3 },
        optimizer: { name: 'adamw', amsgrad: true },
        stop: { maxIterations: 300 },
      },
    ],
    [
      'lbfgs',
      {
        objective: { type: 'builtin', name: 'rosenbrock', dim: 6 },
        optimizer: { name: 'lbfgs' },
        stop: { maxIterations: 300, gradTol: 1e-12 },
      },
    ],
    [
      'newton damped',
      {
        objective: rosenbrock,
        optimizer: { name: 'newton', hessian: 'damped' },
        stop: { maxIterations: 300, gradTol: 1e-14 },
      },
    ],
  ] as const;

  it.each(checkpointCases)(
    'resuming %s from checkpoints at several iterations is bit-identical',
    (_name, input) => {
      const normalized = spec(input as Record<string, unknown>);
      const reference = runToCompletion(normalized);
      const stops = [
        0,
        1,
        7,
        Math.floor(reference.result.iterations / 2),
        reference.result.iterations - 1,
      ].filter((k, index, all) => k >= 0 && k < reference.result.iterations && all.indexOf(k) === index);
      expect(stops.length).toBeGreaterThan(1);
      for (const stopAt of stops) {
        const first = new Run(normalized);
        const points = first.takePoints();
        first.advance(Number.POSITIVE_INFINITY, stopAt);
        expect(first.iteration).toBe(stopAt);
        points.push(...first.takePoints());
        // The checkpoint travels as JSON, as it does through Redis.
        const checkpoint = JSON.parse(JSON.stringify(first.checkpoint()));
        const resumed = new Run(normalized, { checkpoint });
        while (!resumed.advance()) {}
        points.push(...resumed.takePoints());
        const result = resumed.result();
        expect(withoutTime(points)).toEqual(withoutTime(reference.trajectory));
        expect({ ...result, wallMs: 0 }).toEqual({ ...reference.result, wallMs: 0 });
      }
    },
  );
});

describe('cancellation', () => {
  it('an aborted signal stops the run with stopReason cancelled', () => {
    const controller = new AbortController();
    const run = new Run(
      spec({ objective: rosenbrock, optimizer: { name: 'sgd', lr: 1e-5 }, stop: { maxIterations: 1e7 } }),
      { signal: controller.signal, clock: steppingClock(1) },
    );
    // A 5 ms slice of the fake clock: a few clock reads, each spaced by the iterations of ~1 ms.
    run.advance(5);
    expect(run.done).toBe(false);
    const stoppedAt = run.iteration;
    expect(stoppedAt).toBeGreaterThan(0);
    controller.abort();
    expect(run.advance()).toBe(true);
    const result = run.result();
    expect(result.stopReason).toBe('cancelled');
    // The abort is seen at the next iteration boundary.
    expect(result.iterations).toBe(stoppedAt + 1);
  });

  it('the time budget stops a long run with time_limit at the first clock read past maxSeconds', () => {
    // 10 ms per read and maxSeconds 0.05: the constructor's read is 10, so the budget ends at 60.
    const { result } = runToCompletion(
      spec({
        objective: rosenbrock,
        optimizer: { name: 'sgd', lr: 1e-6 },
        stop: { maxIterations: 1e7, maxSeconds: 0.05 },
      }),
      { clock: steppingClock(10) },
    );
    expect(result.stopReason).toBe('time_limit');
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.iterations).toBeLessThan(1e7);
    // wallMs is the fake clock's: at least the budget, and within a few reads of it.
    expect(result.wallMs).toBeGreaterThanOrEqual(50);
    expect(result.wallMs).toBeLessThanOrEqual(80);
  });
});
