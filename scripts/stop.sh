#!/usr/bin/env bash
# `pnpm stop`: stops the five services started by `pnpm start`, then the infrastructure (infra/down.sh:
# the native Kafka broker, or the compose containers; OS Postgres and Redis stay up).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES=(capture routing scheduling reminder metrics)
PIDS="$ROOT/.baton/pids"

# A pid file's process that is still the service we started (pids get reused).
ours() { ps -p "$2" -o args= 2>/dev/null | grep -q "@baton/$1"; }
# start.sh gives each service its own process group (pnpm -> tsx -> node); signal the whole group when we can.
signal() { kill "-$1" -- "-$2" 2>/dev/null || kill "-$1" "$2" 2>/dev/null || true; }
group_alive() { kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null; }

stopping=()
for name in "${SERVICES[@]}"; do
  pidfile="$PIDS/$name.pid"
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile")"
  if [[ -n "$pid" ]] && ours "$name" "$pid"; then
    echo "[stop] stopping $name (pid $pid)"
    signal TERM "$pid"
    stopping+=("$name:$pid")
  else
    rm -f "$pidfile"
  fi
done

# Services drain (HTTP, consumers, outbox relay) on SIGTERM; give them time before forcing.
for entry in "${stopping[@]+"${stopping[@]}"}"; do
  name="${entry%%:*}" pid="${entry##*:}"
  for _ in $(seq 1 60); do group_alive "$pid" || break; sleep 0.25; done
  if group_alive "$pid"; then
    echo "[stop] $name did not exit within 15s, sending SIGKILL" >&2
    signal KILL "$pid"
  fi
  rm -f "$PIDS/$name.pid"
done
[[ ${#stopping[@]} -gt 0 ]] || echo "[stop] no services running"

bash "$ROOT/infra/down.sh"
