import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas (named schemas from
 * src/schemas become components), served at /openapi.json, with interactive docs at /docs.
 * `npm run openapi` writes the same document to openapi/openapi.json.
 */

/** The package's version: the document describes the API of this release. */
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const OPENAPI_INFO = {
  title: 'descent',
  version: PACKAGE_VERSION,
  description:
    'Optimization as a service: submit an objective and an optimizer, watch the run live over ' +
    'Server-Sent Events, page or download its trajectory. Errors are RFC 9457 problem+json. ' +
    'When the server is configured with API keys, every /v1 call needs `Authorization: Bearer <key>`.',
};

/** The CSV form of a request body that also takes `text/csv` (a route whose schema `consumes` it). */
const CSV_BODY = {
  type: 'string',
  description:
    'CSV text: a header row, then one row per sample; quoted fields, CRLF or LF line ends, a UTF-8 BOM and a ' +
    'trailing newline are fine. Name the target column with `?target=<column>`; every other column is a feature.',
  examples: ['sepal_length,sepal_width,species\n5.1,3.5,setosa\n6.2,2.9,versicolor\n'],
};

/**
 * The zod transform of fastify-type-provider-zod, plus one thing it does not do: a route that
 * consumes `text/csv` besides JSON (POST /v1/datasets) documents both media types of its body.
 */
const transform: typeof jsonSchemaTransform = (document) => {
  const transformed = jsonSchemaTransform(document);
  const consumes = (document.schema as { consumes?: unknown } | undefined)?.consumes;
  const schema = transformed.schema as Record<string, unknown> | undefined;
  if (Array.isArray(consumes) && consumes.includes('text/csv') && schema?.body !== undefined) {
    schema.body = {
      content: { 'application/json': { schema: schema.body }, 'text/csv': { schema: CSV_BODY } },
    };
  }
  return transformed;
};

async function swaggerPlugin(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      tags: [
        { name: 'jobs', description: 'Submit, list, watch and manage optimization jobs.' },
        { name: 'catalog', description: 'What the server offers: objectives and optimizers.' },
        { name: 'datasets', description: 'Upload data sets (JSON or CSV) for model objectives.' },
        { name: 'evaluate', description: 'Check an objective at a point.' },
        { name: 'operations', description: 'Health, readiness and metrics.' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from API_KEYS; required only when the server is configured with keys.',
          },
        },
      },
    },
    transform,
    transformObject: jsonSchemaTransformObject,
  });

  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json' } });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(swaggerPlugin, { name: 'swagger' });
