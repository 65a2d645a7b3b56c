import { describe, expect, it } from 'vitest';
import { BatchSampler } from '../../../src/core/data/batch-sampler.ts';

/** The rows of the sampler's current batch. */
function batch(sampler: BatchSampler): number[] {
  return Array.from(sampler.order.subarray(sampler.batchStart, sampler.batchStart + sampler.batchRows));
}

describe('BatchSampler', () => {
  it('an epoch is a permutation of the rows cut into batches, the last one holding the remainder', () => {
    const sampler = new BatchSampler(23, 5, 1);
    const sizes: number[] = [];
    const rows: number[] = [];
    for (let k = 0; k < 5; k++) {
      expect(sampler.epoch).toBe(0);
      sizes.push(sampler.batchRows);
      rows.push(...batch(sampler));
      sampler.next();
    }
    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    expect(rows.sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, r) => r));
    expect(sampler.epoch).toBe(1);
    expect(sampler.batchStart).toBe(0);
  });

  it('reshuffles every epoch, deterministically per seed', () => {
    const orders = (seed: number) => {
      const sampler = new BatchSampler(50, 50, seed);
      const epochs: number[][] = [];
      for (let e = 0; e < 3; e++) {
        epochs.push(batch(sampler));
        sampler.next();
      }
      return epochs;
    };
    const [first, second, third] = orders(4);
    expect(first).not.toEqual(second);
    expect(second).not.toEqual(third);
    expect(orders(4)).toEqual([first, second, third]);
    expect(orders(5)[0]).not.toEqual(first);
  });

  it('a state taken mid-epoch, through JSON, restores the identical sequence of batches', () => {
    const original = new BatchSampler(37, 6, 9);
    for (let k = 0; k < 10; k++) original.next(); // epoch 1, third batch
    const state = JSON.parse(JSON.stringify(original.state()));
    expect(state.epoch).toBe(1);
    expect(state.batchStart).toBe(18);
    const restored = new BatchSampler(37, 6, 9);
    restored.restore(state);
    for (let k = 0; k < 30; k++) {
      expect(batch(restored)).toEqual(batch(original));
      expect(restored.epoch).toBe(original.epoch);
      original.next();
      restored.next();
    }
  });
});
