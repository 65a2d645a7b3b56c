import { CsvError, parse } from 'csv-parse/sync';
import {
  cellProblem,
  type DataError,
  datasetNumbers,
  FeatureBuffer,
  finishTargets,
  MAX_ERRORS,
  parseDecimal,
  showCell,
  type TableOutcome,
  TargetColumn,
  type TaskOption,
} from './tabular.ts';

/**
 * A data set from CSV text (POST /v1/datasets with `Content-Type: text/csv`), parsed by csv-parse:
 * RFC 4180 quoting (delimiters, quotes and line breaks inside quoted fields), CRLF or LF, a UTF-8
 * BOM, blank lines and a trailing newline. The first record is the header; `target` names the
 * target column, every other column is a feature.
 *
 * Refusals name the place in the file: errors about a cell have the path `rows[r][c]` (data row r
 * after the header and CSV column c, both from 0, as pandas counts) and say `line L, column C
 * ('name')` (both from 1, as an editor shows them): a ragged row, a feature that is not a finite
 * number (empty, NaN, Infinity, text), an empty target. Whole-file problems use `body` (empty
 * file, no data rows, no feature column) and `target` (missing or repeated target column). At most
 * MAX_ERRORS are reported; parsing stops once the data set would exceed `maxNumbers`.
 */
export interface CsvTableOptions {
  /** The target column's name (the `target` query parameter). */
  target: string | undefined;
  task?: TaskOption;
  /** Most numbers, rows × (features + 1). */
  maxNumbers?: number;
}

/** Thrown from csv-parse's record callback to stop parsing once enough is wrong. */
class StopParsing extends Error {}

/** `a, b, c` (at most 20 names, then `…`). */
function columnList(header: readonly string[]): string {
  const shown = header.slice(0, 20).map((name) => `'${name}'`);
  return header.length > 20 ? `${shown.join(', ')}, …` : shown.join(', ');
}

export function datasetFromCsv(text: string, options: CsvTableOptions): TableOutcome {
  const errors: DataError[] = [];
  const fail = (path: string, message: string) => {
    errors.push({ path, message });
    if (errors.length >= MAX_ERRORS) throw new StopParsing();
  };
  const maxNumbers = options.maxNumbers ?? Number.POSITIVE_INFINITY;
  let header: string[] | null = null;
  let targetIndex = -1;
  let features = 0;
  let rows = 0;
  let buffer: FeatureBuffer | null = null;
  const targets = new TargetColumn();
  /** Line of each row's target, for the error naming the first label of a regression. */
  const firstLabel = { row: -1, line: 0 };

  const onHeader = (record: string[]): void => {
    header = record.map((name) => name.trim());
    if (options.target === undefined) {
      fail('target', `name the target column with ?target=<column>; the columns are ${columnList(header)}`);
      throw new StopParsing();
    }
    const matches = header.filter((name) => name === options.target).length;
    if (matches === 0) {
      fail('target', `no column '${options.target}' in the header; the columns are ${columnList(header)}`);
      throw new StopParsing();
    }
    if (matches > 1) {
      fail('target', `column '${options.target}' appears ${matches} times in the header`);
      throw new StopParsing();
    }
    if (header.length < 2) {
      fail('body', `no feature columns: the header has only the target column '${options.target}'`);
      throw new StopParsing();
    }
    targetIndex = header.indexOf(options.target);
    features = header.length - 1;
    buffer = new FeatureBuffer(Math.min(1024, Math.floor(maxNumbers / (features + 1))), features);
  };

  const onRow = (record: string[], line: number, names: string[], sink: FeatureBuffer): void => {
    const r = rows;
    if (record.length !== names.length) {
      fail(`rows[${r}]`, `line ${line} has ${record.length} fields; the header has ${names.length}`);
      rows++;
      return;
    }
    if (datasetNumbers(r + 1, features) > maxNumbers) {
      fail(
        `rows[${r}]`,
        `line ${line}: the data set exceeds the limit of ${maxNumbers} numbers (rows × (features + 1)) at this row`,
      );
      throw new StopParsing();
    }
    for (let c = 0; c < record.length; c++) {
      const cell = record[c];
      if (c === targetIndex) {
        const value = parseDecimal(cell);
        if (typeof value === 'number') targets.push(value);
        else if (value === 'empty')
          fail(`rows[${r}][${c}]`, `line ${line}, column ${c + 1} ('${names[c]}'): the target is empty`);
        else {
          if (firstLabel.row < 0) Object.assign(firstLabel, { row: r, line });
          targets.push(cell.trim());
        }
        continue;
      }
      const value = parseDecimal(cell);
      if (typeof value === 'number') sink.push(value);
      else
        fail(
          `rows[${r}][${c}]`,
          `line ${line}, column ${c + 1} ('${names[c]}'): ${cellProblem(value, cell)}`,
        );
    }
    rows++;
  };

  try {
    parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      on_record: (record: string[], context: { lines: number }) => {
        if (header === null) onHeader(record);
        else onRow(record, context.lines, header, buffer as unknown as FeatureBuffer);
        return null;
      },
    });
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      errors.push({
        path: line === undefined ? 'body' : `rows[${Math.max(0, rows)}]`,
        message: `not valid CSV: ${error.message}`,
      });
    } else if (!(error instanceof StopParsing)) throw error;
  }
  if (errors.length > 0) return { ok: false, errors };
  if (header === null) return { ok: false, errors: [{ path: 'body', message: 'the file is empty' }] };
  if (rows === 0)
    return { ok: false, errors: [{ path: 'body', message: 'the file has a header row but no data rows' }] };
  const names = header as string[];
  const targetName = names[targetIndex];
  const finished = finishTargets(
    targets,
    options.task ?? 'auto',
    { path: 'target', name: `column '${targetName}'` },
    () => ({
      path: `rows[${firstLabel.row}][${targetIndex}]`,
      message: `line ${firstLabel.line}, column ${targetIndex + 1} ('${targetName}'): ${showCell(targets.values[firstLabel.row])} is not a number (task regression needs numeric targets)`,
    }),
  );
  if (!finished.ok) return finished;
  const { ok: _, ...target } = finished;
  return {
    ok: true,
    dataset: {
      X: (buffer as unknown as FeatureBuffer).finish(),
      rows,
      features,
      columns: names.filter((_name, c) => c !== targetIndex),
      target: targetName,
      ...target,
    },
  };
}
