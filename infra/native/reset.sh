#!/usr/bin/env bash
# Stops the native Kafka and wipes its state (topics, offsets, cluster id). The next up.sh formats afresh.
# Postgres and Redis data are untouched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$ROOT/infra/native/down.sh"
rm -rf "$ROOT/.baton/kafka"
echo "[infra] wiped .baton/kafka"
