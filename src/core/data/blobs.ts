import type { Rng } from '../random.ts';
import type { Dataset } from './dataset.ts';
import { classSize, type FilledGeneratorOptions, shuffledRows } from './generator-options.ts';

/** Cluster centres are drawn uniformly from [−CENTER_BOX, CENTER_BOX]^features (make_blobs' default box). */
const CENTER_BOX = 10;

/**
 * scikit-learn's make_blobs: K = classes centres cₖ uniform in [−10, 10]^features (drawn first,
 * centre by centre), then classSize rows per class at cₖ + noise·N(0, I); rows shuffled.
 */
export function blobs({ samples, noise, classes, features }: FilledGeneratorOptions, rng: Rng): Dataset {
  const centers = new Float64Array(classes * features);
  for (let j = 0; j < centers.length; j++) centers[j] = CENTER_BOX * (2 * rng.uniform() - 1);
  const X = new Float64Array(samples * features);
  const y = new Float64Array(samples);
  let r = 0;
  for (let k = 0; k < classes; k++) {
    const m = classSize(samples, classes, k);
    for (let i = 0; i < m; i++, r++) {
      for (let j = 0; j < features; j++)
        X[r * features + j] = centers[k * features + j] + noise * rng.normal();
      y[r] = k;
    }
  }
  return shuffledRows({ X, y, rows: samples, features, task: 'classification', classes }, rng);
}
