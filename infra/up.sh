#!/usr/bin/env bash
# Starts Kafka, Postgres and Redis: in Docker when an engine answers, else natively (infra/native/up.sh).
# Either way they end up on the same host ports: Kafka 127.0.0.1:9092, Postgres 5432, Redis 6379.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if command -v docker >/dev/null && timeout 15 docker info >/dev/null 2>&1; then
  echo "[infra] Docker engine found: docker compose up kafka postgres redis"
  # --wait blocks until every healthcheck passes (or fails, then compose exits non-zero).
  docker compose up -d --wait --wait-timeout 180 kafka postgres redis ||
    { echo "[infra] ERROR: docker compose could not start kafka/postgres/redis (docker compose logs)" >&2; exit 1; }
  echo "[infra] ready: Kafka 127.0.0.1:9092, postgres://postgres@127.0.0.1:5432/baton, redis://127.0.0.1:6379"
else
  exec bash "$ROOT/infra/native/up.sh"
fi
