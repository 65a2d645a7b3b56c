import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { BUILTIN_NAMES, catalogEntry } from '../../core/objectives/builtins/index.ts';
import { objectiveCatalogSchema, optimizerCatalogSchema } from '../../schemas/catalog.ts';
import { modelCatalog, modelCatalogSchema } from '../../schemas/model-catalog.ts';
import { optimizerCatalog } from '../../schemas/optimizer-catalog.ts';
import { jsonResponse, problemResponses } from '../../schemas/problem-document.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';

/** GET /v1/catalog/objectives and /v1/catalog/optimizers: static, built once. */
export default async function catalogRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Static: built once. The tests check both against their response schemas.
  const objectives = { items: BUILTIN_NAMES.map((name) => catalogEntry(name)) } as z.output<
    typeof objectiveCatalogSchema
  >;
  const optimizers = { items: optimizerCatalog() };
  const models = modelCatalog();

  app.get(
    '/v1/catalog/objectives',
    {
      schema: {
        tags: ['catalog'],
        operationId: 'listObjectives',
        summary: 'Builtin objectives',
        description:
          'Every builtin: formula (LaTeX), parameters, default dimension, default start, known minimisers and ' +
          'minimum, plotting box.',
        security: BEARER_OPTIONAL,
        response: {
          200: jsonResponse(objectiveCatalogSchema, 'The builtin objectives.'),
          ...problemResponses(401, 429),
        },
      },
    },
    async () => objectives,
  );

  app.get(
    '/v1/catalog/optimizers',
    {
      schema: {
        tags: ['catalog'],
        operationId: 'listOptimizers',
        summary: 'Optimizers',
        description: 'Every optimizer: parameters with defaults and valid ranges, and its update rule.',
        security: BEARER_OPTIONAL,
        response: {
          200: jsonResponse(optimizerCatalogSchema, 'The optimizers.'),
          ...problemResponses(401, 429),
        },
      },
    },
    async () => optimizers,
  );

  app.get(
    '/v1/catalog/models',
    {
      schema: {
        operationId: 'listModels',
        tags: ['catalog'],
        summary: 'Models and built-in data sets',
        description:
          'Every model of the `model` objective: its loss, parameter layout, whether it has a Hessian, and its ' +
          'options with defaults and valid ranges; and the built-in data sets with their shapes and generator options.',
        security: BEARER_OPTIONAL,
        response: {
          200: jsonResponse(modelCatalogSchema, 'The models and built-in data sets.'),
          ...problemResponses(401, 429),
        },
      },
    },
    async () => models,
  );
}
