import { Rng } from '../random.ts';
import { type Dataset, selectRows } from './dataset.ts';
import { identityOrder, shuffleInPlace } from './shuffle.ts';

export interface DatasetSplit {
  train: Dataset;
  /** The held-out rows; 0 rows when validationFraction is 0. */
  validation: Dataset;
}

/**
 * A seeded train/validation split.
 *
 * - Regression: the rows are shuffled and the first round(fraction·rows) are held out.
 * - Classification is stratified: each class's rows are shuffled and round(fraction·n_k) of them
 *   held out, so the validation rows keep the class balance (iris, 0.2: exactly 10 of each
 *   species). Without it a small data set can leave a class out of the validation rows, and the
 *   validation loss would then move with the split rather than with the model.
 * - At least one row of every class (of the data set, for regression) stays in training: a
 *   fraction close to 1 never leaves the model nothing to fit.
 * - Both parts come out in a seeded random order (classes mixed); the mini-batch sampler
 *   reshuffles the training rows anyway, and a full batch sums them in this fixed order.
 *
 * Deterministic per (dataset, fraction, seed); `validationFraction` in [0, 1) is validated at the
 * boundary.
 */
export function splitDataset(dataset: Dataset, validationFraction: number, seed: number): DatasetSplit {
  const rng = Rng.fromSeed(seed);
  const held = new Uint32Array(dataset.rows);
  const kept = new Uint32Array(dataset.rows);
  let heldCount = 0;
  let keptCount = 0;
  const groups = dataset.task === 'classification' ? rowsByClass(dataset) : [identityOrder(dataset.rows)];
  for (const group of groups) {
    shuffleInPlace(group, rng);
    const holdOut = Math.min(Math.round(validationFraction * group.length), Math.max(0, group.length - 1));
    for (let k = 0; k < group.length; k++) {
      if (k < holdOut) held[heldCount++] = group[k];
      else kept[keptCount++] = group[k];
    }
  }
  const trainOrder = kept.subarray(0, keptCount);
  const validationOrder = held.subarray(0, heldCount);
  shuffleInPlace(trainOrder, rng);
  shuffleInPlace(validationOrder, rng);
  return { train: selectRows(dataset, trainOrder), validation: selectRows(dataset, validationOrder) };
}

/** The row indices of each class 0 … classes−1, in row order. */
function rowsByClass(dataset: Dataset): Uint32Array[] {
  const counts = new Uint32Array(dataset.classes);
  for (let r = 0; r < dataset.rows; r++) counts[dataset.y[r]]++;
  const groups = Array.from(counts, (count) => new Uint32Array(count));
  const filled = new Uint32Array(dataset.classes);
  for (let r = 0; r < dataset.rows; r++) {
    const k = dataset.y[r];
    groups[k][filled[k]++] = r;
  }
  return groups;
}
