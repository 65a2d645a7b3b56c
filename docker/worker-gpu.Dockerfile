# syntax=docker/dockerfile:1
# descent worker for NVIDIA GPU hosts: `docker build -f docker/worker-gpu.Dockerfile -t descent-worker-gpu .`
# It takes the GPU queue (`device: "gpu"` jobs, and `auto` ones large enough: GPU_AUTO_MIN_DIM) and
# the CPU queue (WORKER_DEVICES=cpu,gpu), and stops at start, saying what is missing, when it finds no
# GPU. Run it with the NVIDIA container toolkit and the graphics capability:
#   docker run --gpus 'all,"capabilities=compute,utility,graphics"' -e REDIS_URL=… descent-worker-gpu
# or `docker compose --profile gpu up` (the `worker-gpu` service).
#
# GPU runs use WebGPU through Dawn (the `webgpu` package ships its binary), which drives the GPU with
# Vulkan: the image carries the Vulkan loader (libvulkan1) and what NVIDIA's Vulkan driver links against
# (libglvnd's dispatch library, the X11 client libraries); the toolkit mounts the driver and its ICD file
# (nvidia_icd.json, under /etc/vulkan/icd.d, which the loader searches) only when
# NVIDIA_DRIVER_CAPABILITIES includes `graphics`. No CUDA runtime is needed. The worker's log line
# "worker started" names the adapter Dawn found.

# --- deps: production node_modules only (tsx is a runtime dependency: the sources run as TypeScript).
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM node:20-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends libvulkan1 libglvnd0 libegl1 libx11-6 libxext6 \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
    WORKER_DEVICES=cpu,gpu
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The sources as they are (see .dockerignore); node_modules comes from the deps stage.
COPY . .
USER node
# Healthy while this container's worker has a fresh heartbeat in Redis (see docker/worker-healthcheck.ts).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "--import", "tsx", "docker/worker-healthcheck.ts"]
# SIGTERM (docker stop) makes the worker checkpoint its running jobs, GPU ones included, and hand
# them back; give it time with `stop_grace_period` (compose) or `docker stop -t`.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "workers/worker.ts"]
