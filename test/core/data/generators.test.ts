import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/core/data/dataset.ts';
import { DATASET_GENERATORS, generateDataset } from '../../../src/core/data/generators.ts';

function classCounts(dataset: Dataset): number[] {
  const counts = new Array<number>(dataset.classes).fill(0);
  for (const label of dataset.y) counts[label]++;
  return counts;
}

describe('data generators', () => {
  it.each(['two_moons', 'spirals', 'blobs'] as const)(
    '%s is deterministic per seed and differs between seeds',
    (name) => {
      const a = generateDataset(name, {}, 7);
      const b = generateDataset(name, {}, 7);
      const c = generateDataset(name, {}, 8);
      expect(Array.from(a.X)).toEqual(Array.from(b.X));
      expect(Array.from(a.y)).toEqual(Array.from(b.y));
      expect(Array.from(a.X)).not.toEqual(Array.from(c.X));
    },
  );

  it('defaults: 1000 samples; two_moons and spirals 2 features and 2 classes, blobs 3 classes in 2 features', () => {
    for (const name of ['two_moons', 'spirals', 'blobs'] as const) {
      const { rows, features, classes, task, X, y } = generateDataset(name, {}, 1);
      const { defaults } = DATASET_GENERATORS[name];
      expect({ rows, features, classes, task }).toEqual({
        rows: 1000,
        features: defaults.features,
        classes: defaults.classes,
        task: 'classification',
      });
      expect(X.length).toBe(1000 * defaults.features);
      expect(y.length).toBe(1000);
    }
    expect(DATASET_GENERATORS.two_moons.defaults).toMatchObject({ noise: 0.1, classes: 2, features: 2 });
    expect(DATASET_GENERATORS.spirals.defaults).toMatchObject({ noise: 0.05, classes: 2 });
    expect(DATASET_GENERATORS.blobs.defaults).toMatchObject({ noise: 1, classes: 3, features: 2 });
  });

  it('class balance: ⌊n/K⌋ rows per class, the first n mod K classes one more', () => {
    expect(classCounts(generateDataset('two_moons', { samples: 1001 }, 1))).toEqual([500, 501]);
    expect(classCounts(generateDataset('spirals', { samples: 1000, classes: 3 }, 1))).toEqual([
      334, 333, 333,
    ]);
    const blobs = generateDataset('blobs', { samples: 50, classes: 4, features: 5 }, 1);
    expect(classCounts(blobs)).toEqual([13, 13, 12, 12]);
    expect(blobs.features).toBe(5);
    expect(blobs.X.length).toBe(250);
  });

  it('two_moons without noise lies exactly on the two half circles (make_moons)', () => {
    const { X, y, rows } = generateDataset('two_moons', { samples: 200, noise: 0 }, 1);
    for (let r = 0; r < rows; r++) {
      const [px, py] = [X[2 * r], X[2 * r + 1]];
      if (y[r] === 0) {
        expect(Math.hypot(px, py)).toBeCloseTo(1, 12);
        expect(py).toBeGreaterThanOrEqual(-1e-12);
      } else {
        expect(Math.hypot(px - 1, py - 0.5)).toBeCloseTo(1, 12);
        expect(py).toBeLessThanOrEqual(0.5 + 1e-12);
      }
    }
  });

  it('two_moons noise is Gaussian with the stated std: distance to the noise-free curve', () => {
    const clean = generateDataset('two_moons', { samples: 4000, noise: 0 }, 1);
    const noisy = generateDataset('two_moons', { samples: 4000, noise: 0.2 }, 1);
    // same seed, same shuffle: row r is the same curve point plus noise
    let squares = 0;
    for (let i = 0; i < clean.X.length; i++) squares += (noisy.X[i] - clean.X[i]) ** 2;
    expect(Math.sqrt(squares / clean.X.length)).toBeCloseTo(0.2, 2);
  });

  it('spirals without noise: arm k at radius t and angle 2πk/K + 3πt', () => {
    const { X, y, rows } = generateDataset('spirals', { samples: 300, classes: 3, noise: 0 }, 1);
    for (let r = 0; r < rows; r++) {
      const radius = Math.hypot(X[2 * r], X[2 * r + 1]);
      const angle = (2 * Math.PI * y[r]) / 3 + 3 * Math.PI * radius;
      expect(X[2 * r]).toBeCloseTo(radius * Math.cos(angle), 12);
      expect(X[2 * r + 1]).toBeCloseTo(radius * Math.sin(angle), 12);
    }
  });

  it('blobs: each class scatters around its own centre in [−10, 10] with std = noise', () => {
    const { X, y, rows } = generateDataset('blobs', { samples: 3000, classes: 3, noise: 0.5 }, 2);
    for (let k = 0; k < 3; k++) {
      const members = Array.from({ length: rows }, (_, r) => r).filter((r) => y[r] === k);
      for (let j = 0; j < 2; j++) {
        const values = members.map((r) => X[2 * r + j]);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
        expect(Math.abs(mean)).toBeLessThan(10);
        expect(std).toBeCloseTo(0.5, 1);
      }
    }
  });

  it('rows come shuffled, not grouped by class', () => {
    const { y } = generateDataset('two_moons', { samples: 1000 }, 1);
    expect(Array.from(y.subarray(0, 500)).filter((label) => label === 0).length).toBeGreaterThan(200);
    expect(Array.from(y.subarray(0, 500)).filter((label) => label === 0).length).toBeLessThan(300);
  });
});
