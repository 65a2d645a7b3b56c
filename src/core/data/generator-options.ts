import type { Rng } from '../random.ts';
import { type Dataset, selectRows } from './dataset.ts';
import { identityOrder, shuffleInPlace } from './shuffle.ts';

/**
 * Options of the seeded data generators. Every field is optional: absent ones take the
 * generator's defaults (DATASET_GENERATORS in generators.ts). `noise` is the standard deviation
 * of the Gaussian noise added to every coordinate; `classes` applies to spirals (arms) and blobs
 * (clusters), `features` to blobs only. Values are validated at the boundary (src/schemas):
 * samples >= classes, classes >= 2, noise >= 0, features >= 1.
 */
export interface GeneratorOptions {
  samples?: number;
  noise?: number;
  classes?: number;
  features?: number;
}

/** The options with every default filled in. */
export type FilledGeneratorOptions = Required<GeneratorOptions>;

/** Rows of class k when `samples` rows are shared among `classes`: the first samples mod K get one more. */
export function classSize(samples: number, classes: number, k: number): number {
  return Math.floor(samples / classes) + (k < samples % classes ? 1 : 0);
}

/** The rows of `dataset` in a seeded random order (scikit-learn's `shuffle=True`), X and y together. */
export function shuffledRows(dataset: Dataset, rng: Rng): Dataset {
  const order = identityOrder(dataset.rows);
  shuffleInPlace(order, rng);
  return selectRows(dataset, order);
}
