# syntax=docker/dockerfile:1.7
#
# ddinit images. One Dockerfile, one build, four targets (docs/DEPLOY.md has the details):
#
#   build       npm ci with dev dependencies, npm run build (tsc -b), then prune to production deps
#   api         the HTTP API                  docker build --target api        -t ddinit-api .
#   worker      CPU worker, wasm backend      docker build --target worker     -t ddinit-worker .
#   worker-gpu  GPU worker, tfjs-node-gpu     docker build --target worker-gpu -t ddinit-worker-gpu .
#
# Base images are pinned by tag. For reproducible production builds pin them by digest as well, e.g.
#   --build-arg NODE_IMAGE=node:22-bookworm-slim@sha256:<digest>
#   --build-arg CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04@sha256:<digest>
# (`docker buildx imagetools inspect <image>` prints the digest). NVIDIA deletes the tags of CUDA
# releases some months after they lose support, so also keep a copy of the CUDA image in a registry you
# control and point CUDA_IMAGE at it.

ARG NODE_IMAGE=node:22-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS node-base
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# ---------------------------------------------------------------------------------------------------
# Only the package manifests, so the `npm ci` layer below is rebuilt when dependencies change and not
# on every source edit (COPY of a glob would flatten the workspace folders).
FROM node-base AS manifests
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/ packages/
COPY services/ services/
RUN mkdir /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find packages services -mindepth 2 -maxdepth 2 -name package.json -exec cp --parents {} /manifests/ \;

# ---------------------------------------------------------------------------------------------------
FROM node-base AS build
WORKDIR /app
COPY --from=manifests /manifests/ ./
# The same install as CI (.ci/run), with dev dependencies for tsc. --ignore-scripts: no dependency
# needs an install script to build or to run on CPU, and the two that matter would download
# libtensorflow (CPU and GPU, ~500 MB) from storage.googleapis.com here; the worker-gpu stage runs the
# one it needs on purpose, and the CPU images drop both packages.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --ignore-scripts
COPY tsconfig.json tsconfig.base.json ./
COPY packages/ packages/
COPY services/ services/
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts

# ---------------------------------------------------------------------------------------------------
# Production tree of the CPU images: without the native TensorFlow packages, whose addons were never
# installed (the wasm backend computes on the CPU instead; DDINIT_BACKEND=auto would skip them anyway).
FROM build AS prod-cpu
RUN rm -rf node_modules/@tensorflow/tfjs-node node_modules/@tensorflow/tfjs-node-gpu

FROM node-base AS runtime-cpu
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the service user; the services write only to /tmp.
COPY --from=prod-cpu /app/package.json ./
COPY --from=prod-cpu /app/node_modules/ node_modules/
COPY --from=prod-cpu /app/packages/ packages/
COPY --from=prod-cpu /app/services/ services/

# ---------------------------------------------------------------------------------------------------
FROM runtime-cpu AS api
ENV PORT=8080 \
    HOST=0.0.0.0
EXPOSE 8080
# Numeric, so Kubernetes' runAsNonRoot can verify it (uid 1000 is the image's `node` user).
USER 1000:1000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "services/api/dist/main.js"]

# ---------------------------------------------------------------------------------------------------
FROM runtime-cpu AS worker
# wasm: the threaded SIMD build on all cores (at most 8), no native libraries needed.
ENV DDINIT_BACKEND=wasm \
    WORKER_HEALTH_PORT=8081
EXPOSE 8081
USER 1000:1000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.WORKER_HEALTH_PORT||8081)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "services/worker/dist/run.js"]

# ---------------------------------------------------------------------------------------------------
# Vendored TensorFlow binaries for offline builds. By default this stage holds only a README (no
# tarballs, so the install script downloads them); `--build-context tfjs-vendor=./vendor/tfjs`
# replaces it with a folder laid out as infra/docker/tfjs-vendor/README.md describes.
FROM scratch AS tfjs-vendor
COPY infra/docker/tfjs-vendor/README.md /README.md

