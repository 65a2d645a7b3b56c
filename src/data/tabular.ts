import type { DatasetTask } from '../core/data/dataset.ts';

/**
 * A data set as the service stores it (POST /v1/datasets, inline data, the built-ins): features
 * row-major in one Float64Array, one target per row, and what the targets are.
 *
 * Targets are kept as they came, so that one data set serves both kinds of model:
 * - `targets: 'numbers'`: y holds the values themselves. A regression model fits them; a
 *   classification model (when `task` is classification) sees class k for the k-th smallest
 *   distinct value (`modelDataset`, model-data.ts): integers 0 … K−1 are their own classes,
 *   other values (−1/1, 1/2) are mapped in sorted order and `labels` says how.
 * - `targets: 'labels'`: the targets were text (`setosa`); y holds class indices, `labels[k]`
 *   the text of class k, in sorted order. Only classification models take them.
 *
 * `task` says what the targets are for: classification (labels, or numbers given as classes) or
 * regression (numbers); see {@link inferTask}.
 */
export interface TabularDataset {
  /** rows × features, row-major. */
  X: Float64Array;
  y: Float64Array;
  rows: number;
  features: number;
  /** Feature names (a CSV's header; x0, x1, … otherwise). */
  columns: string[];
  /** The target's name (the CSV column; `y` for JSON). */
  target: string;
  task: DatasetTask;
  /** Distinct classes (classification); 0 for regression. */
  classes: number;
  /** The original label of class k, when the targets were mapped (text, or numbers other than 0 … K−1). */
  labels: string[] | null;
  targets: 'numbers' | 'labels';
}

/** `auto` infers the task from the targets ({@link inferTask}). */
export type TaskOption = DatasetTask | 'auto';

/** A refusal: `path` names the place (`X[3][1]`, `rows[3][1]`, `target`), `message` says what, with row and column. */
export interface DataError {
  path: string;
  message: string;
}

export type TableOutcome = { ok: true; dataset: TabularDataset } | { ok: false; errors: DataError[] };

/** Integer targets with at most this many distinct values are taken as classes when the task is `auto`. */
export const MAX_INFERRED_CLASSES = 100;
/** Most classes a classification data set may have (labels are kept in its metadata). */
export const MAX_CLASSES = 1000;
/** Errors reported for one upload at most (the first ones, in row order). */
export const MAX_ERRORS = 20;

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/**
 * A number from text: a plain decimal (`-1.5e3`, `.5`, `7.`), surrounding spaces ignored.
 * Anything else is refused with the reason: empty, NaN or Infinity (in any spelling pandas or
 * numpy writes), or not a number (`0x1F`, `1,5`, `abc`), which Number() would partly accept.
 */
export function parseDecimal(text: string): number | 'empty' | 'non-finite' | 'not-a-number' {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty';
  if (NON_FINITE.test(trimmed)) return 'non-finite';
  if (!DECIMAL.test(trimmed)) return 'not-a-number';
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : 'non-finite';
}

/** A cell as an error message shows it: quoted text (cut at 40 characters), or the JSON value. */
export function showCell(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === 'number') return String(value);
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 40 ? `${json.slice(0, 40)}…` : json;
}

/** Why a cell is not a feature value, as the end of a sentence. */
export function cellProblem(reason: 'empty' | 'non-finite' | 'not-a-number', cell: unknown): string {
  if (reason === 'empty') return 'the cell is empty (missing values are not allowed)';
  if (reason === 'non-finite')
    return `${showCell(cell)} is not a finite number (NaN and Infinity are not allowed)`;
  return `${showCell(cell)} is not a number`;
}

/**
 * The targets of a table, one per row, as they come: numbers (JSON, or CSV text that parses as a
 * decimal) or text labels. `finishTargets` decides what they are.
 */
export class TargetColumn {
  readonly values: (number | string)[] = [];
  /** Whether every target so far is a number. */
  numeric = true;

  push(value: number | string): void {
    this.values.push(value);
    if (typeof value !== 'number') this.numeric = false;
  }
}

/**
 * The task of targets, when the caller did not say: text labels are classes; numbers are classes
 * when they are all integers with 2 to {@link MAX_INFERRED_CLASSES} distinct values, at least two
 * rows per value on average (scikit-learn's type_of_target reads integer targets as classes too;
 * the rows-per-value rule keeps a small integer-valued regression, y = 2x + 1 on ten rows, a
 * regression), and regression values otherwise. The values themselves are kept either way, so a
 * regression model still fits integer targets; `task` says which models may train.
 */
