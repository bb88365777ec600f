# Images for the platform's own services, used by compose.yaml.
# The API and tools run on Bun; stream services run on Node 24 (the Kafka client is a Node addon).

FROM oven/bun:1.4.5 AS deps
WORKDIR /app
COPY package.json bun.lock ./
# Lifecycle scripts run in the stage that has the right runtime (see streams).
RUN bun install --frozen-lockfile --ignore-scripts --production

FROM oven/bun:1.4.5 AS api
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY shared ./shared
COPY api ./api
ENV PORT=3000
EXPOSE 3000
USER bun
CMD ["bun", "api/main.ts"]

FROM oven/bun:1.4.5 AS simulator
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY simulator ./simulator
ENV PORT=12111
EXPOSE 12111
USER bun
CMD ["bun", "simulator/main.ts"]

FROM node:24-bookworm-slim AS streams
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
      zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
COPY --from=deps /app/node_modules ./node_modules
# The Kafka client's install step under this image's Node: prebuilt binary when
# downloadable, otherwise a source build linked against the libraries above.
RUN cd node_modules/@confluentinc/kafka-javascript \
    && CKJS_LINKING=dynamic npx --yes node-pre-gyp install --fallback-to-build
COPY package.json tsconfig.json ./
COPY shared ./shared
COPY streams ./streams
USER node
CMD ["node", "streams/payment-worker/main.ts"]
