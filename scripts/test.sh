#!/usr/bin/env bash
# The whole test suite: every test on SQLite, then the database-facing suites again on a
# throwaway PostgreSQL cluster that is stopped however the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/ensure-deps.sh test

export INTERIOR_TEST_PYTHON="$root/.build-venv/bin/python"
export PATH="$root/.build-venv/bin:$PATH"
export SE_OFFLINE=true

echo "==> building"
swift build --build-tests

echo "==> tests (SQLite)"
unset DATABASE_URL
# The imaging suite counts libvips objects and resident memory, which are process-wide: it
# runs in a process of its own, so the pipeline's image work cannot blur its measurements.
swift test --skip-build --parallel --filter 'ImagingTests' 2>&1 | tee .build/test-imaging.log | scripts/summarise-tests.sh
swift test --skip-build --parallel --skip 'ImagingTests' 2>&1 | tee .build/test-sqlite.log | scripts/summarise-tests.sh

echo "==> pipeline suites on a model that returns several images per prediction (SQLite)"
# The default model returns one image per prediction; the suites run once more on one that
# returns several, so both ways of making variants stay proven end to end.
REPLICATE_MODEL=openai/gpt-image-1.5 swift test --skip-build --parallel --filter 'PipelineSuite' 2>&1 \
    | tee .build/test-sqlite-multi.log | scripts/summarise-tests.sh

echo "==> schemathesis against the running API"
scripts/schemathesis.sh

echo "==> browser tests"
Tests/Browser/run.sh

echo "==> tests (PostgreSQL)"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/interior-pg.XXXXXX); chmod 755 "$work"
pgdata="$work/data"; sock="$work/sock"; port=${INTERIOR_TEST_PG_PORT:-54329}
install -d -o postgres -g postgres -m 700 "$pgdata"
install -d -o postgres -g postgres "$sock"
stop_pg() {
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop_pg EXIT
runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U postgres -E UTF8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c max_connections=300 -c fsync=off" start >/dev/null
psql -q -h "$sock" -p "$port" -U postgres \
    -c "CREATE ROLE interior LOGIN CREATEDB PASSWORD 'interior'" \
    -c "CREATE DATABASE interior OWNER interior"
export DATABASE_URL="postgres://interior:interior@127.0.0.1:$port/interior?tlsmode=disable"
swift test --skip-build --parallel --filter 'InteriorServerTests' 2>&1 | tee .build/test-postgres.log | scripts/summarise-tests.sh
