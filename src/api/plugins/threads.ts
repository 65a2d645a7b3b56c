import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createEvaluatePool, type EvaluatePool } from '../evaluate/pool.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's compute threads: heavy evaluations and large data set uploads (src/api/evaluate/pool.ts). */
    threads: EvaluatePool;
  }
}

/** One pool of compute threads for the routes that need one; its threads start on first use. */
async function threadsPlugin(app: FastifyInstance) {
  const pool = createEvaluatePool();
  app.decorate('threads', pool);
  app.addHook('onClose', async () => pool.close());
}

export default fp(threadsPlugin, { name: 'threads' });
