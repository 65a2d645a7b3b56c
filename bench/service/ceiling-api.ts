import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { QUEUE_JOB_OPTIONS } from '../../src/queue/job-queue.ts';
import { redisOptionsFromUrl } from '../../src/redis/connection.ts';

/**
 * The ceiling bench's API (bench/service/throughput.ts, figure (a′)): the least an HTTP front to BullMQ can
 * do. A bare Fastify app (no logger, no hooks, no validation) whose POST /jobs only adds a job
 * `{ jobId }` with the service's job options and answers 202 `{ id, status }`. No record, no
 * normalised spec, no index: what is left is the HTTP hop and the process split.
 * Env: REDIS_URL, PORT, QUEUE, PREFIX.
 */

const env = process.env as Record<string, string>;
const connection = new Redis({ ...redisOptionsFromUrl(env.REDIS_URL), maxRetriesPerRequest: 1 });
const queue = new Queue(env.QUEUE, { connection, prefix: env.PREFIX });
const app = Fastify({ logger: false });

app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/jobs', async (_request, reply) => {
  const id = randomBytes(16).toString('base64url');
  await queue.add('run', { jobId: id }, { ...QUEUE_JOB_OPTIONS, jobId: id });
  reply.code(202);
  return { id, status: 'queued' };
});

await app.listen({ host: '127.0.0.1', port: Number(env.PORT) });