# ---------------------------------------------------------------------------------------------------
# @tensorflow/tfjs-node-gpu 4.22.0 with its install script: libtensorflow 2.9.1 (GPU build, for CUDA
# 11.2+ and cuDNN 8.1+) plus the prebuilt N-API addon. Runs on the node image; the CUDA libraries are
# needed only at run time.
FROM build AS gpu-deps
# Internal mirrors of storage.googleapis.com (both optional; each must end with "/"):
#   TFJS_NODE_CDN_STORAGE     serves tensorflow/libtensorflow/libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz
#   TFJS_BINDING_HOST_MIRROR  serves napi-v8/4.22.0/GPU-linux-4.22.0.tar.gz
ARG TFJS_NODE_CDN_STORAGE=""
ARG TFJS_BINDING_HOST_MIRROR=""
# The CPU package registers the same `tensorflow` backend; only the GPU one may be present.
RUN rm -rf node_modules/@tensorflow/tfjs-node
# Approve this one install script explicitly: npm 11 runs dependency install scripts only when the
# root package.json's allowScripts lists them (older npm ignores the field and runs it anyway).
RUN node -e "const fs=require('fs');const p=JSON.parse(fs.readFileSync('package.json','utf8'));p.allowScripts={...p.allowScripts,'@tensorflow/tfjs-node-gpu':true};fs.writeFileSync('package.json',JSON.stringify(p,null,2)+'\n')"
# With vendored tarballs, serve them on 127.0.0.1 for the duration of this step. Afterwards check that
# both parts arrived: npm may only warn when the script of an optional dependency fails.
RUN --mount=type=bind,from=tfjs-vendor,target=/vendor \
    set -eu; \
    if [ -f /vendor/tensorflow/libtensorflow/libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz ]; then \
      echo "using the vendored TensorFlow binaries of the tfjs-vendor build context"; \
      node -e "const fs=require('fs'),path=require('path');require('http').createServer((q,s)=>{const f=path.join('/vendor',decodeURIComponent(new URL(q.url,'http://x').pathname));fs.createReadStream(f).on('error',()=>{s.statusCode=404;s.end()}).pipe(s)}).listen(8000,'127.0.0.1')" & \
      server=$!; \
      trap 'kill "$server"' EXIT; \
      sleep 1; \
      TFJS_NODE_CDN_STORAGE=http://127.0.0.1:8000/; \
      TFJS_BINDING_HOST_MIRROR=http://127.0.0.1:8000/tf-builds/pre-built-binary/; \
    fi; \
    if [ -n "$TFJS_NODE_CDN_STORAGE" ]; then export TFJS_NODE_CDN_STORAGE; fi; \
    if [ -n "$TFJS_BINDING_HOST_MIRROR" ]; then export npm_config_tfjs_binding_binary_host_mirror="$TFJS_BINDING_HOST_MIRROR"; fi; \
    npm rebuild @tensorflow/tfjs-node-gpu --foreground-scripts; \
    ls -l node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v*/tfjs_binding.node \
          node_modules/@tensorflow/tfjs-node-gpu/deps/lib/libtensorflow.so*

# ---------------------------------------------------------------------------------------------------
# CUDA 11.8 + cuDNN 8 runtime. libtensorflow 2.9.1 was built for CUDA 11.2 / cuDNN 8.1 and loads
# libcudart.so.11.0, the CUDA 11 cuBLAS/cuFFT/cuRAND/cuSOLVER/cuSPARSE and libcudnn.so.8, which 11.8
# provides under the same sonames (CUDA 11 minor-version compatibility). The 11.2 images are deleted;
# 11.8 is the last CUDA 11 release and its cuBLAS/cuDNN know Hopper, whereas TensorFlow's own kernels
# reach Hopper only through the driver's JIT of their PTX.
FROM ${CUDA_IMAGE} AS worker-gpu
# Node 22 from the official image (glibc 2.28 baseline; Ubuntu 22.04 has 2.35). npm is not needed here.
COPY --from=node-base /usr/local/bin/node /usr/local/bin/node
RUN groupadd --gid 1000 ddinit \
 && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ddinit \
 && mkdir -p /var/cache/ddinit/cuda \
 && chown 1000:1000 /var/cache/ddinit/cuda
ENV NODE_ENV=production \
    DDINIT_BACKEND=tensorflow-gpu \
    TF_FORCE_GPU_ALLOW_GROWTH=true \
    CUDA_CACHE_PATH=/var/cache/ddinit/cuda \
    CUDA_CACHE_MAXSIZE=4294967296 \
    WORKER_HEALTH_PORT=8081
WORKDIR /app
COPY --from=gpu-deps /app/package.json ./
COPY --from=gpu-deps /app/node_modules/ node_modules/
COPY --from=gpu-deps /app/packages/ packages/
COPY --from=gpu-deps /app/services/ services/
COPY --chmod=0755 infra/docker/worker-gpu-entrypoint.sh /usr/local/bin/ddinit-worker-gpu
EXPOSE 8081
USER 1000:1000
# start-period: the GPU preflight runs first, and on GPUs newer than the machine code in libtensorflow
# 2.9 (Hopper) the first start JIT-compiles PTX, which TensorFlow warns can take 30 minutes; the result
# is kept under CUDA_CACHE_PATH (mount a volume there to keep it across containers).
HEALTHCHECK --interval=15s --timeout=3s --start-period=1800s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.WORKER_HEALTH_PORT||8081)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Checks that TensorFlow computes on a GPU (exit 1 with a clear message if not), then runs
# `node services/worker/dist/run.js`.
ENTRYPOINT ["/usr/local/bin/ddinit-worker-gpu"]
