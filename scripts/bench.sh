#!/usr/bin/env bash
# `make bench`: builds the benchmarks and the server in release mode and runs them. The
# end-to-end benchmark on PostgreSQL gets a throwaway cluster (when run as root with Debian's
# PostgreSQL installed), stopped however the run ends; INTERIOR_BENCH_DATABASE_URL names one
# instead. Arguments go to interior-bench (e.g. --filter e2e.sqlite).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-deps.sh bench
export PATH=/opt/swift/usr/bin:$PATH
swift build -c release --product interior
swift build -c release --product interior-bench

wants_postgres=1
for argument in "$@"; do
    case "$argument" in --list|--help|-h) wants_postgres=0 ;; esac
done
if [ -z "${INTERIOR_BENCH_DATABASE_URL:-}" ] && [ "$wants_postgres" = 1 ] && [ "$(id -u)" -eq 0 ] \
    && pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1) && [ -n "$pgbin" ]; then
    work=$(mktemp -d /tmp/interior-bench-pg.XXXXXX); chmod 755 "$work"
    pgdata="$work/data"; sock="$work/sock"; port=${INTERIOR_BENCH_PG_PORT:-54336}
    install -d -o postgres -g postgres -m 700 "$pgdata"
    install -d -o postgres -g postgres "$sock"
    stop_pg() {
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$work"
    }
    trap stop_pg EXIT
    runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U postgres -E UTF8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    # Durable as shipped (fsync on): the benchmark measures what production would do.
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c max_connections=200" start >/dev/null
    psql -q -h "$sock" -p "$port" -U postgres \
        -c "CREATE ROLE interior LOGIN PASSWORD 'interior'" -c "CREATE DATABASE interior OWNER interior"
    export INTERIOR_BENCH_DATABASE_URL="postgres://interior:interior@127.0.0.1:$port/interior?tlsmode=disable"
fi

.build/release/interior-bench "$@"
