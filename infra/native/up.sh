#!/usr/bin/env bash
# Starts real Kafka, Postgres and Redis on this machine without Docker, and waits until each one answers.
# Idempotent: whatever already answers on its port is reused, so running it twice is cheap.
#   Kafka:    Apache Kafka jars from Maven Central (infra/kafka/pom.xml), single KRaft node, state in .baton/kafka
#   Postgres: the OS package (installed and started only when we are root and nothing answers)
#   Redis:    the OS package (same rule)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-60}"
PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"

STATE="$ROOT/.baton"
KDIR="$STATE/kafka"
LOGS="$STATE/logs"
LIB="$ROOT/infra/kafka/lib"
mkdir -p "$KDIR" "$LOGS"
# Kafka's command-line tools (format, readiness probe) log nothing; the broker itself uses infra/kafka/log4j.properties.
TOOLS_LOG4J="$KDIR/tools-log4j.properties"
echo "log4j.rootLogger=OFF" >"$TOOLS_LOG4J"
kafka_tool() { java -Xmx256m -Dlog4j.configuration="file:$TOOLS_LOG4J" -cp "$LIB/*" "$@"; }

say() { echo "[infra] $*"; }
die() { echo "[infra] ERROR: $*" >&2; exit 1; }
is_root() { [[ "$(id -u)" == 0 ]]; }
# A TCP connect to a loopback port fails at once when nothing listens.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

APT_UPDATED=""
apt_install() {
  is_root && command -v apt-get >/dev/null || return 1
  say "apt-get install $*"
  if [[ -z "$APT_UPDATED" ]]; then apt-get update -qq >/dev/null && APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 9>&-
}
# need_cmd <command> <debian package> <hint>: installs the package when root, else explains what is missing.
need_cmd() {
  command -v "$1" >/dev/null && return 0
  apt_install "$2" && command -v "$1" >/dev/null && return 0
  die "'$1' not found. $3"
}

# One up.sh at a time per checkout: start.sh and test.mjs may race on a fresh machine.
# Every daemon started below gets `9>&-`, or it would inherit the lock and hold it for its whole life.
if command -v flock >/dev/null; then
  exec 9>"$STATE/up.lock"
  flock -w 300 9 || die "another infra/native/up.sh is still running (lock $STATE/up.lock)"
fi

# ---------------------------------------------------------------------------------------------------- Kafka
kafka_jars() {
  local sum
  sum="$(sha256sum "$ROOT/infra/kafka/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$LIB/.pom.sha256" && "$(cat "$LIB/.pom.sha256")" == "$sum" ]]; then return 0; fi
  need_cmd mvn maven "Install Maven 3.8+ and Java 17+ (or use Docker) to run Kafka natively."
  say "fetching Kafka jars from Maven Central into infra/kafka/lib (first run only)..."
  rm -rf "$LIB"
  if ! mvn -q -B -f "$ROOT/infra/kafka/pom.xml" package >"$LOGS/mvn.log" 2>&1; then
    tail -n 40 "$LOGS/mvn.log" >&2
    die "mvn could not fetch Kafka (full output: .baton/logs/mvn.log)"
  fi
  echo "$sum" >"$LIB/.pom.sha256"
}

kafka_pid() { [[ -f "$KDIR/kafka.pid" ]] && cat "$KDIR/kafka.pid"; }
# True when the pid file names a live kafka.Kafka process (a reused pid would run something else).
kafka_alive() {
  local pid
  pid="$(kafka_pid)" || return 1
  [[ -n "$pid" ]] && ps -p "$pid" -o args= 2>/dev/null | grep -q 'kafka\.Kafka'
}

# The broker answers a real request and lists itself as a live (unfenced) broker; an open port is not enough.
kafka_ready() {
  timeout 20 java -Xmx128m -Dlog4j.configuration="file:$TOOLS_LOG4J" -cp "$LIB/*" kafka.admin.BrokerApiVersionsCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" 2>/dev/null | grep -q '(id: [0-9]'
}

