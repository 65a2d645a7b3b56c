import type { FastifyInstance, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import fp from 'fastify-plugin';
import type { z } from 'zod';
import { fieldErrorsFromZod } from '../../schemas/problem.ts';
import { RequestValidationError } from './error-handler.ts';

/**
 * zod as the schema language of every route: request parts are parsed with the route's zod
 * schema (coercions and defaults applied; errors carry field paths such as `limit`), and the same
 * schemas feed the OpenAPI document (plugins/swagger.ts).
 */

function isZodSchema(schema: unknown): schema is z.ZodType {
  return (
    typeof schema === 'object' && schema !== null && typeof (schema as z.ZodType).safeParse === 'function'
  );
}

export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema }) => {
  // Plugins' own JSON schemas (swagger-ui's routes) carry nothing to validate.
  if (!isZodSchema(schema)) return (data) => ({ value: data });
  return (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: new RequestValidationError(fieldErrorsFromZod(result.error)) };
  };
};

/** Accepts the body as it is: the route validates it itself (POST /v1/jobs, POST /v1/evaluate). */
export const passThroughBody: FastifySchemaCompiler<unknown> = (route) =>
  route.httpPart === 'body' ? (data) => ({ value: data }) : zodValidatorCompiler(route);

/**
 * Responses are plain JSON.stringify: the zod response schemas document the API (and the tests
 * check responses against them) without a per-response re-validation cost on hot paths such as
 * trajectory pages.
 */
export const jsonSerializerCompiler: FastifySerializerCompiler<unknown> = () => (data) =>
  JSON.stringify(data);

async function zodPlugin(app: FastifyInstance) {
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(jsonSerializerCompiler);
}

export default fp(zodPlugin, { name: 'zod' });
