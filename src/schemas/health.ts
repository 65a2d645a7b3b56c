import { z } from 'zod';

/** GET /healthz and GET /readyz. */

export const livenessSchema = z.object({ status: z.literal('ok') });

export const readinessSchema = z.object({
  status: z.literal('ready'),
  redis: z.literal('ok'),
  lastWorkerSeenMs: z.number().describe('Milliseconds since the most recent worker heartbeat.'),
  workers: z.number().int().describe('Workers with a recent heartbeat.'),
});
