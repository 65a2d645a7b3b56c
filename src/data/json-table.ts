import {
  cellProblem,
  type DataError,
  datasetNumbers,
  defaultColumns,
  FeatureBuffer,
  finishTargets,
  MAX_ERRORS,
  showCell,
  type TableOutcome,
  TargetColumn,
  type TaskOption,
} from './tabular.ts';

/**
 * A data set from JSON rows: `{X: [[…], …], y: […]}` (POST /v1/datasets with a JSON body, and a
 * job spec's inline data). Every refusal names its place: `X[3][1]` with "row 3, column 1" in
 * the message, `X[3]` for a ragged row, `y[3]` for a bad target. Features must be JSON numbers
 * (finite: `1e999` parses as Infinity and is refused); targets numbers or text labels.
 */
export interface JsonTableOptions {
  task?: TaskOption;
  /** Feature names; default x0, x1, …; must have one per feature. */
  columns?: string[];
  /** Prefix of error paths (`objective.data.inline.`). */
  pathPrefix?: string;
  /** Most numbers, rows × (features + 1). */
  maxNumbers?: number;
}

export function datasetFromJson(
  X: readonly unknown[],
  y: readonly unknown[],
  options: JsonTableOptions = {},
): TableOutcome {
  const prefix = options.pathPrefix ?? '';
  const errors: DataError[] = [];
  const fail = (path: string, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ path: `${prefix}${path}`, message });
  };
  const rows = X.length;
  if (rows === 0) return { ok: false, errors: [{ path: `${prefix}X`, message: 'X has no rows' }] };
  const firstRow = X[0];
  if (!Array.isArray(firstRow)) {
    return { ok: false, errors: [{ path: `${prefix}X[0]`, message: 'row 0 is not an array of numbers' }] };
  }
  const features = firstRow.length;
  if (features === 0) {
    return {
      ok: false,
      errors: [{ path: `${prefix}X[0]`, message: 'row 0 has no values (a row needs at least one feature)' }],
    };
  }
  const maxNumbers = options.maxNumbers ?? Number.POSITIVE_INFINITY;
  if (datasetNumbers(rows, features) > maxNumbers) {
    const row = Math.floor(maxNumbers / (features + 1));
    return {
      ok: false,
      errors: [
        {
          path: `${prefix}X[${row}]`,
          message: `row ${row}: the data set exceeds the limit of ${maxNumbers} numbers (rows × (features + 1)) here; it has ${rows} rows of ${features} features and a target`,
        },
      ],
    };
  }
  if (y.length !== rows) fail('y', `y has ${y.length} values; X has ${rows} rows`);
  if (options.columns !== undefined && options.columns.length !== features) {
    fail('columns', `columns has ${options.columns.length} names; the rows have ${features} features`);
  }
  const buffer = new FeatureBuffer(rows, features);
  const targets = new TargetColumn();
  for (let r = 0; r < rows && errors.length < MAX_ERRORS; r++) {
    const row = X[r];
    if (!Array.isArray(row)) {
      fail(`X[${r}]`, `row ${r} is not an array of numbers`);
      continue;
    }
    if (row.length !== features) {
      fail(`X[${r}]`, `row ${r} has ${row.length} values; row 0 has ${features}`);
      continue;
    }
    for (let j = 0; j < features; j++) {
      const value = row[j];
      if (typeof value === 'number' && Number.isFinite(value)) buffer.push(value);
      else {
        const reason = typeof value === 'number' ? 'non-finite' : 'not-a-number';
        fail(`X[${r}][${j}]`, `row ${r}, column ${j}: ${cellProblem(reason, value)}`);
      }
    }
    if (r >= y.length) continue;
    const target = y[r];
    if (typeof target === 'number' && Number.isFinite(target)) targets.push(target);
    else if (typeof target === 'string' && target.trim() !== '') targets.push(target.trim());
    else {
      const what =
        typeof target === 'number'
          ? `${showCell(target)} is not a finite number`
          : typeof target === 'string'
            ? 'the label is empty'
            : `${showCell(target)} is neither a number nor a label`;
      fail(`y[${r}]`, `row ${r}: ${what}`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const finished = finishTargets(targets, options.task ?? 'auto', { path: `${prefix}y`, name: 'y' }, () => {
    const r = targets.values.findIndex((value) => typeof value !== 'number');
    return {
      path: `${prefix}y[${r}]`,
      message: `row ${r}: ${showCell(targets.values[r])} is not a number (task regression needs numeric targets)`,
    };
  });
  if (!finished.ok) return finished;
  const { ok: _, ...target } = finished;
  return {
    ok: true,
    dataset: {
      X: buffer.finish(),
      rows,
      features,
      columns: options.columns ?? defaultColumns(features),
      target: 'y',
      ...target,
    },
  };
}
