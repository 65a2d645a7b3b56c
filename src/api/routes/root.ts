import type { FastifyInstance } from 'fastify';

/** Served when the image has no web/ sources: where to go instead. */
const NO_DASHBOARD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>descent</title></head>
<body><h1>descent</h1><p>This server has no dashboard build. See <a href="/docs">the API docs</a>.</p></body>
</html>
`;

/**
 * GET /: the dashboard's index.html (plugins/dashboard.ts), `no-cache` so that a new build's
 * asset names are seen at the next load. Query strings (`/?job=<id>`, `/?comparison=<id>`) are
 * the page's own state and reach the same document.
 */
export default async function rootRoutes(app: FastifyInstance) {
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(app.dashboard?.indexHtml ?? NO_DASHBOARD),
  );
}
