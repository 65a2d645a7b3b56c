import type { Dataset } from './dataset.ts';

/** Per-feature mean and scale: a standardised feature is (x − mean) / scale. */
export interface Standardization {
  mean: Float64Array;
  scale: Float64Array;
}

/**
 * Mean and scale of each feature over `train` (scikit-learn's StandardScaler): scale is the
 * population standard deviation √(Σ (x − mean)² / n), computed in two passes. A constant feature
 * (std ≤ 10·ε·|mean|, which covers rounding in the mean of a constant column) gets scale 1: it is
 * centred to 0, not divided by ~0.
 */
export function fitStandardization(train: Dataset): Standardization {
  const { X, rows, features } = train;
  const mean = new Float64Array(features);
  const scale = new Float64Array(features);
  for (let r = 0; r < rows; r++) for (let j = 0; j < features; j++) mean[j] += X[r * features + j];
  for (let j = 0; j < features; j++) mean[j] /= rows;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < features; j++) {
      const centred = X[r * features + j] - mean[j];
      scale[j] += centred * centred;
    }
  }
  for (let j = 0; j < features; j++) {
    const std = Math.sqrt(scale[j] / rows);
    scale[j] = std > 10 * Number.EPSILON * Math.abs(mean[j]) ? std : 1;
  }
  return { mean, scale };
}

/** A copy of `dataset` with every feature standardised: (x − mean) / scale. */
export function applyStandardization(dataset: Dataset, { mean, scale }: Standardization): Dataset {
  const { X, rows, features } = dataset;
  const out = new Float64Array(X.length);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < features; j++) out[r * features + j] = (X[r * features + j] - mean[j]) / scale[j];
  }
  return { ...dataset, X: out };
}
