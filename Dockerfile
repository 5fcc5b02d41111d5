# Build stage: compile TypeScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: only what the bot needs. Point DATABASE_URL at your PostgreSQL; without it the
# embedded PostgreSQL keeps its data in /app/data (mount a volume there).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY catalog ./catalog
COPY knowledge ./knowledge
VOLUME ["/app/data"]
EXPOSE 3000
# node directly (not npm/nest): it receives SIGTERM itself and shuts down in order.
CMD ["node", "dist/src/main.js"]
