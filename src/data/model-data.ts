import type { Dataset, DatasetTask } from '../core/data/dataset.ts';
import type { TabularDataset } from './tabular.ts';

/**
 * What normalisation needs to know of a model's data set (the parameter count depends on the
 * features and classes; which models it can train on its task and targets): a stored data set's
 * metadata, or a built-in's, without reading the rows.
 */
export interface DatasetShape {
  rows: number;
  features: number;
  task: DatasetTask;
  /** Classes (classification); 0 for regression. */
  classes: number;
  targets: 'numbers' | 'labels';
}

export function shapeOf(dataset: TabularDataset): DatasetShape {
  const { rows, features, task, classes, targets } = dataset;
  return { rows, features, task, classes, targets };
}

/**
 * Why a data set of `shape` cannot train a model of task `task` (a sentence for a 400), or null:
 * a classification model needs a classification data set, a regression model numeric targets.
 */
export function modelDataProblem(shape: DatasetShape, task: DatasetTask, model: string): string | null {
  if (task === 'classification' && shape.task !== 'classification') {
    return (
      `${model} needs class labels; the data set's targets are continuous values (a regression data set; ` +
      'upload it with task=classification to treat its values as classes)'
    );
  }
  if (task === 'regression' && shape.targets !== 'numbers') {
    return `${model} needs numeric targets; the data set's targets are text labels (classes)`;
  }
  return null;
}

const views = new WeakMap<TabularDataset, Partial<Record<DatasetTask, Dataset>>>();

/**
 * The core's view of a data set for a model of task `task` (checked by modelDataProblem first):
 * - regression: the target values themselves;
 * - classification: class indices 0 … K−1, numeric targets mapped through their sorted distinct
 *   values (the identity when they are 0 … K−1 already), labels kept as class names.
 * Built once per data set and task (a worker's cached data set serves every job).
 */
export function modelDataset(dataset: TabularDataset, task: DatasetTask): Dataset {
  let cached = views.get(dataset);
  if (cached === undefined) {
    cached = {};
    views.set(dataset, cached);
  }
  const existing = cached[task];
  if (existing !== undefined) return existing;
  const { X, rows, features } = dataset;
  let view: Dataset;
  if (task === 'regression') {
    view = { X, y: dataset.y, rows, features, task, classes: 0 };
  } else {
    let y = dataset.y;
    if (dataset.targets === 'numbers' && dataset.labels !== null) {
      const index = new Map(dataset.labels.map((label, k) => [Number(label), k]));
      y = Float64Array.from(dataset.y, (value) => index.get(value) as number);
    }
    view = { X, y, rows, features, task, classes: dataset.classes };
    if (dataset.labels !== null) view.classNames = dataset.labels;
  }
  cached[task] = view;
  return view;
}
