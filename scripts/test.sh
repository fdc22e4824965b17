#!/usr/bin/env bash
# The whole test suite: every test on SQLite, then the database-facing suites again on a
# throwaway PostgreSQL cluster that is stopped however the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/postgres.sh

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

echo "==> chaos, short form (SQLite)"
run_chaos sqlite short

echo "==> tests (PostgreSQL)"
start_postgres
# The three-instance test runs its own processes (three servers, an emulator, a proxy): it runs
# after the parallel pass, not beside it, so neither starves the other's timings.
swift test --skip-build --parallel --filter 'InteriorServerTests' --skip 'InstancesTests' 2>&1 \
    | tee .build/test-postgres.log | scripts/summarise-tests.sh
swift test --skip-build --filter 'InstancesTests' 2>&1 | tee .build/test-instances.log | scripts/summarise-tests.sh

echo "==> chaos, short form (PostgreSQL)"
run_chaos postgres short
