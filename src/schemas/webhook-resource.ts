import { z } from 'zod';

/** `webhook` of the Job and Comparison resources: where it goes and how its delivery went. */
export const webhookStateSchema = z
  .object({
    url: z.string(),
    deliveries: z
      .object({
        attempts: z.number().int().describe('POSTs made so far (at most 8).'),
        lastStatus: z
          .number()
          .int()
          .nullable()
          .describe('HTTP status of the last attempt; null without an answer.'),
        lastError: z.string().nullable().describe('Why the last attempt failed; null once delivered.'),
        lastAttemptAt: z.iso.datetime().nullable(),
        deliveredAt: z.iso.datetime().nullable().describe('When a 2xx answer came; null until then.'),
      })
      .describe('The delivery log, updated by the worker after each attempt.'),
  })
  .nullable()
  .describe('The webhook of the spec and its deliveries; null when the spec has none.');
