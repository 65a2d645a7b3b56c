import { z } from 'zod';
import { MAX_CLASSES, MAX_INFERRED_CLASSES } from '../data/tabular.ts';
import { listJobsQuerySchema } from './job.ts';
import { named } from './openapi-registry.ts';
import { DATASET_UPLOAD_EXAMPLES } from './request-examples.ts';

/**
 * The data sets of API.md (POST/GET/DELETE /v1/datasets): the JSON upload body, the query of an
 * upload (CSV's target column, the task, a name), and the resource.
 */

const TASK_TEXT =
  `What the target is: \`classification\` (classes), \`regression\` (values), or \`auto\` (default): text ` +
  `labels are classes; numbers are classes when they are integers with 2 to ${MAX_INFERRED_CLASSES} distinct ` +
  `values and at least two rows per value on average, regression values otherwise. Classes are mapped to 0 … K−1 in sorted order (at most ${MAX_CLASSES}); ` +
  'numeric targets are kept as they are, so a regression model can always fit them.';

export const datasetTaskSchema = z.enum(['auto', 'classification', 'regression']).describe(TASK_TEXT);

export const datasetUploadBodySchema = named(
  z.strictObject({
    X: z
      .array(z.array(z.unknown()))
      .describe('Rows of feature values: finite JSON numbers, every row as long.'),
    y: z.array(z.unknown()).describe('One target per row: a finite number, or a text label (a class).'),
    columns: z.array(z.string().max(200)).optional().describe('Feature names (default x0, x1, …).'),
    task: datasetTaskSchema.optional(),
    name: z.string().max(200).optional().describe('A name to recognise the data set by.'),
  }),
  'DatasetUpload',
  'A data set as JSON rows. CSV is accepted too: `Content-Type: text/csv`, a header row, and `?target=<column>`.',
  DATASET_UPLOAD_EXAMPLES,
);

export const datasetUploadQuerySchema = z.strictObject({
  target: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('CSV: the target column (required); every other column is a feature.')
    .meta({ examples: ['species'] }),
  task: datasetTaskSchema.optional(),
  name: z.string().max(200).optional().describe('A name to recognise the data set by.'),
});

export const datasetIdParamsSchema = z.object({
  id: z.string().min(1).max(200).describe('The data set id.'),
});

export const datasetSchema = named(
  z.object({
    id: z
      .string()
      .describe('Opaque and unguessable; refer to it as `{"datasetId": …}` in a model objective.'),
    name: z.string().nullable(),
    rows: z.number().int(),
    features: z.number().int(),
    classes: z.number().int().optional().describe('Classification data sets: the number of classes.'),
    task: z.enum(['classification', 'regression']),
    columns: z.array(z.string()).describe('Feature names, in the order of the features.'),
    target: z.string().describe('The target column (`y` for JSON uploads).'),
    labels: z
      .array(z.string())
      .optional()
      .describe(
        'When the targets were mapped to classes (text labels, or numbers other than 0 … K−1): the label of ' +
          'class k, in sorted order.',
      ),
    targets: z
      .enum(['numbers', 'labels'])
      .describe('Whether the targets are numbers (kept as given) or text labels.'),
    origin: z.enum(['upload', 'inline']).describe('Uploaded, or stored from a job spec’s inline rows.'),
    bytes: z.number().int().describe('Bytes stored (8 per number, features and targets).'),
    createdAt: z.iso.datetime(),
    links: z.object({ self: z.string() }),
  }),
  'Dataset',
  'A stored data set (immutable). Models refer to it by id.',
);
export type DatasetResource = z.output<typeof datasetSchema>;

export const datasetListSchema = named(
  z.object({
    items: z.array(datasetSchema).describe('Newest first.'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  }),
  'DatasetList',
);

/** `limit` and `cursor`, as the job list pages. */
export const listDatasetsQuerySchema = listJobsQuerySchema.pick({ limit: true, cursor: true });
