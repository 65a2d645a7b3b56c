import { describe, expect, it } from 'vitest';
import { generateDataset } from '../../../src/core/data/generators.ts';
import { createModelObjective } from '../../../src/core/objectives/models/index.ts';
import { createAdam } from '../../../src/core/optimizers/adam.ts';
import { mlpSpec, train } from './helpers.ts';

describe('mlp on two_moons', () => {
  it.each(['tanh', 'relu'] as const)(
    'hidden [16, 16] %s, Adam lr 0.01, batch 64: validation accuracy >= 0.95 after 1,300 steps (100 epochs)',
    (activation) => {
      const data = generateDataset('two_moons', { samples: 1000, noise: 0.2 }, 1);
      const objective = createModelObjective(
        mlpSpec({ hidden: [16, 16], activation, batchSize: 64 }),
        data,
        2,
      );
      expect(objective.data.training.rows).toBe(800);
      expect(objective.data.validation.rows).toBe(200);
      const adam = createAdam({ beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false });
      const start = objective.validation(objective.defaultStart());
      const { x } = train(objective, adam, 0.01, 1300);
      expect(objective.epoch).toBe(100);
      const end = objective.validation(x);
      console.log(
        `two_moons mlp ${activation}: validation loss ${start?.loss.toFixed(4)} -> ${end?.loss.toFixed(4)}, accuracy ${start?.accuracy} -> ${end?.accuracy}`,
      );
      expect(end?.accuracy).toBeGreaterThanOrEqual(0.95);
      expect(end?.loss).toBeLessThan(0.15);
    },
  );
});
