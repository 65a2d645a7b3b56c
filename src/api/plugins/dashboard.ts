import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type DashboardBuild, dashboardSourcesPresent, ensureDashboardBuild } from '../dashboard/build.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The dashboard's build (GET / serves its index.html); null when web/ is absent. */
    dashboard: DashboardBuild | null;
  }
}

/** A year: the longest max-age caches honour. */
const IMMUTABLE_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

/**
 * The dashboard (web/): built at registration when missing or stale (src/api/dashboard/build.ts),
 * its content-hashed assets served under /assets/ as immutable for a year. GET / (routes/root.ts)
 * serves index.html with `no-cache`, so a new build is picked up at the next load.
 */
async function dashboardPlugin(app: FastifyInstance) {
  if (!(await dashboardSourcesPresent())) {
    app.log.warn('web/src is missing: GET / serves no dashboard');
    app.decorate('dashboard', null);
    return;
  }
  const started = performance.now();
  const build = await ensureDashboardBuild();
  if (build.built) {
    const { script } = build.manifest;
    app.log.info({ dir: build.dir, script, ms: Math.round(performance.now() - started) }, 'dashboard built');
  }
  app.decorate('dashboard', build);
  await app.register(fastifyStatic, {
    root: path.join(build.dir, 'assets'),
    prefix: '/assets/',
    // @fastify/swagger-ui registers its own instance; this one decorates nothing.
    decorateReply: false,
    index: false,
    list: false,
    cacheControl: true,
    maxAge: IMMUTABLE_MAX_AGE_MS,
    immutable: true,
    // Hashed names never change content: no ETag or Last-Modified revalidation needed.
    etag: false,
    lastModified: false,
    schemaHide: true,
  });
}

export default fp(dashboardPlugin, { name: 'dashboard' });
