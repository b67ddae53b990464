#!/usr/bin/env bash
# Start a throwaway PostgreSQL and Redis on loopback for the multi-instance tests, installing
# them from Debian's packages if missing. Prints the URLs as shell exports:
#   eval "$(bash scripts/ci/services.sh start)"   ...   bash scripts/ci/services.sh stop
set -euo pipefail
BASE="${SIPCREDS_SERVICES_DIR:-/tmp/sipcreds-services}"
PG_PORT="${SIPCREDS_PG_PORT:-54329}"
REDIS_PORT="${SIPCREDS_REDIS_PORT:-63790}"

pg_bin() {
  for d in /usr/local/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  done
}

install() {
  local need=()
  [ -n "$(pg_bin)" ] || need+=(postgresql)
  command -v redis-server > /dev/null || need+=(redis-server)
  # The CLI's output test counts write(2) calls with strace.
  command -v strace > /dev/null || need+=(strace)
  # The live probe's peers (probe/tests/live): started by the tests themselves, on ports of
  # their own, and killed by pid; Debian's packaged services are not used.
  [ -x /usr/sbin/kamailio ] || need+=(kamailio)
  [ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so ] || need+=(kamailio-tls-modules)
  command -v sipp > /dev/null || need+=(sip-tester)
  [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
  # serve's TLS test makes its certificates with openssl and speaks HTTPS and HTTP/2 with
  # curl; the API stage (scripts/ci/api.sh) uses curl too.
  command -v openssl > /dev/null || need+=(openssl)
  command -v curl > /dev/null || need+=(curl)
  if [ "${#need[@]}" -gt 0 ]; then
    echo "installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${need[@]}" >&2
    # Debian starts the packaged services; ours run on their own ports and directories.
    # A packaged kamailio service would hold 5060: stop it if the package started one.
    if command -v systemctl > /dev/null; then systemctl stop kamailio > /dev/null 2>&1 || true; fi
    pkill -x kamailio > /dev/null 2>&1 || true
  fi
}

start() {
  install
  local bin; bin="$(pg_bin)"
  mkdir -p "$BASE"
  chmod 755 "$BASE"
  if [ ! -d "$BASE/pg" ]; then
    mkdir -p "$BASE/pg" && chown postgres "$BASE/pg"
    # PostgreSQL refuses to run as root: the postgres user runs it, with trust on loopback.
    runuser -u postgres -- "$bin/initdb" -D "$BASE/pg" -A trust -U postgres > "$BASE/initdb.log"
  fi
  if ! runuser -u postgres -- "$bin/pg_ctl" -D "$BASE/pg" status > /dev/null 2>&1; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$BASE/pg" -l "$BASE/pg/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $BASE/pg -c max_connections=200 -c fsync=off" start >&2
  fi
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='sipcreds'" \
    | grep -q 1 || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE sipcreds" >&2
  if ! redis-cli -p "$REDIS_PORT" ping > /dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
      --dir "$BASE" --logfile "$BASE/redis.log" --pidfile "$BASE/redis.pid" >&2
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping > /dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "export SIPCREDS_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PG_PORT/sipcreds"
  echo "export SIPCREDS_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/"
  echo "export SIPCREDS_TEST_REDIS_PORT=$REDIS_PORT"
  # The key the SDK tests use on the shared database (the Rust tests make their own databases).
  echo "export SIPCREDS_TEST_KEY=c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE="
}

stop() {
  local bin; bin="$(pg_bin)"
  [ -d "$BASE/pg" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$BASE/pg" -m fast stop > /dev/null 2>&1 || true
  redis-cli -p "$REDIS_PORT" shutdown nosave > /dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
