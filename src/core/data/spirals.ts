import type { Rng } from '../random.ts';
import type { Dataset } from './dataset.ts';
import { classSize, type FilledGeneratorOptions, shuffledRows } from './generator-options.ts';

/** Turns each arm makes from the centre to radius 1. */
const TURNS = 1.5;

/**
 * K = classes interleaved spiral arms in the plane. Arm k has m = classSize rows; row i lies at
 * t = (i + 1)/m, radius r = t, angle θ = 2πk/K + 2π·1.5·t, i.e. (r cos θ, r sin θ), plus
 * N(0, noise²) on each coordinate; rows shuffled. Neighbouring arms are 1/(1.5·K) apart along a
 * radius (1/3 for two arms), so noise well below that keeps the classes separable.
 */
export function spirals({ samples, noise, classes }: FilledGeneratorOptions, rng: Rng): Dataset {
  const X = new Float64Array(samples * 2);
  const y = new Float64Array(samples);
  let r = 0;
  for (let k = 0; k < classes; k++) {
    const m = classSize(samples, classes, k);
    for (let i = 0; i < m; i++, r++) {
      const t = (i + 1) / m;
      const angle = (2 * Math.PI * k) / classes + 2 * Math.PI * TURNS * t;
      X[2 * r] = t * Math.cos(angle) + noise * rng.normal();
      X[2 * r + 1] = t * Math.sin(angle) + noise * rng.normal();
      y[r] = k;
    }
  }
  return shuffledRows({ X, y, rows: samples, features: 2, task: 'classification', classes }, rng);
}
