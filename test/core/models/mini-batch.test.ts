import { describe, expect, it } from 'vitest';
import type { BatchSamplerState } from '../../../src/core/data/batch-sampler.ts';
import { generateDataset } from '../../../src/core/data/generators.ts';
import { createModelObjective } from '../../../src/core/objectives/models/index.ts';
import { createAdam } from '../../../src/core/optimizers/adam.ts';
import { createSgd } from '../../../src/core/optimizers/sgd.ts';
import { decodeState, encodeState } from '../../../src/core/plain-state.ts';
import type { PlainState } from '../../../src/core/types.ts';
import { linearSpec, mlpSpec, randomVector, train } from './helpers.ts';

function standardDeviation(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

/** A JSON round trip through the run loop's checkpoint codec. */
function throughCheckpoint<T>(state: T): T {
  return decodeState(JSON.parse(JSON.stringify(encodeState(state as PlainState)))) as T;
}

describe('mini-batches', () => {
  it('the noise is visible: f over the last 100 of 600 SGD steps varies more with batchSize 8 than with the full batch', () => {
    const data = generateDataset('two_moons', { samples: 1000, noise: 0.2 }, 3);
    const spreads: Record<string, number> = {};
    for (const batchSize of [8, null]) {
      const objective = createModelObjective(linearSpec('logistic_regression', { batchSize }), data, 4);
      const { f } = train(objective, createSgd(), 0.1, 600);
      spreads[batchSize === null ? 'full' : String(batchSize)] = standardDeviation(f.slice(-100));
    }
    console.log(
      `std of f over the last 100 points: batchSize 8 ${spreads['8'].toExponential(3)}, full batch ${spreads.full.toExponential(3)}`,
    );
    expect(spreads['8']).toBeGreaterThan(spreads.full);
    // not a near tie: the batch loss of 8 rows scatters by orders of magnitude more
    expect(spreads['8']).toBeGreaterThan(100 * spreads.full);
  });

  it('a full-batch f is the training loss (training() bit for bit) and nextBatch changes nothing', () => {
    const data = generateDataset('blobs', { samples: 300, classes: 3 }, 5);
    const objective = createModelObjective(mlpSpec({ l2: 0.01 }), data, 6);
    expect(objective.miniBatch).toBe(false);
    const x = objective.defaultStart();
    const f = objective.value(x);
    objective.nextBatch();
    expect(objective.value(x)).toBe(f);
    expect(objective.training(x).loss).toBe(f);
    expect(objective.samplerState()).toBeNull();
  });

  it('each epoch visits every training row once: the mean of the batch losses of an epoch (weighted by rows) is the training loss', () => {
    const data = generateDataset('spirals', { samples: 230, classes: 3 }, 7);
    const objective = createModelObjective(mlpSpec({ batchSize: 32 }), data, 8);
    const rows = objective.data.training.rows;
    expect(rows).toBe(185); // 77, 77, 76 per class, round(0.2·n) = 15 of each held out
    const x = randomVector(9, objective.dim, 0.5);
    let weighted = 0;
    for (let start = 0; start < rows; start += 32) {
      weighted += objective.value(x) * Math.min(32, rows - start);
      objective.nextBatch();
    }
    expect(objective.epoch).toBe(1);
    expect(weighted / rows).toBeCloseTo(objective.training(x).loss, 12);
  });

  it('a checkpoint taken mid-epoch (sampler state through the checkpoint codec) resumes to the identical trajectory', () => {
    const data = generateDataset('two_moons', { samples: 500, noise: 0.2 }, 10);
    const spec = mlpSpec({ hidden: [8], batchSize: 24 });
    const adam = createAdam({ beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false });

    // Uninterrupted: 60 steps (400 training rows, 17 batches an epoch).
    const reference = createModelObjective(spec, data, 11);
    const whole = train(reference, adam, 0.01, 60);

    // Interrupted after 25 steps (epoch 1, batch 8 of 17), checkpointed, resumed in a new objective.
    const first = createModelObjective(spec, data, 11);
    let x = first.defaultStart();
    let next: Float64Array = new Float64Array(first.dim);
    const g = new Float64Array(first.dim);
    const state = adam.init(first.dim);
    const f = [first.valueAndGradient(x, g)];
    for (let t = 1; t <= 25; t++) {
      adam.step(x, next, g, 0.01, state, t, { objective: first, f: f[t - 1] });
      [x, next] = [next, x];
      first.nextBatch();
      f.push(first.valueAndGradient(x, g));
    }
    expect(first.epoch).toBe(1);
    const checkpoint = throughCheckpoint({
      x,
      optimizer: state as PlainState,
      sampler: first.samplerState() as PlainState,
    });
    expect((checkpoint.sampler as BatchSamplerState).batchStart).toBe(8 * 24);

    const resumed = createModelObjective(spec, data, 11);
    resumed.restoreSampler(checkpoint.sampler as BatchSamplerState);
    x = checkpoint.x as Float64Array;
    const resumedState = checkpoint.optimizer as typeof state;
    expect(resumed.valueAndGradient(x, g)).toBe(f[25]);
    for (let t = 26; t <= 60; t++) {
      adam.step(x, next, g, 0.01, resumedState, t, { objective: resumed, f: f[t - 1] });
      [x, next] = [next, x];
      resumed.nextBatch();
      f.push(resumed.valueAndGradient(x, g));
    }
    expect(f).toEqual(whole.f);
    expect(Array.from(x)).toEqual(Array.from(whole.x));
  });
});
