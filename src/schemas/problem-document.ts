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
          path: z.string().describe("The offending field, dotted with indices in brackets: 'optimizer.lr', 'start.x0[2]'."),
          message: z.string(),
        }),
      )
      .optional()
      .describe('Field-level errors of a validation problem (400).'),
  }),
  'Problem',
  'RFC 9457 problem details.',
);

/** Problem responses every /v1 route may give, for the OpenAPI document. */
export function problemResponses<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((status) => [status, problemSchema])) as { [K in S[number]]: typeof problemSchema };
}
