import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, generateClientTypes } from '../../scripts/generate-client-types.ts';

describe('the typed client', () => {
  it('has types generated from the committed openapi/openapi.json (run `npm run openapi` when this fails)', async () => {
    expect(readFileSync(CLIENT_TYPES_PATH, 'utf8')).toBe(await generateClientTypes());
  });

  it('is importable as descent/client, and every operation of the document has a stable operationId', async () => {
    const client = await import('descent/client');
    expect(typeof client.createDescentClient).toBe('function');
    const document = JSON.parse(
      readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'),
    ) as {
      paths: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[] }>>;
    };
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
    const ids = operations.map((operation) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operations.every((operation) => operation.summary && operation.tags?.length)).toBe(true);
    expect(ids).toEqual(
      expect.arrayContaining([
        'createJob',
        'createJobBatch',
        'listJobs',
        'getJob',
        'cancelJob',
        'deleteJob',
        'getTrajectory',
        'getParams',
        'streamJobEvents',
        'createComparison',
        'listComparisons',
        'getComparison',
        'cancelComparison',
        'deleteComparison',
        'streamComparisonEvents',
      ]),
    );
  });
});
