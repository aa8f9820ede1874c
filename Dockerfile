# One image for the five services; docker-compose.yml picks the service with its command.
# Services run from TypeScript source through tsx (no build step), exactly as `pnpm start` does natively.
FROM node:22-slim

ENV CI=true
# npm rather than corepack: the version is pinned either way and npm needs no signature keys at build time.
RUN npm install -g pnpm@10.34.8

WORKDIR /app
COPY . .
# Dev dependencies are kept on purpose: tsx runs the sources.
RUN pnpm install --frozen-lockfile

USER node
CMD ["pnpm", "--filter", "@baton/capture", "start"]
