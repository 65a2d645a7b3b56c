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
    'When the server is configured with API keys, every /v1 call needs `Authorization: Bearer <key>`.\n\n' +
    'Webhooks: a job or comparison spec with `webhook: {url}` gets one POST when it finishes, body ' +
    '`{"type": "job.finished" | "comparison.finished", "data": <the final Job or Comparison>}`, headers ' +
    '`Descent-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the server\'s WEBHOOK_SECRET>` ' +
    'and `Descent-Delivery: <id>` (the same on every attempt). A non-2xx answer or a timeout (10 s) is retried ' +
    'with exponential backoff, 8 attempts over about an hour.',
  license: { name: 'MIT', identifier: 'MIT' },
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

/**
 * Request examples belong to the request side of a schema (`JobSpecInput`); the response side
 * (`JobSpec`, normalised: every default filled in) would only show them failing its own required
 * fields (redocly's no-invalid-schema-examples).
 */
function withoutResponseExamples<T>(document: T): T {
  const schemas = (document as { components?: { schemas?: Record<string, { examples?: unknown }> } })
    .components?.schemas;
  for (const [name, schema] of Object.entries(schemas ?? {})) {
    if (schemas?.[`${name}Input`] !== undefined) delete schema.examples;
  }
  return document;
}

async function swaggerPlugin(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      // Relative: the document describes whichever server serves it.
      servers: [{ url: '/', description: 'The server that serves this document.' }],
      tags: [
        { name: 'jobs', description: 'Submit, list, watch and manage optimization jobs.' },
        {
          name: 'comparisons',
          description:
            'Several runs on one objective (optimizers side by side, or a parameter sweep), ranked.',
        },
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
    transformObject: (input) => withoutResponseExamples(jsonSchemaTransformObject(input)),
  });

  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json' } });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(swaggerPlugin, { name: 'swagger' });
