# syntax=docker/dockerfile:1
#
# vecgate gateway image. Two stages: a builder with the toolchain for the native modules
# (better-sqlite3, usearch), and a slim runtime holding only production node_modules and dist.
#
#   docker build -t vecgate .
#   docker run -p 8080:8080 -e JWT_SECRET=... -v vecgate-data:/var/lib/vecgate vecgate

ARG NODE_IMAGE=node:22-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS builder

# python3, make and g++ let node-gyp compile better-sqlite3 and usearch when no prebuilt
# binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV SCARF_ANALYTICS=false \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npx nest build \
 && npm prune --omit=dev \
 && node -e "const db = new (require('better-sqlite3'))(':memory:'); \
if (db.prepare('SELECT 40 + 2 AS n').get().n !== 42) process.exit(1); db.close(); \
const { exactSearch, MetricKind } = require('usearch'); \
const r = exactSearch(new Float32Array([1, 0, 0, 1]), new Float32Array([0, 1]), 2, 1, MetricKind.IP, 1); \
if (Number(r.keys[0]) !== 1) process.exit(1);" \
 && main="$(node -p "require('./package.json').main")" \
 && test -f "$main" \
 && test -f "$(dirname "$main")/cli.js"

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/var/lib/vecgate

# A dedicated non-root user. The gateway creates DATA_DIR when it is missing, but a new named
# volume mounted there takes the owner and mode of the directory in the image: made here and
# given to that user, the volume is writable by it. (A bind mount keeps its host owner: give it
# to uid 10001, or the gateway refuses to start naming DATA_DIR, its owner and mode.)
RUN groupadd --system --gid 10001 vecgate \
 && useradd --system --uid 10001 --gid vecgate --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin vecgate \
 && mkdir -p /var/lib/vecgate \
 && chown vecgate:vecgate /var/lib/vecgate \
 && chmod 0700 /var/lib/vecgate

WORKDIR /app
# Code stays owned by root and read-only for the service user.
COPY --from=builder /app/package.json ./package.json
COPY --from=builder /app/node_modules ./node_modules
COPY --from=builder /app/dist ./dist
# The entry point is the `main` field of package.json; the operator command sits beside it.
RUN printf '#!/bin/sh\nexec node /app/%s/cli.js "$@"\n' \
      "$(dirname "$(node -p "require('/app/package.json').main")")" > /usr/local/bin/vecgate \
 && chmod 0755 /usr/local/bin/vecgate

USER vecgate:vecgate
VOLUME ["/var/lib/vecgate"]
EXPOSE 8080
# The Qdrant API, when QDRANT_API_PORT=6333 (the compose file sets it).
EXPOSE 6333

# No curl in the slim image: node asks the readiness endpoint on the local port. Readiness
# answers within READINESS_TIMEOUT_MS (2 s, at most 4 s) whatever a dependency does, inside
# this request's 4 s and the check's 5 s.
# The first platform token: `docker exec <container> vecgate token mint --subject ops --roles
# platform_admin` (recorded, revocable with `vecgate token revoke <jti>`, audited).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('node:http').get({ host: '127.0.0.1', port: process.env.PORT || 8080, path: '/health/ready', timeout: 4000 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('timeout', function () { this.destroy(); }).on('error', () => process.exit(1))"]

CMD ["node", "."]
