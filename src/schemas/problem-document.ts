import { z } from 'zod';
import { named } from './openapi-registry.ts';

/** RFC 9457 problem details (`application/problem+json`), the body of every error response. */
export const problemSchema = named(
  z.object({
    type: z.string().describe('A URI naming the kind of problem.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional().describe('The request path.'),
    requestId: z.string().optional().describe('The request id, also sent as the x-request-id header.'),
    errors: z
      .array(
        z.object({
          path: z
            .string()
            .describe("The offending field, dotted with indices in brackets: 'optimizer.lr', 'start.x0[2]'."),
          message: z.string(),
          position: z
            .number()
            .int()
            .optional()
            .describe('For an error at a place in a text (an expression, a JSON body): its 0-based offset.'),
          source: z
            .string()
            .optional()
            .describe('The text around `position` (at most 30 characters each side, … where cut).'),
          marker: z
            .string()
            .optional()
            .describe('A caret `^` under `position` in `source`: print the two on consecutive lines.'),
        }),
      )
      .optional()
      .describe('Field-level errors of a validation problem (400).'),
  }),
  'Problem',
  'RFC 9457 problem details.',
);

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `errors` names each offending field (unknown fields first); invalid JSON gives its line, column and offset.',
  401: 'Missing or invalid bearer key (when the server is configured with API keys).',
  404: "No such resource (another tenant's job is a 404 too).",
  409: "Conflicts with the job's state.",
  413: 'The body is larger than the limit (1 MiB by default, the setting BODY_LIMIT_BYTES); `detail` states both.',
  415: 'The body is not application/json.',
  429: 'Too many requests: retry after `Retry-After` seconds.',
  503: 'Redis is unreachable or the server is overloaded: retry after `Retry-After` seconds.',
};

type ProblemResponse = {
  description: string;
  content: { 'application/problem+json': { schema: typeof problemSchema } };
};

/** RFC 9457 responses for the OpenAPI document: `application/problem+json` with a description per status. */
export function problemResponses<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? 'A problem.',
        content: { 'application/problem+json': { schema: problemSchema } },
      },
    ]),
  ) as { [K in S[number]]: ProblemResponse };
}

/** A JSON success response with its description, for the OpenAPI document. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
