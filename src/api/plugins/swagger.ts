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

async function swaggerPlugin(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      tags: [
        { name: 'jobs', description: 'Submit, list, watch and manage optimization jobs.' },
        { name: 'catalog', description: 'What the server offers: objectives and optimizers.' },
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
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json' } });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(swaggerPlugin, { name: 'swagger' });
