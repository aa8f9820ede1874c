#!/usr/bin/env bash
# `pnpm start`: the one command that brings up Baton on this machine.
#   1. infrastructure (infra/up.sh: Docker when an engine answers, else native Kafka/Postgres/Redis)
#   2. (Kafka topics: each service creates the missing ones at start-up; the broker never auto-creates them)
#   3. the five services in the background (logs .baton/logs/<name>.log, pids .baton/pids/<name>.pid)
#   4. waits until every /readyz answers 200, then prints where each one listens
# Running it again reuses whatever is still alive. `pnpm stop` stops it all.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SERVICES=(capture routing scheduling reminder metrics)
declare -A DEFAULT_PORT=([capture]=3001 [routing]=3002 [scheduling]=3003 [reminder]=3004 [metrics]=3005)
READY_TIMEOUT="${READY_TIMEOUT:-120}"
PIDS="$ROOT/.baton/pids"
LOGS="$ROOT/.baton/logs"
mkdir -p "$PIDS" "$LOGS"

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/baton}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export LOG_LEVEL="${LOG_LEVEL:-info}"

say() { echo "[start] $*"; }
die() { echo "[start] ERROR: $*" >&2; exit 1; }
# CAPTURE_PORT, ROUTING_PORT, ... override the defaults.
port_of() { local var="${1^^}_PORT"; echo "${!var:-${DEFAULT_PORT[$1]}}"; }
pid_of() { [[ -f "$PIDS/$1.pid" ]] && cat "$PIDS/$1.pid"; }
# Alive and still the process we started (pids get reused).
alive() {
  local pid
  pid="$(pid_of "$1")" || return 1
  [[ -n "$pid" ]] && ps -p "$pid" -o args= 2>/dev/null | grep -q "@baton/$1"
}
http_ok() {
  if command -v curl >/dev/null; then
    curl -fsS -o /dev/null -m 2 "$1" 2>/dev/null
  else
    node -e "fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$1"
  fi
}
fail() {
  echo "[start] ERROR: $1 $2" >&2
  echo "----- last lines of .baton/logs/$1.log -----" >&2
  tail -n 40 "$LOGS/$1.log" >&2 || true
  echo "-----" >&2
  echo "[start] services that did start keep running; stop everything with: pnpm stop" >&2
  exit 1
}

# 1. Infrastructure
bash "$ROOT/infra/up.sh" || die "infrastructure did not start (see above)"

# 3. Services
detach=()
command -v setsid >/dev/null && detach=(setsid)
for name in "${SERVICES[@]}"; do
  if alive "$name"; then
    say "$name already running (pid $(pid_of "$name")), reusing it"
    continue
  fi
  rm -f "$PIDS/$name.pid"
  # Someone else on this port would answer our readiness check while our service dies of EADDRINUSE.
  if http_ok "http://127.0.0.1:$(port_of "$name")/healthz" || (exec 3<>"/dev/tcp/127.0.0.1/$(port_of "$name")") 2>/dev/null; then
    die "port $(port_of "$name") ($name) is already taken by another process; stop it or set ${name^^}_PORT"
  fi
  echo "===== $(date '+%Y-%m-%d %H:%M:%S') pnpm start (port $(port_of "$name")) =====" >>"$LOGS/$name.log"
  # Own session and process group: `pnpm stop` signals the whole group (pnpm, tsx, node), and the service
  # outlives this script. The inner shell records its pid, then becomes pnpm.
  PORT="$(port_of "$name")" nohup "${detach[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$PIDS/$name.pid" \
    pnpm --filter "@baton/$name" start >>"$LOGS/$name.log" 2>&1 </dev/null &
done
for name in "${SERVICES[@]}"; do
  for _ in $(seq 1 25); do [[ -s "$PIDS/$name.pid" ]] && break; sleep 0.2; done
done

# 4. Readiness
say "waiting for /readyz (up to ${READY_TIMEOUT}s)"
deadline=$((SECONDS + READY_TIMEOUT))
pending=("${SERVICES[@]}")
while ((${#pending[@]} > 0)); do
  still=()
  for name in "${pending[@]}"; do
    if http_ok "http://127.0.0.1:$(port_of "$name")/readyz"; then
      say "$name ready"
    elif ! alive "$name"; then
      fail "$name" "exited before it was ready"
    else
      still+=("$name")
    fi
  done
  pending=("${still[@]+"${still[@]}"}")
  ((${#pending[@]} == 0)) && break
  ((SECONDS < deadline)) || fail "${pending[0]}" "not ready after ${READY_TIMEOUT}s (also waiting: ${pending[*]})"
  sleep 1
done

echo
echo "Baton is running:"
printf '  %-11s %-7s %-24s %-30s %s\n' service pid API docs metrics
for name in "${SERVICES[@]}"; do
  url="http://127.0.0.1:$(port_of "$name")"
  printf '  %-11s %-7s %-24s %-30s %s\n' "$name" "$(pid_of "$name")" "$url" "$url/docs" "$url/metrics"
done
echo
echo "  Kafka $KAFKA_BROKERS   Postgres $DATABASE_URL   Redis $REDIS_URL"
echo "  logs: .baton/logs/<service>.log   stop everything: pnpm stop"
