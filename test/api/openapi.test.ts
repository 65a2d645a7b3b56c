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

  it("carries the package's version as info.version", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(JSON.parse(await generateOpenApi()).info.version).toBe(version);
  });
});