kafka_start() {
  local conf="$KDIR/server.properties"
  sed -e "s|@LOG_DIRS@|$KDIR/data|" -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    "$ROOT/infra/kafka/server.properties" >"$conf"
  if [[ ! -f "$KDIR/data/meta.properties" ]]; then
    [[ -s "$KDIR/cluster-id" ]] || kafka_tool kafka.tools.StorageTool random-uuid >"$KDIR/cluster-id"
    say "formatting Kafka storage in .baton/kafka/data (cluster id $(cat "$KDIR/cluster-id"))"
    kafka_tool kafka.tools.StorageTool format --ignore-formatted \
      -t "$(cat "$KDIR/cluster-id")" -c "$conf" >>"$LOGS/kafka.log" 2>&1 || die "kafka storage format failed, see .baton/logs/kafka.log"
  fi
  say "starting Kafka on 127.0.0.1:$KAFKA_PORT (log .baton/logs/kafka.log)"
  local detach=()
  command -v setsid >/dev/null && detach=(setsid)
  # Own session: the broker outlives this script and the terminal/job that ran it.
  # The inner shell writes its own pid, then becomes the JVM, so the pid file names the JVM.
  nohup "${detach[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$KDIR/kafka.pid" \
    java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$ROOT/infra/kafka/log4j.properties" -Dkafka.logs.dir="$KDIR" \
    -cp "$LIB/*" kafka.Kafka "$conf" >>"$LOGS/kafka.log" 2>&1 </dev/null 9>&- &
  for _ in 1 2 3 4 5 6 7 8 9 10; do [[ -s "$KDIR/kafka.pid" ]] && break; sleep 0.2; done
}

kafka_up() {
  need_cmd java default-jre-headless "Install Java 17+ (or use Docker) to run Kafka natively."
  kafka_jars
  KAFKA_HOW="reused (already listening)"
  if kafka_alive; then
    grep -q "^listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT," "$KDIR/server.properties" ||
      die "this checkout's Kafka (pid $(kafka_pid)) listens on another port; stop it first: bash infra/native/down.sh"
    KAFKA_HOW="reused (pid $(kafka_pid))"
  elif port_open "$KAFKA_PORT"; then
    :
  else
    rm -f "$KDIR/kafka.pid"
    kafka_start
    KAFKA_HOW="started (pid $(kafka_pid))"
  fi
  local deadline=$((SECONDS + KAFKA_READY_TIMEOUT))
  until kafka_ready; do
    if [[ -f "$KDIR/kafka.pid" ]] && ! kafka_alive && ! port_open "$KAFKA_PORT"; then
      tail -n 30 "$LOGS/kafka.log" >&2 || true
      die "Kafka exited during startup (full logs: .baton/logs/kafka.log, .baton/kafka/server.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOGS/kafka.log" >&2 || true
      die "Kafka did not answer on 127.0.0.1:$KAFKA_PORT within ${KAFKA_READY_TIMEOUT}s"
    fi
    sleep 1
  done
}

# ------------------------------------------------------------------------------------------------- Postgres
psql_admin() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -tAq "$@"; }

postgres_up() {
  PG_HOW="reused"
  if ! port_open "$PG_PORT"; then
    is_root || die "nothing answers on 127.0.0.1:$PG_PORT. Start PostgreSQL 15+ (user postgres, trust auth on 127.0.0.1) or use Docker."
    compgen -G "/etc/postgresql/*/main" >/dev/null || apt_install postgresql || die "could not install postgresql"
    local ver hba
    ver="$(ls /etc/postgresql | sort -V | tail -n 1)"
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    # Local development only: trust loopback TCP so postgres://postgres@127.0.0.1 works without a password.
    if ! grep -qE '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
      sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
    say "starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start 9>&- || die "pg_ctlcluster $ver main start failed"
    for _ in $(seq 1 30); do port_open "$PG_PORT" && break; sleep 0.5; done
    PG_HOW="started ($ver)"
  fi
  need_cmd psql postgresql-client "Install the PostgreSQL client (psql)."
  local db exists
  for db in baton baton_test; do
    exists="$(psql_admin -c "select 1 from pg_database where datname = '$db'")" ||
      die "cannot connect as postgres to 127.0.0.1:$PG_PORT (needs trust auth for 127.0.0.1, or PGPASSWORD)"
    [[ "$exists" == 1 ]] || { psql_admin -c "create database $db" && say "created database $db"; }
  done
}

# ---------------------------------------------------------------------------------------------------- Redis
redis_ping() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && IFS= read -r -t 3 line <&3 && [[ "$line" == +PONG* ]]
  ) 2>/dev/null
}

redis_up() {
  REDIS_HOW="reused"
  redis_ping && return 0
  port_open "$REDIS_PORT" && die "something listens on 127.0.0.1:$REDIS_PORT but does not answer PING like Redis"
  need_cmd redis-server redis-server "Install Redis 7 (or use Docker)."
  mkdir -p "$STATE/redis"
  say "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$STATE/redis" \
    --logfile "$LOGS/redis.log" --pidfile "$STATE/redis/redis.pid" 9>&- || die "redis-server failed to start"
  for _ in $(seq 1 20); do redis_ping && { REDIS_HOW="started (daemon)"; return 0; }; sleep 0.25; done
  die "Redis did not answer on 127.0.0.1:$REDIS_PORT (log .baton/logs/redis.log)"
}

kafka_up
postgres_up
redis_up

say "native infrastructure is ready"
printf '  %-9s %-44s %s\n' \
  Kafka "127.0.0.1:$KAFKA_PORT" "$KAFKA_HOW" \
  Postgres "postgres://postgres@127.0.0.1:$PG_PORT/baton" "$PG_HOW (tests use baton_test)" \
  Redis "redis://127.0.0.1:$REDIS_PORT" "$REDIS_HOW"
