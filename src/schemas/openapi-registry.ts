import { z } from 'zod';

/**
 * The registry of named API schemas: each schema added here becomes a component of
 * openapi/openapi.json (`#/components/schemas/<id>`, and `<id>Input` for request bodies) and is
 * referenced by `$ref` wherever a route uses it. A private registry rather than zod's global one,
 * so that importing a schema module twice (tests, scripts) never registers an id twice.
 */
export const apiRegistry = z.registry<{ id?: string; description?: string }>();

/** Names `schema` as the OpenAPI component `id` and returns it. */
export function named<T extends z.ZodType>(schema: T, id: string, description?: string): T {
  if (!apiRegistry.has(schema)) apiRegistry.add(schema, description ? { id, description } : { id });
  return schema;
}
