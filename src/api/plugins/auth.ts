import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem, problem } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's tenant: the owner of its API key, or `default` when the API runs open. */
    tenant: string;
  }
}

/**
 * The OpenAPI security of /v1 routes: a bearer key, or none when the server runs open (the
 * document is the same whatever the deployment).
 */
export const BEARER_OPTIONAL: Record<string, string[]>[] = [{ bearerAuth: [] }, {}];

/** The tenant of an API running without API_KEYS. */
export const OPEN_TENANT = 'default';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Resolves a bearer key to its tenant. Keys are compared by SHA-256 digest in constant time, so
 * response timing says nothing about how much of a guessed key was right.
 */
export function createKeyResolver(
  apiKeys: Map<string, string> | null,
): (authorization: string | undefined) => string | null {
  if (apiKeys === null) return () => OPEN_TENANT;
  const entries = [...apiKeys].map(([key, tenant]) => ({ digest: digest(key), tenant }));
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (match === null) return null;
    const given = digest(match[1]);
    let tenant: string | null = null;
    for (const entry of entries) if (timingSafeEqual(entry.digest, given)) tenant = entry.tenant;
    return tenant;
  };
}

/**
 * API_KEYS → tenants. With keys configured, every /v1 call needs `Authorization: Bearer <key>`
 * (401 problem+json otherwise); the routes scope every lookup to `request.tenant`, so another
 * tenant's job is a 404. Without keys the API is open: everyone is tenant `default`, and a
 * warning says so at start.
 */
async function authPlugin(app: FastifyInstance) {
  const resolve = createKeyResolver(app.config.apiKeys);
  app.decorateRequest('tenant', OPEN_TENANT);
  if (app.config.apiKeys === null) {
    app.log.warn(
      'API_KEYS is not set: the API is open to anyone who can reach it (every caller is one tenant)',
    );
  }

  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/v1/')) return;
    const tenant = resolve(request.headers.authorization);
    if (tenant === null) {
      const detail =
        request.headers.authorization === undefined
          ? 'this API needs an Authorization: Bearer <key> header'
          : 'the bearer key is not valid';
      throw new HttpProblem(problem(401, 'unauthorized', 'Unauthorized', detail), {
        'www-authenticate': 'Bearer realm="descent"',
      });
    }
    request.tenant = tenant;
  });
}

export default fp(authPlugin, { name: 'auth', dependencies: ['config'] });
