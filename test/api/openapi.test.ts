import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApi, OPENAPI_PATH } from '../../scripts/generate-openapi.ts';

describe('openapi/openapi.json', () => {
  it('is what `npm run openapi` generates from the routes (run it and commit the file when this fails)', async () => {
    const committed = readFileSync(OPENAPI_PATH, 'utf8');
    const generated = await generateOpenApi();
    expect(JSON.parse(committed)).toEqual(JSON.parse(generated));
    expect(committed).toBe(generated);
  });
});
