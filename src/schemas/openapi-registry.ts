import { z } from 'zod';

/**
 * Names a schema as an OpenAPI component: each schema passed here becomes
 * `#/components/schemas/<id>` of openapi/openapi.json (and `<id>Input` where it describes a
 * request), referenced by `$ref` wherever a route uses it. The names live in zod's global
 * registry, next to the `.describe()` texts, which the document also carries. `examples` are
 * working requests (JSON Schema `examples`; /docs fills in the first).
 */
export function named<T extends z.ZodType>(
  schema: T,
  id: string,
  description?: string,
  examples?: readonly unknown[],
): T {
  const meta = z.globalRegistry.get(schema);
  z.globalRegistry.add(schema, {
    ...meta,
    id,
    ...(description !== undefined ? { description } : {}),
    ...(examples !== undefined ? { examples: [...examples] } : {}),
  });
  return schema;
}