export function inferTask(
  numeric: boolean,
  distinct: ReadonlySet<number | string>,
  integers: boolean,
  rows: number,
): DatasetTask {
  if (!numeric) return 'classification';
  const size = distinct.size;
  return integers && size >= 2 && size <= MAX_INFERRED_CLASSES && 2 * size <= rows
    ? 'classification'
    : 'regression';
}

/** How a finished table names its target for messages and paths. */
export interface TargetPlace {
  /** `y` or `target`: the path of errors about the whole column. */
  path: string;
  /** `column 'species'` or `y`. */
  name: string;
}

export type TargetsOutcome =
  | {
      ok: true;
      y: Float64Array;
      task: DatasetTask;
      classes: number;
      labels: string[] | null;
      targets: 'numbers' | 'labels';
    }
  | { ok: false; errors: DataError[] };

/**
 * y, task, classes and labels from the collected targets, or the error that refuses them: a
 * classification with one class only, or more than {@link MAX_CLASSES}; a regression whose
 * targets are not all numbers (`firstLabelError` names the first such row).
 */
export function finishTargets(
  column: TargetColumn,
  taskOption: TaskOption,
  place: TargetPlace,
  firstLabelError: () => DataError,
): TargetsOutcome {
  const { values, numeric } = column;
  if (taskOption === 'regression' && !numeric) return { ok: false, errors: [firstLabelError()] };
  // Distinct values are counted only as far as the decision needs (a regression column of
  // millions of distinct values never fills a set): past the limit the count saturates.
  const limit =
    taskOption === 'regression'
      ? 0
      : taskOption === 'classification' || !numeric
        ? MAX_CLASSES
        : MAX_INFERRED_CLASSES;
  const distinct = new Set<number | string>();
  let integers = true;
  for (const value of values) {
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) integers = false;
      if (distinct.size <= limit) distinct.add(numeric ? value : String(value));
    } else if (distinct.size <= limit) distinct.add(value);
  }
  const task = taskOption === 'auto' ? inferTask(numeric, distinct, integers, values.length) : taskOption;
  if (task === 'regression') {
    return {
      ok: true,
      y: Float64Array.from(values as number[]),
      task,
      classes: 0,
      labels: null,
      targets: 'numbers',
    };
  }
  if (distinct.size > MAX_CLASSES) {
    return {
      ok: false,
      errors: [
        {
          path: place.path,
          message: `${place.name} holds more than ${MAX_CLASSES} distinct values; a classification data set may have at most ${MAX_CLASSES} classes (upload it with task=regression to fit the values)`,
        },
      ],
    };
  }
  if (distinct.size < 2) {
    const only = distinct.size === 1 ? ` (${showCell([...distinct][0])})` : '';
    return {
      ok: false,
      errors: [
        {
          path: place.path,
          message: `${place.name} holds one class only${only}; classification needs at least 2`,
        },
      ],
    };
  }
  if (numeric) {
    // Sorted in a copy: the Set's own order is insertion order.
    const sorted = ([...distinct] as number[]).sort((a, b) => a - b);
    const identity = sorted.every((value, k) => value === k);
    return {
      ok: true,
      y: Float64Array.from(values as number[]),
      task,
      classes: sorted.length,
      labels: identity ? null : sorted.map(String),
      targets: 'numbers',
    };
  }
  const labels = ([...distinct] as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(labels.map((label, k) => [label, k]));
  const y = new Float64Array(values.length);
  for (let r = 0; r < values.length; r++) {
    const value = values[r];
    y[r] = index.get(typeof value === 'number' ? String(value) : value) as number;
  }
  return { ok: true, y, task, classes: labels.length, labels, targets: 'labels' };
}

/**
 * Features written row by row into a growing Float64Array (doubling), so a large upload never
 * holds its numbers as an array of JS values.
 */
export class FeatureBuffer {
  private data: Float64Array;
  private length = 0;

  constructor(
    initialRows: number,
    readonly features: number,
  ) {
    this.data = new Float64Array(Math.max(16, initialRows * features));
  }

  /** Appends one value (call `features` times per row). */
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  /** The values written, trimmed to their length (a copy only when the buffer is larger). */
  finish(): Float64Array {
    return this.length === this.data.length ? this.data : this.data.slice(0, this.length);
  }
}

/** Default feature names: x0, x1, … */
export function defaultColumns(features: number): string[] {
  return Array.from({ length: features }, (_, j) => `x${j}`);
}

/** Numbers a data set holds: rows × (features + 1) (the cap of MAX_DATASET_NUMBERS). */
export function datasetNumbers(rows: number, features: number): number {
  return rows * (features + 1);
}
