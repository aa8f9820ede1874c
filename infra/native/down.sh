#!/usr/bin/env bash
# Stops the Kafka broker that infra/native/up.sh started (by its pid file). OS Postgres and Redis stay up:
# they are shared machine services, and stopping them would only slow the next start.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PIDFILE="$ROOT/.baton/kafka/kafka.pid"

if [[ ! -f "$PIDFILE" ]]; then
  echo "[infra] native Kafka: not started by this checkout (no .baton/kafka/kafka.pid)"
  exit 0
fi
pid="$(cat "$PIDFILE")"
if [[ -z "$pid" ]] || ! ps -p "$pid" -o args= 2>/dev/null | grep -q 'kafka\.Kafka'; then
  echo "[infra] native Kafka: not running (stale pid file removed)"
  rm -f "$PIDFILE"
  exit 0
fi

echo "[infra] stopping native Kafka (pid $pid)"
kill -TERM "$pid"
# A clean shutdown lets the next start skip log recovery; give it time before forcing.
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
  echo "[infra] Kafka still running after 30s, sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
fi
rm -f "$PIDFILE"
echo "[infra] native Kafka stopped"
