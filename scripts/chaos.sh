#!/usr/bin/env bash
# The fault matrix of docs/reliability.md: every cell of the chaos suite on SQLite, then on a
# throwaway PostgreSQL cluster. `INTERIOR_CHAOS=short scripts/chaos.sh` runs the few cells
# `make test` runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/postgres.sh

scripts/ensure-deps.sh test

export INTERIOR_TEST_PYTHON="$root/.build-venv/bin/python"
export PATH="$root/.build-venv/bin:$PATH"
mode=${INTERIOR_CHAOS:-full}

echo "==> building"
swift build --build-tests

echo "==> chaos ($mode, SQLite)"
unset DATABASE_URL
run_chaos sqlite "$mode"

echo "==> chaos ($mode, PostgreSQL)"
start_postgres
run_chaos postgres "$mode"
