# syntax=docker/dockerfile:1
# descent worker for GPU hosts: `docker build -f docker/worker-gpu.Dockerfile -t descent-worker-gpu .`
# Same code as docker/worker.Dockerfile for now, on a CUDA runtime base so that GPU kernels can be
# added without changing the deployment. Run with the NVIDIA container toolkit
# (`docker run --gpus all …`, or `docker compose --profile gpu up`).

ARG CUDA_IMAGE=nvidia/cuda:12.4.1-runtime-ubuntu22.04

# --- node: the official Node.js 20 build (the node:20 images are built from the official tarballs;
# their glibc 2.28 baseline runs on Ubuntu 22.04's glibc 2.35).
FROM node:20-slim AS node

# --- deps: production node_modules only.
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM ${CUDA_IMAGE} AS runtime
COPY --from=node /usr/local/bin/node /usr/local/bin/node
# A user of its own at uid 10001: CUDA bases differ in which low uids they already have (the
# Ubuntu 24.04 ones ship `ubuntu` at 1000), so a fixed 1000 would clash when CUDA_IMAGE changes.
RUN groupadd --gid 10001 descent \
  && useradd --uid 10001 --gid descent --shell /usr/sbin/nologin --create-home descent \
  && node --version
ENV NODE_ENV=production \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The sources as they are (see .dockerignore); node_modules comes from the deps stage.
COPY . .
USER descent
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "--import", "tsx", "docker/worker-healthcheck.ts"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "workers/worker.ts"]
