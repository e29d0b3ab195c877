# One image per function, from one file:
#
#   docker build --build-arg FUNCTION=auth    -t ghcr.io/tenantry/auth .
#   docker build --build-arg FUNCTION=migrate -t ghcr.io/tenantry/migrate .
#
# FUNCTION is any folder `npm run build` writes under dist/: a function of
# platform/functions.ts, or `migrate` (the migration Job). test/dockerfile.test.ts checks
# the rules this file keeps (non-root numeric user, no npm at run time, only dist/ copied,
# pinned base image).

# Why Node's own slim image and not distroless for the runtime: each function's bundle
# ships with a V8 code cache (scripts/train-code-cache.ts), and V8 accepts a cache only
# from the very Node/V8 build that wrote it; a mismatch is not an error, just a silently
# slower cold start. Distroless nodejs24 images are tagged by Node major only, so which
# 24.x they hold changes under a fixed tag. Building and running on the same pinned
# image, one stage below both, makes the training Node and the serving Node one binary,
# and the build proves it (see "code cache accepted" below). The tag names the exact
# Node release; the digest is the tag's multi-arch index, kept fresh by Renovate
# (pinDigests), which also moves the `node` devDependency of package.json with it.
FROM node:24.21.0-trixie-slim@sha256:8ec5d7557396cfe32d21c3f9c13072355ceab22b584578ca4bb28af31120cffe AS node

# ---------------------------------------------------------------------------------------
FROM node AS build
# The build's training run starts an embedded PostgreSQL (@embedded-postgres), which
# refuses to run as root; the image's own unprivileged `node` account runs it as itself.
USER node
WORKDIR /home/node/src

# Dependencies first, so that a source change reuses the installed node_modules layer.
# patches/ is read by the postinstall (patch-package).
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node patches/ patches/
RUN --mount=type=cache,target=/home/node/.npm,uid=1000,gid=1000 \
    npm ci --no-audit --no-fund

# `npm run` puts node_modules/.bin first on PATH, so the build (and its training run) uses
# the `node` devDependency, not the image's /usr/local/bin/node. Both must be one release.
RUN set -eu; \
    ours="$(node_modules/.bin/node --version)"; image="$(/usr/local/bin/node --version)"; \
    if [ "$ours" != "$image" ]; then \
      echo "package.json pins node $ours but the base image runs $image: move them together" >&2; \
      exit 1; \
    fi

COPY --chown=node:node . .
RUN npm run build

# Declared only now, so every FUNCTION shares the layers above (one build, all bundles).
# Then the proof that the serving binary (the image's /usr/local/bin/node, which the
# runtime stage keeps) accepts the cache the build trained: started without an
# environment, the function stops at its environment check, after the loader has said
# whether V8 took the cache.
ARG FUNCTION
RUN set -eu; \
    if ! printf '%s' "${FUNCTION:-}" | grep -Eqx '[a-z][a-z0-9-]*' \
      || [ ! -f "dist/${FUNCTION:-}/index.mjs" ]; then \
      echo "set --build-arg FUNCTION=<name>, one of: $(ls dist | tr '\n' ' ')" >&2; \
      exit 1; \
    fi; \
    if [ "$FUNCTION" != migrate ]; then \
      report="$(env -i NODE_DEBUG=tenantry_code_cache /usr/local/bin/node "dist/${FUNCTION}/index.mjs" 2>&1 || true)"; \
      if ! printf '%s' "$report" | grep -q 'code cache accepted'; then \
        printf 'the runtime Node does not accept the code cache of %s:\n%s\n' "$FUNCTION" "$report" >&2; \
        exit 1; \
      fi; \
    fi

# ---------------------------------------------------------------------------------------
FROM node AS runtime
ARG FUNCTION
ARG REVISION=unknown

# Nothing installs or fetches packages at run time: drop npm, npx, corepack and yarn (and
# the headers only native add-on builds read), and the base image's entrypoint script.
# The uid 65532 gets an account of its own (as in distroless images), without a home or
# a shell, so that nothing that looks the user up fails.
RUN set -eu; \
    rm -rf /usr/local/lib/node_modules /usr/local/include/node /opt/yarn-v* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /usr/local/bin/docker-entrypoint.sh; \
    groupadd --gid 65532 nonroot; \
    useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin nonroot

# Only the chosen bundle: for a function its index.mjs, function.cjs and the trained
# cache; for migrate its index.mjs and migrations/. Owned by root and world-readable, so
# the process can read its code but never change it. Nothing is written at run time (the
# loader writes a cache only in the build's training run), so the container runs with a
# read-only root filesystem.
COPY --from=build /home/node/src/dist/${FUNCTION}/ /app/dist/${FUNCTION}/

# ENTRYPOINT's exec form cannot expand a build argument, but WORKDIR can: the bundle's
# own folder is the working directory, so the fixed entrypoint `node index.mjs` runs
# /app/dist/<FUNCTION>/index.mjs, node as PID 1 receiving Knative's SIGTERM itself.
WORKDIR /app/dist/${FUNCTION}
ENV NODE_ENV=production \
    PORT=8080 \
    TENANTRY_FUNCTION=${FUNCTION}
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "index.mjs"]
CMD []

LABEL org.opencontainers.image.title="tenantry-${FUNCTION}" \
      org.opencontainers.image.description="Tenantry ${FUNCTION}, run as node dist/${FUNCTION}/index.mjs" \
      org.opencontainers.image.source="https://github.com/tenantry/tenantry" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/node:24.21.0-trixie-slim" \
      io.tenantry.function="${FUNCTION}"
