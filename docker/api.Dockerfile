# syntax=docker/dockerfile:1
# descent API: `docker build -f docker/api.Dockerfile -t descent-api .` (context: the repository root).

# --- deps: production node_modules only (tsx is a runtime dependency: the sources run as TypeScript).
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- web: the dashboard's bundle (web/ → web/dist/<hash>), built with the full dependencies and
# copied into the runtime, whose API then finds it up to date instead of building at start.
FROM node:20-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build-dashboard.ts scripts/
COPY src/api/dashboard src/api/dashboard
COPY src/core src/core
COPY src/schemas src/schemas
COPY web web
RUN npm run build:web

# --- runtime
FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The sources as they are (see .dockerignore); node_modules comes from the deps stage, the
# dashboard's build from the web stage.
COPY . .
COPY --from=web /app/web/dist ./web/dist
# The image's own `node` user (uid 1000); the code stays root-owned and read-only to it.
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "src/api/server.ts"]
