import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSchedule, type PlateauState } from '../../src/core/schedules.ts';
import type { PlainState } from '../../src/core/types.ts';
import { normalizeSchedule, type ScheduleInput, scheduleSchema } from '../../src/schemas/schedule.ts';

/** Factors s(t) for the given t, with `observed` values fed to observe() before reading each. */
function factors(input: ScheduleInput, ts: number[], maxIterations = 1000): number[] {
  const schedule = createSchedule(scheduleSchema.parse(input), maxIterations);
  const state = schedule.init();
  return ts.map((t) => schedule.factor(t, state));
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) expect(actual[k]).toBeCloseTo(expected[k], 14);
}

describe('schedules', () => {
  it('constant: s(t) = 1', () => {
    expect(factors({ type: 'constant' }, [0, 1, 500, 10_000])).toEqual([1, 1, 1, 1]);
  });

  it('step: s(t) = γ^⌊t/stepSize⌋', () => {
    expectClose(
      factors({ type: 'step', stepSize: 10, gamma: 0.5 }, [0, 9, 10, 19, 20, 35]),
      [1, 1, 0.5, 0.5, 0.25, 0.125],
    );
    // defaults stepSize 100, γ 0.1
    expectClose(factors({ type: 'step' }, [0, 99, 100, 250]), [1, 1, 0.1, 0.01]);
  });

  it('exponential: s(t) = γ^t', () => {
    expectClose(factors({ type: 'exponential', gamma: 0.5 }, [0, 1, 2, 10]), [1, 0.5, 0.25, 1 / 1024]);
    expectClose(factors({ type: 'exponential' }, [0, 1, 100]), [1, 0.99, 0.99 ** 100]);
  });

  it('cosine: s(t) = m + (1 − m)(1 + cos(π·min(t, P)/P))/2', () => {
    const ts = [0, 25, 50, 75, 100, 150];
    expectClose(factors({ type: 'cosine', period: 100 }, ts), [
      1,
      (1 + Math.SQRT1_2) / 2,
      0.5,
      (1 - Math.SQRT1_2) / 2,
      0,
      0,
    ]);
    expectClose(
      factors({ type: 'cosine', period: 100, minFactor: 0.2 }, [0, 50, 100, 200]),
      [1, 0.6, 0.2, 0.2],
    );
  });

  it('cosine and one_cycle default their period to maxIterations', () => {
    expectClose(factors({ type: 'cosine' }, [0, 10, 20], 20), [1, 0.5, 0]);
    expect(normalizeSchedule(scheduleSchema.parse({ type: 'cosine' }), 20)).toEqual({
      type: 'cosine',
      period: 20,
      minFactor: 0,
    });
    expect(normalizeSchedule(scheduleSchema.parse({ type: 'one_cycle' }), 50)).toEqual({
      type: 'one_cycle',
      peakFactor: 10,
      pctStart: 0.3,
      period: 50,
    });
    // a given period wins; other types are returned unchanged
    expect(normalizeSchedule(scheduleSchema.parse({ type: 'cosine', period: 7 }), 50)).toMatchObject({
      period: 7,
    });
    expect(normalizeSchedule(scheduleSchema.parse({ type: 'inverse_sqrt' }), 50)).toEqual({
      type: 'inverse_sqrt',
    });
  });

  it('inverse_sqrt: s(t) = 1/√(1 + t)', () => {
    expectClose(factors({ type: 'inverse_sqrt' }, [0, 3, 8, 99]), [1, 0.5, 1 / 3, 0.1]);
  });

  it('one_cycle: linear 1 → peak over pctStart·P steps, then cosine peak → 0 at P', () => {
    // P = 100, pctStart 0.2 → T = 20; peak 5
    const input: ScheduleInput = { type: 'one_cycle', period: 100, peakFactor: 5, pctStart: 0.2 };
    expectClose(factors(input, [0, 10, 20, 60, 100, 120]), [1, 3, 5, 2.5, 0, 0]);
    // t = 40: anneal a quarter through, 5·(1 + cos(π/4))/2
    expectClose(factors(input, [40]), [(5 * (1 + Math.SQRT1_2)) / 2]);
  });

  it('warmup: startFactor + (1 − startFactor)·t/steps while t < steps, then the schedule at t − steps', () => {
    const input: ScheduleInput = {
      type: 'step',
      stepSize: 2,
      gamma: 0.5,
      warmup: { steps: 4, startFactor: 0.2 },
    };
    expectClose(factors(input, [0, 1, 2, 3, 4, 5, 6, 7, 8]), [0.2, 0.4, 0.6, 0.8, 1, 1, 0.5, 0.5, 0.25]);
    // default startFactor 0.1
    expectClose(factors({ type: 'constant', warmup: { steps: 10 } }, [0, 5, 10]), [0.1, 0.55, 1]);
    expectClose(factors({ type: 'cosine', period: 10, warmup: { steps: 5 } }, [5, 10, 15]), [1, 0.5, 0]);
  });

  describe('plateau', () => {
    function plateau(
      options: Partial<{ factor: number; patience: number; threshold: number }>,
      warmup?: number,
    ) {
      const schedule = createSchedule(
        scheduleSchema.parse({
          type: 'plateau',
          ...options,
          ...(warmup ? { warmup: { steps: warmup } } : {}),
        }),
        1000,
      );
      const state = schedule.init();
      /** Observes each value and returns the factor for the next step after each. */
      const feed = (values: number[]) =>
        values.map((value, k) => {
          schedule.observe?.(value, state);
          return schedule.factor(k, state);
        });
      return { schedule, state, feed };
    }

    it('starts at 1 and multiplies by factor after more than `patience` observations without improvement', () => {
      const { feed } = plateau({ factor: 0.5, patience: 2, threshold: 0 });
      // 10 (best), 9 (best), then 9, 9, 9: the third non-improvement exceeds patience 2 → ×0.5
      expect(feed([10, 9, 9, 9, 9, 9, 9, 9])).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
    });

    it('counts an improvement only when value < best − threshold·|best|', () => {
      const { feed, state } = plateau({ factor: 0.1, patience: 0, threshold: 0.1 });
      // best 10; 9.5 is within 10 % → bad (patience 0: reduce at once); 8.9 < 9 → improves
      expect(feed([10, 9.5, 8.9])).toEqual([1, 0.1, 0.1]);
      expect((state as PlateauState).best).toBe(8.9);
    });

    it('handles negative values: best −10 needs value < −10 − 0.1·10 = −11', () => {
      const { feed, state } = plateau({ factor: 0.5, patience: 0, threshold: 0.1 });
      expect(feed([-10, -10.5, -11.5])).toEqual([1, 0.5, 0.5]);
      expect((state as PlateauState).best).toBe(-11.5);
    });

    it('a non-finite value never improves, and the state is JSON-safe (no Infinity)', () => {
      const { feed, state } = plateau({ factor: 0.5, patience: 0 });
      expect(state).toEqual({ scale: 1, best: null, badCount: 0 });
      expect(feed([Number.NaN, 3])).toEqual([0.5, 0.5]);
      expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    });

    it('continues identically from a JSON copy of its state', () => {
      const values = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3];
      const a = plateau({ factor: 0.5, patience: 1 });
      a.feed(values.slice(0, 5));
      const copy = JSON.parse(JSON.stringify(a.state)) as PlainState;
      const b = plateau({ factor: 0.5, patience: 1 });
      const rest = values.slice(5);
      const step = (schedule: typeof a.schedule, state: PlainState, value: number) => {
        schedule.observe?.(value, state);
        return schedule.factor(0, state);
      };
      const fromOriginal = rest.map((value) => step(a.schedule, a.state, value));
      const fromCopy = rest.map((value) => step(b.schedule, copy, value));
      expect(fromCopy).toEqual(fromOriginal);
    });

    it('with warmup, ramps first and applies the plateau scale afterwards', () => {
      const { schedule, state } = plateau({ factor: 0.5, patience: 0 }, 2);
      schedule.observe?.(1, state);
      schedule.observe?.(1, state);
      expect(schedule.factor(0, state)).toBeCloseTo(0.1, 15);
      expect(schedule.factor(1, state)).toBeCloseTo(0.55, 15);
      expect(schedule.factor(2, state)).toBe(0.5);
    });
  });

  it('every factor is finite and in [0, max(1, peakFactor)]', () => {
    const specs = fc.oneof(
      fc.record({
        type: fc.constant('step' as const),
        stepSize: fc.integer({ min: 1, max: 50 }),
        gamma: fc.double({ min: 0.01, max: 1, noNaN: true }),
      }),
      fc.record({
        type: fc.constant('exponential' as const),
        gamma: fc.double({ min: 0.5, max: 1, noNaN: true }),
      }),
      fc.record({
        type: fc.constant('cosine' as const),
        period: fc.integer({ min: 1, max: 500 }),
        minFactor: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      fc.record({ type: fc.constant('inverse_sqrt' as const) }),
      fc.record({
        type: fc.constant('one_cycle' as const),
        period: fc.integer({ min: 1, max: 500 }),
        peakFactor: fc.double({ min: 1, max: 100, noNaN: true }),
        pctStart: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
      }),
    );
    fc.assert(
      fc.property(specs, fc.integer({ min: 0, max: 2000 }), (input, t) => {
        const [value] = factors(input, [t]);
        const cap = input.type === 'one_cycle' ? input.peakFactor : 1;
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(cap * (1 + 1e-12));
      }),
    );
  });
});

describe('scheduleSchema', () => {
  it('fills defaults', () => {
    expect(scheduleSchema.parse({ type: 'step' })).toEqual({ type: 'step', stepSize: 100, gamma: 0.1 });
    expect(scheduleSchema.parse({ type: 'exponential' })).toEqual({ type: 'exponential', gamma: 0.99 });
    expect(scheduleSchema.parse({ type: 'cosine' })).toEqual({ type: 'cosine', minFactor: 0 });
    expect(scheduleSchema.parse({ type: 'plateau' })).toEqual({
      type: 'plateau',
      factor: 0.1,
      patience: 10,
      threshold: 1e-4,
    });
    expect(scheduleSchema.parse({ type: 'constant', warmup: { steps: 5 } })).toEqual({
      type: 'constant',
      warmup: { steps: 5, startFactor: 0.1 },
    });
  });

  it.each([
    [{ type: 'step', stepSize: 0 }, ['stepSize'], /stepSize must be at least 1/],
    [{ type: 'step', stepSize: 1.5 }, ['stepSize'], /stepSize must be an integer/],
    [{ type: 'step', gamma: 0 }, ['gamma'], /gamma must be in \(0, 1\]/],
    [{ type: 'exponential', gamma: 1.01 }, ['gamma'], /gamma must be in \(0, 1\]/],
    [{ type: 'cosine', minFactor: 2 }, ['minFactor'], /minFactor must be in \[0, 1\]/],
    [{ type: 'cosine', period: 0 }, ['period'], /period must be at least 1/],
    [{ type: 'one_cycle', peakFactor: 0.5 }, ['peakFactor'], /peakFactor must be at least 1/],
    [{ type: 'one_cycle', pctStart: 1 }, ['pctStart'], /pctStart must be in \(0, 1\)/],
    [{ type: 'plateau', factor: 1 }, ['factor'], /factor must be in \(0, 1\)/],
    [{ type: 'plateau', patience: -1 }, ['patience'], /patience must be at least 0/],
    [{ type: 'plateau', threshold: Number.NaN }, ['threshold'], /threshold must be a finite number/],
    [{ type: 'constant', warmup: { steps: 0 } }, ['warmup', 'steps'], /steps must be at least 1/],
    [{ type: 'constant', warmup: { steps: 3, startFactor: 1.5 } }, ['warmup', 'startFactor'], /startFactor/],
    [{ type: 'constant', warmup: { steps: 3, start: 0.1 } }, ['warmup'], /Unrecognized key/],
    [{ type: 'constant', gamma: 0.5 }, [], /Unrecognized key/],
    [{ type: 'linear' }, ['type'], /./],
  ])('rejects %j at path %j', (input, path, message) => {
    const result = scheduleSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
    expect(result.error?.issues[0]?.message).toMatch(message);
  });
});
