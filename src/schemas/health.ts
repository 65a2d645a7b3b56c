import { z } from 'zod';

/** GET /healthz and GET /readyz. */

export const livenessSchema = z.object({ status: z.literal('ok') });

export const readinessSchema = z.object({
  status: z.literal('ready'),
  redis: z.literal('ok'),
  lastWorkerSeenMs: z.number().describe('Milliseconds since the most recent worker heartbeat.'),
  workers: z.number().int().describe('Workers with a recent heartbeat.'),
  devices: z
    .object({
      cpu: z.number().int().describe('Workers seen recently that take CPU jobs.'),
      gpu: z.number().int().describe('Workers seen recently that take GPU jobs (a worker may take both).'),
    })
    .describe('Workers by the queues they consume (WORKER_DEVICES).'),
  adapters: z
    .array(
      z.object({
        adapter: z.string().describe('As Result.device.adapter reports it.'),
        software: z
          .boolean()
          .describe(
            'A software rasterizer (llvmpipe): `device: "auto"` does not use it (GPU_AUTO_SOFTWARE).',
          ),
        workers: z.number().int(),
      }),
    )
    .describe('The GPU adapters of the GPU workers seen recently, one entry per distinct adapter.'),
});
