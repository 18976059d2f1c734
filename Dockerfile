# One image for every Node process of the system: gateway, worker, accounts,
# ledger and read model. The command picks the compiled entry module, e.g.
#   docker run IMAGE dist/services/ledger/main.js
# (docker-compose.yml sets it per service). Built from the checkout root:
#   docker build -t credit-ledger .
#
# Node: the current LTS line (24, "Krypton"; the native stack runs the
# machine's Node, and the project supports 20.3 and later). Debian bookworm, as
# the native stack's packages (PostgreSQL 15, Prometheus) are Debian 12's.

# ---- build: the dev dependencies (TypeScript) compile the sources to dist/
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY deploy/build deploy/build
COPY deploy/trace-sink deploy/trace-sink
COPY deploy/service-tokens deploy/service-tokens
COPY api api
COPY activities activities
COPY workflows workflows
COPY workers workers
COPY services services
COPY lib lib
# The same build as the native stack's: tsc -p tsconfig.build.json, SQL migrations copied beside their modules.
RUN deploy/build

# ---- runtime: production dependencies and the compiled JavaScript only
FROM node:24.22.3-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
# Every process reads its defaults here (lib/config.ts finds deploy/ beside package.json); compose overrides hosts.
COPY deploy/defaults.env deploy/defaults.env
# Where docker-compose.yml mounts the service credentials' volume: owned by the user below, so the
# service-tokens job may write into the volume (a new volume takes this directory's owner and mode).
RUN install -d -o 1000 -g 1000 -m 0700 /run/service-tokens
# The official image's unprivileged user `node`, by number (a runtime can then check it is not root);
# the processes write nothing under /app.
USER 1000:1000
# Default ports (deploy/defaults.env): gateway, accounts, ledger, read model, worker metrics (app, Temporal SDK).
EXPOSE 4000 7101 7102 7104 9464 9465
ENTRYPOINT ["node", "--enable-source-maps"]
CMD ["dist/api/main.js"]
