import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, falling back to EVAL (which also caches it) when the server
 * does not know it yet: one round trip in the common case, correct after a Redis restart.
 */
export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * EVAL with the source every time (Redis caches it by its SHA): never NOSCRIPT, so the call is
   * one command, executed in its place among the connection's commands. For a caller that must
   * not have a retry reordered behind commands it sent later.
   */
  async runInOrder(redis: Redis, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
    return redis.eval(this.source, keys.length, ...keys, ...args);
  }

  async run(redis: Redis, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
