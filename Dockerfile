# vertex-openai-proxy as a container image.
#
#   docker build -t vertex-openai-proxy .
#   export PROXY_API_KEY="$(openssl rand -hex 24)"   # clients send it as their API key
#   docker run --rm -p 127.0.0.1:8765:8765 --user "$(id -u):$(id -g)" \
#     --read-only --cap-drop ALL --security-opt no-new-privileges \
#     -e GOOGLE_CLOUD_PROJECT=my-project -e PROXY_API_KEY \
#     -v "$HOME/.config/gcloud:/home/node/.config/gcloud:ro" vertex-openai-proxy
#   (--user: gcloud keeps the ADC file readable by you only.)
#
# Behind a TLS-inspecting proxy, npm in the build stages must trust its CA:
# hand the CA file (PEM) to the build as the secret `extra_ca`. The build
# stages read it for `npm ci` only; no layer and not the image keep it.
#
#   docker build --secret id=extra_ca,src=/path/to/proxy-ca.pem -t vertex-openai-proxy .
#
# Three stages: `build` compiles TypeScript with the dev dependencies,
# `production-dependencies` installs the runtime ones, and the image copies
# node_modules/, dist/ and config/ from them: it runs no npm and reaches no
# registry. Where no registry is reachable at all, scripts/build-base-image.sh
# builds the node:24-slim base image locally from Debian and npm packages.

FROM node:24-slim AS build
# Quiet npm in the build log; a stage's settings do not reach the image.
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency's install script runs, and our own
# `prepare` (the build) waits for the sources copied below.
RUN --mount=type=secret,id=extra_ca \
    if [ -f /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi \
 && npm ci --ignore-scripts
# .dockerignore lets only the sources, config/ and the tsconfigs through.
COPY . .
# config/ is optional in the checkout; the image copies it either way.
RUN mkdir -p config && npm run build

FROM node:24-slim AS production-dependencies
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=extra_ca \
    if [ -f /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi \
 && npm ci --omit=dev --ignore-scripts

FROM node:24-slim
WORKDIR /app
COPY package.json ./
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config

# A smaller young generation: V8 otherwise lets it grow to ~130 MB under a
# burst of streams (bench: 1000-stream peak RSS 265 MB -> 167 MB, same throughput).
# At most two malloc arenas: memory V8's helper threads (GC, compilers) free is
# then reused by the main thread instead of held in arenas of their own
# (malloc's share of that peak: 41 MB instead of 47, the whole peak about 10 MB
# lower, same throughput). bench/image-settings.ts measures with these and CMD's flag.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=8 \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=8765 \
    HOME=/home/node \
    CLOUDSDK_CONFIG=/home/node/.config/gcloud
# The official image's `node` user, by number so that Kubernetes'
# runAsNonRoot can verify it. The app files stay root-owned: read-only to it.
USER 1000:1000
EXPOSE 8765
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "dist/cli.js", "healthcheck"]
# No entry point script and no shell: node is PID 1 and receives SIGTERM
# itself, then finishes in-flight requests (PROXY_SHUTDOWN_GRACE_SECONDS).
# V8 compiles hot functions on the main thread: compilations finished on helper
# threads would wait, holding their memory (35 MB at a burst's peak), for a busy
# main thread to take them (1000-stream peak 10-25 MB lower, same steady
# throughput). Node refuses this flag in NODE_OPTIONS, hence here.
ENTRYPOINT []
CMD ["node", "--no-concurrent-recompilation", "dist/cli.js"]
