# syntax=docker/dockerfile:1
# descent worker: `docker build -f docker/worker.Dockerfile -t descent-worker .` (context: the repository root).
# Scale with `docker compose up --scale worker=N`; each container runs WORKER_CONCURRENCY jobs at once
# (default: its CPU count).

# --- deps: production node_modules only (tsx is a runtime dependency: the sources run as TypeScript).
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The sources as they are (see .dockerignore); node_modules comes from the deps stage.
COPY . .
USER node
# Healthy while this container's worker has a fresh heartbeat in Redis (see docker/worker-healthcheck.ts).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "--import", "tsx", "docker/worker-healthcheck.ts"]
# SIGTERM (docker stop) makes the worker checkpoint its running jobs and hand them back; give it
# time with `stop_grace_period` (compose) or `docker stop -t`.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "workers/worker.ts"]
