#!/usr/bin/env bash
# Sourced by the test scripts: `start_postgres` starts a throwaway PostgreSQL cluster (stopped
# and removed however the script ends) and exports DATABASE_URL for it.
start_postgres() {
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    pgwork=$(mktemp -d /tmp/interior-pg.XXXXXX); chmod 755 "$pgwork"
    local pgdata="$pgwork/data" sock="$pgwork/sock" port=${INTERIOR_TEST_PG_PORT:-54329}
    install -d -o postgres -g postgres -m 700 "$pgdata"
    install -d -o postgres -g postgres "$sock"
    trap stop_postgres EXIT
    runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U postgres -E UTF8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    # The parallel pass gives every test a server of its own with a pool of 4: sampled every
    # 0.1 s, up to 299 client connections were open at once (the old limit was 300).
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c max_connections=1000 -c fsync=off" start >/dev/null
    psql -q -h "$sock" -p "$port" -U postgres \
        -c "CREATE ROLE interior LOGIN CREATEDB PASSWORD 'interior'" \
        -c "CREATE DATABASE interior OWNER interior"
    export DATABASE_URL="postgres://interior:interior@127.0.0.1:$port/interior?tlsmode=disable"
}

stop_postgres() {
    [ -n "${pgwork:-}" ] || return 0
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgwork/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgwork"
}

# Runs the chaos suite (`INTERIOR_CHAOS` short or full) on the database DATABASE_URL names
# (SQLite when unset) and keeps its matrix rows in .build/chaos-matrix-<name>.txt.
run_chaos() {
    local name=$1 mode=$2
    INTERIOR_CHAOS=$mode swift test --skip-build --filter 'ChaosSuite' 2>&1 | tee ".build/chaos-$name.log" | scripts/summarise-tests.sh
    grep '^chaos|' ".build/chaos-$name.log" > ".build/chaos-matrix-$name.txt" || true
    echo "    $(grep -c . ".build/chaos-matrix-$name.txt") cells; matrix in .build/chaos-matrix-$name.txt"
    if grep -q 'FAILED' ".build/chaos-matrix-$name.txt"; then grep 'FAILED' ".build/chaos-matrix-$name.txt"; fi
}
