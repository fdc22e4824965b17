#!/usr/bin/env bash
# Fuzzes the running API against its own OpenAPI document with schemathesis (every check):
# the built `interior serve` on the embedded defaults (SQLite, local storage, the Replicate
# emulator, dev auth) in a temporary data directory, with a real token from `interior token`.
# Any finding fails the run. Bounded: SCHEMATHESIS_EXAMPLES cases per operation and phase
# (default 50), SCHEMATHESIS_SEED for a reproducible run.
# Usage: scripts/schemathesis.sh   (after `swift build`; make test runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
interior=${INTERIOR_BIN:-$root/.build/debug/interior}
schemathesis=${SCHEMATHESIS:-$root/.build-venv/bin/schemathesis}
examples=${SCHEMATHESIS_EXAMPLES:-50}
seed=${SCHEMATHESIS_SEED:-20261201}

work=$(mktemp -d /tmp/interior-schemathesis.XXXXXX)
port=$("$root/.build-venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server=""
finish() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap finish EXIT

# Only what the server is meant to see: no DATABASE_URL or secrets of the calling shell.
# Called only in a subshell (`&` or `$(...)`), which it replaces with interior: so `$!` below
# is the server itself and `finish` stops it, not a shell around it.
run_interior() {
    cd "$work" && exec env -i PATH="$PATH" HOME="$work" ENV=development AUTH_MODE=dev LOG_LEVEL=warning \
        PORT="$port" PUBLIC_BASE_URL="http://127.0.0.1:$port" "$interior" "$@"
}

# No rate limit (the fuzzer is one user sending fast) and a plan it cannot exhaust: a 429 or
# 402 would only keep it from the routes' own logic.
mkdir -p "$work/config"
cat > "$work/config/runtime.json" <<'JSON'
{"limits": {"requestsPerMinute": 0},
 "plans": [{"id": "free", "label": "Free", "monthlyGenerations": 1000000}]}
JSON

run_interior serve > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/api/v1/health" > /dev/null 2>&1; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then cat "$work/server.log"; echo "interior serve did not start" >&2; exit 1; fi
    sleep 0.2
done
user=$(cat /proc/sys/kernel/random/uuid)
token=$(run_interior token --user "$user")

echo "==> schemathesis: $examples cases per operation and phase, seed $seed"
started=$(date +%s)
status=0
"$schemathesis" --config-file "$root/scripts/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
    --checks all --max-examples "$examples" --seed "$seed" --workers 2 \
    --header "Authorization: Bearer $token" \
    --request-timeout 30 --no-color --generation-database none \
    --report junit --report-junit-path "$work/junit.xml" || status=$?
echo "==> schemathesis finished in $(( $(date +%s) - started )) s with status $status"
if grep -q "could not start\|Fatal error\|Assertion failed" "$work/server.log"; then
    cat "$work/server.log"
    echo "the server failed during the run" >&2
    exit 1
fi
exit "$status"
