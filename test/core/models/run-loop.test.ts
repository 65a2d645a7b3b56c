import { describe, expect, it } from 'vitest';
import { createModelObjective } from '../../../src/core/objectives/models/index.ts';
import { createLbfgs } from '../../../src/core/optimizers/lbfgs.ts';
import { Run, runToCompletion } from '../../../src/core/run.ts';
import { observePlateau, type PlateauState } from '../../../src/core/schedules.ts';
import type { ModelObjectiveSpec } from '../../../src/core/spec.ts';
import type { TrajectoryPoint } from '../../../src/core/types.ts';
import { withoutTime } from '../spec-helpers.ts';
import { train } from './helpers.ts';
import {
  modelJob,
  OVERFITTING_MLP,
  runModel,
  SPIRALS_CHECKPOINT,
  standardDeviation,
  TWO_MOONS_MLP,
} from './run-helpers.ts';

/**
 * The model objectives through the run loop (src/core/run.ts): batches moved between steps,
 * validation at the recorded points, patience, plateau on the validation loss, and checkpoints
 * taken mid-epoch.
 */

const moons = { builtin: 'two_moons', samples: 400, noise: 0.25 } as const;

/** An independent objective on the same spec, data and seed (for checking the run's numbers). */
function independentObjective(job: ReturnType<typeof modelJob>) {
  return createModelObjective(job.spec.objective as ModelObjectiveSpec, job.dataset, job.spec.seed);
}

