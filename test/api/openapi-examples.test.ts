import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSchema } from '../../src/schemas/job.ts';
import { FINISHED, startTestService, type TestService, waitFor } from './service.ts';

/**
 * Every example in the served OpenAPI document is a request the live route accepts, over real
 * HTTP: what /docs "Try it out" sends. Request bodies are checked example by example; parameter
 * examples (query, header) one at a time, on a finished job for the {id} routes.
 */

interface Parameter {
  in: 'query' | 'header' | 'path';
  name: string;
  example?: unknown;
  schema?: { examples?: unknown[] };
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: { $ref?: string; examples?: unknown[] } }> };
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { examples?: unknown[] }> };
}

let service: TestService;
let document: Document;
let finishedJobId: string;
let finishedComparisonId: string;

beforeAll(async () => {
  service = await startTestService();
  document = (await (await fetch(`${service.url}/openapi.json`)).json()) as Document;
  const submitted = await fetch(`${service.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      objective: { type: 'builtin', name: 'booth' },
      optimizer: { name: 'sgd', lr: 0.01 },
      stop: { maxIterations: 300, gradTol: 0 },
      seed: 2,
    }),
  });
  const { id } = jobSchema.parse(await submitted.json());
  finishedJobId = await waitFor(async () => {
    const job = jobSchema.parse(await (await fetch(`${service.url}/v1/jobs/${id}`)).json());
    return FINISHED.has(job.status) ? job.id : undefined;
  });
  // A finished comparison of two runs (the resume-token examples name two).
  const compared = await fetch(`${service.url}/v1/comparisons`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      objective: { type: 'builtin', name: 'booth' },
      runs: [{ optimizer: { name: 'sgd', lr: 0.01 } }, { optimizer: { name: 'adam', lr: 0.1 } }],
      stop: { maxIterations: 300, gradTol: 0 },
    }),
  });
  const { id: comparisonId } = (await compared.json()) as { id: string };
  finishedComparisonId = await waitFor(async () => {
    const comparison = (await (await fetch(`${service.url}/v1/comparisons/${comparisonId}`)).json()) as {
      status: string;
    };
    return FINISHED.has(comparison.status) ? comparisonId : undefined;
  });
});

afterAll(async () => {
  await service?.close();
});

function bodyExamples(operation: Operation): unknown[] {
  const schema = operation.requestBody?.content['application/json']?.schema;
  if (schema === undefined) return [];
  const resolved = schema.$ref ? document.components.schemas[schema.$ref.split('/').at(-1) ?? ''] : schema;
  return resolved?.examples ?? [];
}

function parameterExamples(operation: Operation): { parameter: Parameter; value: unknown }[] {
  return (operation.parameters ?? []).flatMap((parameter) =>
    [
      ...(parameter.example === undefined ? [] : [parameter.example]),
      ...(parameter.schema?.examples ?? []),
    ].map((value) => ({ parameter, value })),
  );
}

/** Sends one request and reads the whole answer (an event stream of a finished job ends by itself). */
async function send(
  method: string,
  path: string,
  options: { query?: Record<string, string>; headers?: Record<string, string>; body?: unknown },
) {
  const id = path.startsWith('/v1/comparisons/') ? finishedComparisonId : finishedJobId;
  const url = new URL(service.url + path.replace('{id}', id));
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  const response = await fetch(url, {
    method: method.toUpperCase(),
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: response.status, text: await response.text() };
}

describe('the examples of the OpenAPI document', () => {
  it('give every request body an example', () => {
    const bodies = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.requestBody?.content['application/json'] !== undefined)
        .map(([method, operation]) => [`${method.toUpperCase()} ${path}`, bodyExamples(operation).length]),
    );
    expect(bodies.sort()).toEqual([
      ['POST /v1/comparisons', 2],
      ['POST /v1/datasets', 1],
      ['POST /v1/evaluate', 4],
      ['POST /v1/jobs', 5],
      ['POST /v1/jobs/batch', 1],
    ]);
  });

  it('are each accepted by the live route', async () => {
    const refused: string[] = [];
    let sent = 0;
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const bodies = bodyExamples(operation);
        for (const body of bodies) {
          sent++;
          const { status, text } = await send(method, path, { body });
          if (status >= 300) refused.push(`${method} ${path} ${JSON.stringify(body)}: ${status} ${text}`);
        }
        for (const { parameter, value } of parameterExamples(operation)) {
          sent++;
          const where = parameter.in === 'header' ? 'headers' : 'query';
          const { status, text } = await send(method, path, {
            [where]: { [parameter.name]: String(value) },
            body: bodies[0],
          });
          if (status >= 300) refused.push(`${method} ${path} ${parameter.name}=${value}: ${status} ${text}`);
        }
      }
    }
    expect(refused).toEqual([]);
    // 13 bodies; 17 parameters: idempotency-key (jobs, batch, comparisons), label and limit (jobs,
    // comparisons), after, limit, format, which, after and last-event-id (jobs, comparisons), and
    // the data sets' target (CSV only: ignored by a JSON upload) and list limit.
    expect(sent).toBe(30);
  });
});
