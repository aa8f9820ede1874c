#!/usr/bin/env bash
# Stops what infra/up.sh started: the compose infrastructure (volumes kept) or the native Kafka.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if command -v docker >/dev/null && timeout 15 docker info >/dev/null 2>&1; then
  docker compose stop kafka postgres redis
fi
# A native broker may exist even on a machine that has Docker now; down.sh is a no-op without its pid file.
bash "$ROOT/infra/native/down.sh"
