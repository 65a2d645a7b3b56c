import type { FastifyInstance } from 'fastify';

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>descent</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style></head>
<body>
<h1>descent</h1>
<p>Optimization as a service: submit an objective and an optimizer, watch the run live.</p>
<ul>
<li><a href="/docs">Interactive API docs</a></li>
<li><a href="/openapi.json">OpenAPI 3.1 document</a></li>
<li><a href="/v1/catalog/objectives">Objectives</a> and <a href="/v1/catalog/optimizers">optimizers</a></li>
</ul>
</body>
</html>
`;

/** GET /: a placeholder until the dashboard (web/) is served here. */
export default async function rootRoutes(app: FastifyInstance) {
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(PAGE),
  );
}