describe('validation at recorded points', () => {
  it('every recorded point carries valF and valAccuracy, the validation metrics at its x; no other iteration is evaluated', () => {
    const input = {
      objective: { type: 'model', model: 'logistic_regression', data: moons, batchSize: 32 },
      optimizer: { name: 'sgd', lr: 0.5 },
      stop: { maxIterations: 53 },
      record: { every: 10, params: true },
    };
    const job = modelJob(input);
    const { trajectory, result } = runToCompletion(job.spec, { dataset: job.dataset });
    expect(trajectory.map((point) => point.i)).toEqual([0, 10, 20, 30, 40, 50, 53]);
    const objective = independentObjective(job);
    for (const point of trajectory) {
      const metrics = objective.validation(Float64Array.from(point.x ?? []));
      expect(point.valF).toBe(metrics?.loss);
      expect(point.valAccuracy).toBe(metrics?.accuracy);
    }
    // 80 validation rows of 400: accuracy is a multiple of 1/80
    expect(((trajectory[6].valAccuracy ?? 0) * 80) % 1).toBeCloseTo(0, 9);
    expect(result.evaluations).toEqual({ f: 54, gradient: 54, hessian: 0 });
    const final = trajectory[trajectory.length - 1];
    expect(result.validation?.finalLoss).toBe(final.valF);
    expect(result.validation?.finalAccuracy).toBe(final.valAccuracy);
  });

  it('regression points carry valF only; without validation rows there is neither, nor result.validation', () => {
    const regression = runModel({
      objective: {
        type: 'model',
        model: 'linear_regression',
        data: {
          inline: {
            X: [[0], [1], [2], [3], [4], [5], [6], [7], [8], [9]],
            y: [1, 3, 5.5, 7, 9, 11, 13.5, 15, 17, 19],
          },
        },
      },
      optimizer: { name: 'lbfgs' },
      stop: { maxIterations: 20 },
    });
    expect(
      regression.trajectory.every(
        (point) => typeof point.valF === 'number' && point.valAccuracy === undefined,
      ),
    ).toBe(true);
    expect(regression.result.validation?.accuracy).toBeNull();
    const none = runModel({
      objective: { type: 'model', model: 'logistic_regression', data: moons, validationFraction: 0 },
      optimizer: { name: 'lbfgs' },
      stop: { maxIterations: 5 },
    });
    expect(none.trajectory.some((point) => 'valF' in point || 'valAccuracy' in point)).toBe(false);
    expect(none.result.validation).toBeUndefined();
    expect(none.result.best.f).toBe(Math.min(...none.trajectory.map((point) => point.f)));
  });

  it('a mini-batch run records about once per epoch by default (record.every = ⌈training rows / batchSize⌉)', () => {
    const { spec, trajectory } = runModel({
      objective: { type: 'model', model: 'logistic_regression', data: moons, batchSize: 64 },
      optimizer: { name: 'sgd', lr: 0.1 },
      stop: { maxIterations: 50 },
    });
    // 320 training rows / 64 = 5 steps an epoch
    expect(spec.record.every).toBe(5);
    expect(trajectory.map((point) => point.i)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
  });
});

describe('stop.patience', () => {
  it('an overfitting MLP stops early_stopped (not converged) after `patience` evaluations without a lower validation loss, and returns the best validation parameters', () => {
    const job = modelJob(OVERFITTING_MLP);
    const { result, trajectory } = runToCompletion(job.spec, { dataset: job.dataset });
    expect(result.stopReason).toBe('early_stopped');
    expect(result.converged).toBe(false);
    const validation = result.validation;
    if (validation === undefined) throw new Error('no validation summary');
    const losses = trajectory.map((point) => point.valF as number);
    const bestIndex = losses.indexOf(Math.min(...losses));
    const best = trajectory[bestIndex];
    expect(validation.bestIteration).toBe(best.i);
    expect(result.best.iteration).toBe(best.i);
    expect(validation.loss).toBe(best.valF);
    expect(validation.accuracy).toBe(best.valAccuracy);
    expect(result.best.f).toBe(best.f);
    expect(result.best.x).toEqual(best.x);
    // exactly `patience` evaluations after the best, none of them lower; the run ends on the last
    expect(trajectory.length - 1 - bestIndex).toBe(15);
    expect(result.iterations).toBe(best.i + 15 * 5);
    expect(validation.finalLoss).toBe(losses[losses.length - 1]);
    expect(validation.finalLoss).toBeGreaterThan(validation.loss);
    // best.x is what it claims: an independent objective finds the same validation loss there
    expect(independentObjective(job).validation(Float64Array.from(result.best.x ?? []))?.loss).toBe(
      validation.loss,
    );
    console.log(
      `early stop: best validation loss ${validation.loss.toFixed(4)} at ${validation.bestIteration}, final ${validation.finalLoss.toFixed(4)} at ${result.iterations}`,
    );
  });

  it('without patience the same run goes on to maxIterations', () => {
    const { result } = runModel({
      objective: {
        type: 'model',
        model: 'mlp',
        data: { builtin: 'two_moons', samples: 120, noise: 0.45 },
        hidden: [64, 64],
      },
      optimizer: { name: 'adam', lr: 0.01 },
      stop: { maxIterations: 600 },
      record: { every: 5 },
    });
    expect(result.stopReason).toBe('max_iterations');
    expect(result.validation?.bestIteration).toBeLessThan(600);
  });
});

describe('plateau on the validation loss', () => {
  it('observes valF at the recorded points only: each point’s lr is the scale after the observations before it', () => {
    const { trajectory, spec } = runModel({
      objective: {
        type: 'model',
        model: 'mlp',
        data: { builtin: 'two_moons', samples: 120, noise: 0.45 },
        hidden: [32],
      },
      optimizer: { name: 'adam', lr: 0.02 },
      schedule: { type: 'plateau', factor: 0.5, patience: 2, threshold: 0 },
      stop: { maxIterations: 1500 },
      record: { every: 10 },
    });
    expect(spec.schedule.type).toBe('plateau');
    const state: PlateauState = { scale: 1, best: null, badCount: 0 };
    const options = { factor: 0.5, patience: 2, threshold: 0 };
    let reductions = 0;
    const periodic = trajectory.filter((point) => point.i % 10 === 0);
    for (let k = 0; k < periodic.length; k++) {
      // point k·10 (k >= 1) is reached by a step taken after the observations of points 0 … (k−1)·10
      if (k > 0) expect(periodic[k].lr).toBe(0.02 * state.scale);
      const before = state.scale;
      observePlateau(state, periodic[k].valF as number, options);
      if (state.scale < before) reductions++;
    }
    expect(reductions).toBeGreaterThanOrEqual(2);
    // between recorded points the rate does not move (f is not observed)
    const lrs = new Set(trajectory.slice(1, 3).map((point) => point.lr));
    expect(lrs.size).toBe(1);
  });
});

describe('checkpoints of model runs', () => {
  it('a checkpoint taken mid-epoch (JSON round trip) resumes through the Run to the identical trajectory and result', () => {
    const input = { ...SPIRALS_CHECKPOINT, gradientNoise: { std: 0.001 } };
    const job = modelJob(input);
    const whole = runToCompletion(job.spec, { dataset: job.dataset });

    // 240 training rows, batches of 25: 10 batches an epoch; iteration 43 is batch 4 of epoch 4
    const first = new Run(job.spec, { dataset: job.dataset });
    const points: TrajectoryPoint[] = first.takePoints();
    first.advance(Number.POSITIVE_INFINITY, 43);
    points.push(...first.takePoints());
    expect(first.iteration).toBe(43);
    const checkpoint = JSON.parse(JSON.stringify(first.checkpoint()));
    const resumed = new Run(job.spec, { dataset: job.dataset, checkpoint });
    while (!resumed.advance()) {
      /* to the end */
    }
    points.push(...resumed.takePoints());
    expect(withoutTime(points)).toEqual(withoutTime(whole.trajectory));
    const { wallMs: _a, ...expected } = whole.result;
    const { wallMs: _b, ...actual } = resumed.result();
    expect(actual).toEqual(expected);
    expect(whole.result.iterations).toBeGreaterThan(43);
    console.log(`checkpoint at 43: the run ends ${whole.result.stopReason} at ${whole.result.iterations}`);
  });
});

describe('mini-batches through the Run', () => {
  it('the noise is visible: std of f over the last 100 points, batchSize 8 against the full batch', () => {
    const spreads: Record<string, number> = {};
    for (const batchSize of [8, null]) {
      const { trajectory } = runModel({
        objective: {
          type: 'model',
          model: 'logistic_regression',
          data: { builtin: 'two_moons', samples: 1000, noise: 0.2 },
          batchSize,
        },
        optimizer: { name: 'sgd', lr: 0.1 },
        stop: { maxIterations: 600, fTol: null },
        record: { every: 1 },
      });
      expect(trajectory).toHaveLength(601);
      spreads[batchSize === null ? 'full' : '8'] = standardDeviation(
        trajectory.slice(-100).map((point) => point.f),
      );
    }
    console.log(
      `std of f over the last 100 points through the Run: batchSize 8 ${spreads['8'].toExponential(3)}, full batch ${spreads.full.toExponential(3)}`,
    );
    expect(spreads['8']).toBeGreaterThan(spreads.full);
    expect(spreads['8']).toBeGreaterThan(100 * spreads.full);
  });

  it('lbfgs with mini-batches evaluates each new point on the next batch (never the line search’s value on the old one)', () => {
    const input = {
      objective: { type: 'model', model: 'softmax_regression', data: { builtin: 'iris' }, batchSize: 30 },
      optimizer: { name: 'lbfgs' },
      stop: { maxIterations: 25, fTol: null },
      record: { every: 1 },
    };
    const job = modelJob(input);
    const { trajectory } = runToCompletion(job.spec, { dataset: job.dataset });
    // The helper loop of the model tests: evaluate on Bᵢ, step, nextBatch, evaluate on Bᵢ₊₁.
    const reference = train(
      independentObjective(job),
      createLbfgs({ history: 10, lineSearch: 'strong_wolfe' }),
      1,
      25,
    );
    expect(trajectory.map((point) => point.f)).toEqual(reference.f.slice(0, trajectory.length));
    expect(trajectory.length).toBe(26);
  });
});

describe('MLP on two_moons through runToCompletion', () => {
  it('1,000 samples, noise 0.2, hidden [16, 16], Adam, batch 64: validation accuracy >= 0.95', () => {
    const { result, trajectory } = runModel(TWO_MOONS_MLP);
    const validation = result.validation;
    console.log(
      `two_moons mlp via the Run: validation accuracy ${trajectory[0].valAccuracy} -> best ${validation?.accuracy} (loss ${validation?.loss.toFixed(4)}), final ${validation?.finalAccuracy}`,
    );
    expect(validation?.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(validation?.finalAccuracy).toBeGreaterThanOrEqual(0.95);
  });
});
