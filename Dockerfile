# syntax=docker/dockerfile:1
#
# One image recipe for every service of the monorepo.
#
#   docker build --build-arg APP=widget-api   --build-arg PORT=3001 -t chatbot/widget-api .
#   docker build --build-arg APP=business-api --build-arg PORT=3002 -t chatbot/business-api .
#   docker build --build-arg APP=agents-api   --build-arg PORT=3003 -t chatbot/agents-api .
#   docker build --build-arg APP=worker       --build-arg PORT=3004 -t chatbot/worker .
#   docker build --build-arg APP=all -t chatbot/platform .
#
# APP=<app> prunes the workspace to that app and the libs it depends on (`turbo prune`), so its image carries
# nothing else. APP=all keeps every app: its default command is the migrations (`node scripts/migrate.js`, which
# loads the migrations of every app and library, see scripts/migration-sets.js, so run it from this image), and it
# can also start any one app when run with `-e APP=<app>`. scripts/ is copied into every image.
# PORT only documents the port (EXPOSE); the app reads its own <APP>_PORT variable.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS base
ENV TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1 \
    SCARF_ANALYTICS=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /repo

# ---------------------------------------------------------------------------------------------------------------------
# 1. prune: the sub-workspace of APP (package.json files + pruned lockfile in out/json, sources in out/full).
FROM base AS prune
ARG TURBO_VERSION=2.11.9
RUN npm install --global "turbo@${TURBO_VERSION}"
ARG APP=widget-api
COPY . .
RUN set -eu; \
    if [ "$APP" = "all" ]; then \
      targets="@chatbot/widget-api @chatbot/business-api @chatbot/agents-api @chatbot/worker"; \
    else \
      targets="@chatbot/${APP}"; \
    fi; \
    turbo prune $targets --docker --out-dir /out

# ---------------------------------------------------------------------------------------------------------------------
# 2. deps: every dependency (dev included: swc, turbo) of the pruned workspace. Only re-runs when a package.json or
#    the lockfile changes.
FROM base AS deps
COPY --from=prune /out/json/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --ignore-scripts

# ---------------------------------------------------------------------------------------------------------------------
# 3. build: swc every workspace APP needs, then gather just the dist folders in /dist.
FROM deps AS build
ARG APP=widget-api
COPY --from=prune /out/full/ ./
COPY .swcrc ./
RUN set -eu; \
    if [ "$APP" = "all" ]; then \
      npx turbo run build --output-logs=errors-only; \
    else \
      npx turbo run build --output-logs=errors-only --filter="@chatbot/${APP}..."; \
    fi; \
    mkdir -p /dist; \
    for dir in apps/* libs/*; do \
      if [ -d "$dir/dist" ]; then mkdir -p "/dist/$dir" && cp -R "$dir/dist" "/dist/$dir/"; fi; \
    done; \
    test -f "/dist/apps/${APP}/dist/main.js" || [ "$APP" = "all" ]

# ---------------------------------------------------------------------------------------------------------------------
# 4. prod-deps: production dependencies only, plus the workspace links (node_modules/@chatbot/* -> libs/*, apps/*).
FROM base AS prod-deps
COPY --from=prune /out/json/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --ignore-scripts

# ---------------------------------------------------------------------------------------------------------------------
# 5. runtime
FROM ${NODE_IMAGE} AS runtime
ARG APP=widget-api
ARG PORT=3001
LABEL org.opencontainers.image.title="chatbot-${APP}" \
      org.opencontainers.image.description="Chatbot platform: ${APP}"
# npm and corepack are not needed at run time: drop them (smaller image, fewer CVEs to patch).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
ENV NODE_ENV=production \
    APP=${APP} \
    HOST=0.0.0.0
WORKDIR /app
# Everything stays owned by root and read-only for the `node` user, so the container also runs with a read-only
# root filesystem (only /tmp needs to be writable).
COPY --from=prod-deps /repo/ ./
COPY --from=build /dist/ ./
COPY scripts/ ./scripts/
USER node
EXPOSE ${PORT}
STOPSIGNAL SIGTERM
# `exec` makes node PID 1's direct replacement, so SIGTERM reaches the app and starts its graceful shutdown.
CMD ["/bin/sh", "-c", "if [ \"$APP\" = all ]; then exec node scripts/migrate.js; else exec node \"apps/$APP/dist/main.js\"; fi"]
