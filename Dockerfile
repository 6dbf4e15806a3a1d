# Multi-stage build: compile TypeScript with dev dependencies, ship only the runtime ones, run as non-root.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# better-sqlite3 fetches its prebuilt binding from GitHub, or else compiles (which this slim base cannot).
# Offline builds point prebuild-install at a mirror instead (the test suite serves this machine's own build).
ARG npm_config_better_sqlite3_binary_host
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
COPY openapi.yaml ./
COPY scripts/build-server.js scripts/build-spec.js scripts/build-web.js ./scripts/
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
ARG npm_config_better_sqlite3_binary_host
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY openapi.yaml asyncapi.yaml* ./
RUN mkdir -p /data && chown node:node /data
# The image runs as the unprivileged `node` user. To reach the engine's socket, give that user the socket's
# group at run time (see README: `--group-add "$(stat -c %g /var/run/docker.sock)"`).
USER node
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
