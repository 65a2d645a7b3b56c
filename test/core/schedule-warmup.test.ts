import { describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/run.ts';
import { createSchedule } from '../../src/core/schedules.ts';
import { normalizeSchedule, type ScheduleInput, scheduleSchema } from '../../src/schemas/schedule.ts';
import { spec } from './spec-helpers.ts';

/**
 * Cosine and one_cycle with warmup, in whole runs (apart from schedules.test.ts, which checks the
 * formulas and the schema's messages without the job spec's modules).
 */

function factors(input: ScheduleInput, ts: number[], maxIterations: number): number[] {
  const schedule = createSchedule(scheduleSchema.parse(input), maxIterations);
  const state = schedule.init();
  return ts.map((t) => schedule.factor(t, state));
}

describe('with warmup, the default period is maxIterations − warmup steps (the anneal spans the rest of the run)', () => {
  // A point's lr over the base lr is the factor: point i reports s(i − 1), the last point s(maxIterations − 1).
  function lastFactors(schedule: ScheduleInput, maxIterations: number): number[] {
    const { trajectory } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'sphere' },
        optimizer: { name: 'sgd', lr: 1e-6 },
        schedule,
        stop: { maxIterations, gradTol: 0, fTol: null },
      }),
    );
    expect(trajectory.at(-1)?.i).toBe(maxIterations);
    return trajectory.map((point) => point.lr / 1e-6);
  }

  it('cosine: the normalised period is 60 for 100 iterations and 40 warmup steps', () => {
    const normalized = spec({
      objective: { type: 'builtin', name: 'sphere' },
      optimizer: { name: 'sgd' },
      schedule: { type: 'cosine', minFactor: 0.2, warmup: { steps: 40 } },
      stop: { maxIterations: 100 },
    });
    expect(normalized.schedule).toMatchObject({ type: 'cosine', period: 60 });
  });

  it('cosine: the last step is one step from the end of the anneal, at minFactor to 1e-3 (it was mid-anneal)', () => {
    const lr = lastFactors({ type: 'cosine', minFactor: 0.2, warmup: { steps: 40, startFactor: 0.1 } }, 100);
    // the warmup ramp, then 1 at t = 40 (the anneal's start)
    expect(lr[1]).toBeCloseTo(0.1, 14);
    expect(lr[41]).toBeCloseTo(1, 14);
    // last step t = 99 → anneal index 59 of P = 60: m + (1 − m)(1 − cos(π/60))/2
    const last = lr[100];
    expect(last).toBeCloseTo(0.2 + 0.8 * ((1 - Math.cos(Math.PI / 60)) / 2), 14);
    expect(Math.abs(last - 0.2)).toBeLessThan(1e-3);
    // and the schedule itself is at minFactor exactly at t = maxIterations (anneal index P)
    expect(factors({ type: 'cosine', minFactor: 0.2, warmup: { steps: 40 } }, [100], 100)).toEqual([0.2]);
  });

  it('one_cycle: the last step is one step from the end value 0 (it was still above the base rate)', () => {
    const schedule = { type: 'one_cycle', peakFactor: 10, pctStart: 0.3, warmup: { steps: 50 } } as const;
    const lr = lastFactors(schedule, 150);
    // P = 100, T = 30: peak 10 at anneal index 30 (t = 80)
    expect(lr[81]).toBeCloseTo(10, 12);
    const last = lr[150];
    expect(last).toBeCloseTo((10 * (1 + Math.cos((Math.PI * 69) / 70))) / 2, 12);
    expect(last).toBeLessThan(0.01);
    expect(factors(schedule, [150], 150)).toEqual([0]);
  });

  it('createSchedule without a period applies the same default as normalisation', () => {
    const withoutPeriod = factors({ type: 'cosine', warmup: { steps: 5 } }, [5, 10, 15], 15);
    expect(withoutPeriod[0]).toBeCloseTo(1, 14);
    expect(withoutPeriod[1]).toBeCloseTo(0.5, 14);
    expect(withoutPeriod[2]).toBeCloseTo(0, 14);
    expect(
      normalizeSchedule(scheduleSchema.parse({ type: 'one_cycle', warmup: { steps: 5 } }), 15),
    ).toMatchObject({
      period: 10,
    });
    // never below 1, also when the warmup outlasts the run
    expect(
      normalizeSchedule(scheduleSchema.parse({ type: 'cosine', warmup: { steps: 50 } }), 20),
    ).toMatchObject({
      period: 1,
    });
  });
});
