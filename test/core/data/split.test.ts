import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/core/data/dataset.ts';
import { generateDataset } from '../../../src/core/data/generators.ts';
import { splitDataset } from '../../../src/core/data/split.ts';
import { applyStandardization, fitStandardization } from '../../../src/core/data/standardize.ts';

/** Row r has features (r, −r) and target r: which rows went where can be read off. */
function numbered(rows: number, task: 'classification' | 'regression', classes = 0): Dataset {
  const X = Float64Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? i / 2 : -(i - 1) / 2));
  const y = Float64Array.from({ length: rows }, (_, r) => (task === 'regression' ? r : r % classes));
  return { X, y, rows, features: 2, task, classes };
}

describe('splitDataset', () => {
  it('regression: round(fraction·n) rows held out, every row in exactly one part, with its own target', () => {
    const { train, validation } = splitDataset(numbered(101, 'regression'), 0.2, 3);
    expect(validation.rows).toBe(20);
    expect(train.rows).toBe(81);
    const seen = [...train.y, ...validation.y].sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 101 }, (_, r) => r));
    for (const part of [train, validation]) {
      for (let k = 0; k < part.rows; k++) {
        expect(part.X[2 * k]).toBe(part.y[k]);
        expect(part.X[2 * k + 1]).toBe(-part.y[k]);
      }
    }
  });

  it('classification is stratified: each class keeps its share in validation', () => {
    const data = generateDataset('blobs', { samples: 1000, classes: 4 }, 1);
    const { train, validation } = splitDataset(data, 0.2, 9);
    const counts = (part: Dataset) => [0, 1, 2, 3].map((k) => part.y.filter((label) => label === k).length);
    expect(counts(validation)).toEqual([50, 50, 50, 50]);
    expect(counts(train)).toEqual([200, 200, 200, 200]);
  });

  it('is deterministic per seed, differs between seeds, and comes out shuffled', () => {
    const data = numbered(200, 'regression');
    const a = splitDataset(data, 0.25, 1);
    expect(Array.from(splitDataset(data, 0.25, 1).validation.y)).toEqual(Array.from(a.validation.y));
    expect(Array.from(splitDataset(data, 0.25, 2).validation.y)).not.toEqual(Array.from(a.validation.y));
    const sorted = Array.from(a.train.y).sort((p, q) => p - q);
    expect(Array.from(a.train.y)).not.toEqual(sorted);
  });

  it('fraction 0 holds nothing out; a fraction near 1 still keeps one row of each class for training', () => {
    expect(splitDataset(numbered(10, 'regression'), 0, 1).validation.rows).toBe(0);
    const { train } = splitDataset(numbered(9, 'classification', 3), 0.99, 1);
    expect(Array.from(train.y).sort()).toEqual([0, 1, 2]);
    expect(splitDataset(numbered(5, 'regression'), 0.99, 1).train.rows).toBe(1);
  });
});

describe('standardisation', () => {
  it('maps training features to mean 0 and population std 1; a constant feature is centred, not scaled', () => {
    const X = Float64Array.from([1, 0.1, 2, 0.1, 3, 0.1, 6, 0.1]);
    const train: Dataset = {
      X,
      y: new Float64Array(4),
      rows: 4,
      features: 2,
      task: 'regression',
      classes: 0,
    };
    const stats = fitStandardization(train);
    expect(Array.from(stats.mean)).toEqual([3, 0.1]);
    // population std of 1, 2, 3, 6: √((4 + 1 + 0 + 9)/4) = √3.5
    expect(stats.scale[0]).toBeCloseTo(Math.sqrt(3.5), 15);
    expect(stats.scale[1]).toBe(1);
    const scaled = applyStandardization(train, stats);
    expect(Array.from(scaled.X.filter((_, i) => i % 2 === 1))).toEqual([0, 0, 0, 0]);
    expect(scaled.X[0]).toBeCloseTo(-2 / Math.sqrt(3.5), 15);
    // the input is left as it was
    expect(X[0]).toBe(1);
  });
});
