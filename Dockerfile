# syntax=docker/dockerfile:1

# Build stage: compile TypeScript with tsconfig.build.json (src/sandbox is not part of it, and
# .dockerignore keeps it out of the build context altogether).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
RUN npm run build

# Production dependencies only, installed clean from the lockfile.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Runtime: the compiled app, its production dependencies, the catalog and the knowledge base; run as
# the unprivileged `node` user. Point DATABASE_URL at your PostgreSQL (docker-compose.yml does); without
# it the embedded PostgreSQL keeps its data in /app/data (mount a volume there).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY catalog ./catalog
COPY knowledge ./knowledge
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
# Liveness: /health answers 200 whenever the process serves (no curl in the slim image: Node's fetch).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly (not npm/nest): it receives SIGTERM itself and is done within Docker's 10 s
# (running jobs get 6 s, then go back to the queue for the next start).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
