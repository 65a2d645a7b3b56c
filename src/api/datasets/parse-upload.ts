import { datasetFromCsv } from '../../data/csv-table.ts';
import { datasetFromJson } from '../../data/json-table.ts';
import type { DataError, TableOutcome, TaskOption } from '../../data/tabular.ts';
import { datasetUploadBodySchema } from '../../schemas/dataset.ts';
import { jsonSyntaxError } from '../../schemas/json-syntax.ts';
import { fieldErrorsFromZod } from '../../schemas/problem.ts';

/**
 * The parse of a POST /v1/datasets body, the same on the event loop (small bodies) and on an
 * evaluation thread (src/api/evaluate/pool.ts: a 16 MiB CSV takes about a second to parse and
 * check, which no other request should wait for): the text in, a data set or the refusals out.
 */
export interface UploadInput {
  kind: 'csv' | 'json';
  text: string;
  /** CSV: the target column. */
  target?: string;
  /** From the query; a JSON body's own `task` and `name` take precedence. */
  task?: TaskOption;
  maxNumbers: number;
}

export type UploadOutcome =
  | (Extract<TableOutcome, { ok: true }> & { name?: string })
  | { ok: false; errors: DataError[]; title: string };

export function parseUpload(input: UploadInput): UploadOutcome {
  if (input.kind === 'csv') {
    const table = datasetFromCsv(input.text, {
      target: input.target,
      task: input.task,
      maxNumbers: input.maxNumbers,
    });
    return table.ok ? table : { ...table, title: 'Invalid data set' };
  }
  if (input.text.trim() === '') {
    return { ok: false, errors: [{ path: 'body', message: 'the body is empty' }], title: 'Invalid data set' };
  }
  let body: unknown;
  try {
    body = JSON.parse(input.text);
  } catch (error) {
    const syntax = jsonSyntaxError(input.text) ?? { path: '', message: (error as Error).message };
    return { ok: false, errors: [syntax], title: 'Invalid JSON' };
  }
  const parsed = datasetUploadBodySchema.safeParse(body);
  if (!parsed.success)
    return { ok: false, errors: fieldErrorsFromZod(parsed.error), title: 'Invalid data set' };
  const { X, y, columns, task, name } = parsed.data;
  const table = datasetFromJson(X, y, { task: task ?? input.task, columns, maxNumbers: input.maxNumbers });
  if (!table.ok) return { ...table, title: 'Invalid data set' };
  return name === undefined ? table : { ...table, name };
}
