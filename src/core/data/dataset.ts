/**
 * A data set in memory, as the model objectives read it: features row-major in one Float64Array
 * (row r, feature j at X[r·features + j]), one target per row.
 *
 * Classification targets are class indices 0 … classes−1 stored as floats; `classNames[k]`, when
 * the labels were strings, is the label that class k stands for (labels mapped in sorted order).
 * Regression targets are any finite numbers, and `classes` is 0.
 */
export type DatasetTask = 'classification' | 'regression';

export interface Dataset {
  /** rows × features, row-major. */
  X: Float64Array;
  /** rows targets: class indices (classification) or values (regression). */
  y: Float64Array;
  rows: number;
  features: number;
  task: DatasetTask;
  /** Number of classes (classification); 0 for regression. */
  classes: number;
  /** The original label of each class index, in sorted order, when the labels were mapped. */
  classNames?: string[];
}

/** A new data set holding the rows `indices` of `dataset`, in that order (X and y copied). */
export function selectRows(dataset: Dataset, indices: ArrayLike<number>, count = indices.length): Dataset {
  const { features } = dataset;
  const X = new Float64Array(count * features);
  const y = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const row = indices[k];
    X.set(dataset.X.subarray(row * features, (row + 1) * features), k * features);
    y[k] = dataset.y[row];
  }
  return { ...dataset, X, y, rows: count };
}
