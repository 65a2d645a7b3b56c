import { z } from 'zod';
import { named } from './openapi-registry.ts';

/** GET /v1/catalog/objectives and GET /v1/catalog/optimizers. */

export const objectiveCatalogEntrySchema = named(
  z.object({
    name: z.string(),
    title: z.string(),
    latex: z.string().describe('The formula in LaTeX.'),
    anyDim: z.boolean().describe('Accepts any dimension >= minDim; otherwise 2-D only.'),
    minDim: z.number().int(),
    defaultDim: z.number().int(),
    params: z.record(
      z.string(),
      z.object({
        default: z.union([z.number(), z.boolean()]),
        min: z.number().optional(),
        description: z.string(),
      }),
    ),
    defaultStart: z.array(z.number()).describe('At the default dimension and params.'),
    minimizers: z
      .array(z.array(z.number()))
      .nullable()
      .describe('Known global minimisers; null when none or unknown.'),
    minimum: z.number().nullable().describe('The global minimum; null when unbounded below or unknown.'),
    box: z
      .object({ x: z.tuple([z.number(), z.number()]), y: z.tuple([z.number(), z.number()]) })
      .describe('Plotting box.'),
  }),
  'ObjectiveCatalogEntry',
);

export const objectiveCatalogSchema = z.object({ items: z.array(objectiveCatalogEntrySchema) });

export const optimizerCatalogEntrySchema = named(
  z.object({
    name: z.string(),
    title: z.string(),
    parameters: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        default: z.union([z.number(), z.boolean(), z.string()]).nullable(),
        range: z.string(),
        description: z.string(),
      }),
    ),
    rule: z.object({ text: z.string(), latex: z.string() }),
    devices: z
      .array(z.enum(['cpu', 'gpu']))
      .describe(
        'Where the optimizer runs. newton and lbfgs run on the CPU only: `device: "gpu"` with them is a 400.',
      ),
  }),
  'OptimizerCatalogEntry',
);

export const optimizerCatalogSchema = z.object({ items: z.array(optimizerCatalogEntrySchema) });
