import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { buildApp } from '../src/api/app.ts';
import { loadConfig } from '../src/config.ts';

/**
 * `npm run openapi`: writes openapi/openapi.json from the app's routes and zod schemas. Needs no
 * Redis: the app gets a lazy connection that never connects. test/api/openapi.test.ts fails when
 * the committed file differs from what this produces.
 */

export const OPENAPI_PATH = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url));

/** The OpenAPI document as the committed file holds it (stable key order, trailing newline). */
export async function generateOpenApi(): Promise<string> {
  // Defaults only: the document must not depend on the environment it is generated in.
  const config = loadConfig({});
  const redis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
  const app = await buildApp({ config, redis, logger: false, queueEvents: false });
  try {
    await app.ready();
    const document = app.swagger() as { components?: { schemas?: Record<string, unknown> } };
    // Components in name order: the registry's order follows module import order.
    const schemas = document.components?.schemas;
    if (schemas) {
      document.components = {
        ...document.components,
        schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
      };
    }
    return `${JSON.stringify(document, null, 2)}\n`;
  } finally {
    await app.close();
    redis.disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const text = await generateOpenApi();
  mkdirSync(path.dirname(OPENAPI_PATH), { recursive: true });
  writeFileSync(OPENAPI_PATH, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_PATH)} (${text.length} bytes)\n`);
}
