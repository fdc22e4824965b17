#!/usr/bin/env bash
# Browser tests of the try-it page. Builds nothing: starts the already built
# `.build/debug/interior serve` on the embedded defaults in a temporary directory (SQLite,
# local storage, dev sign-in, the Replicate emulator since no token is set), waits for
# /api/v1/health, runs the Selenium suite against it, and stops the server however the run
# ends. Screenshots go to .build/browser-screenshots/, the server's log to
# .build/browser-server.log. Arguments are passed to unittest (e.g. test_create.ImagineTests).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
binary="$root/.build/debug/interior"
python="${INTERIOR_TEST_PYTHON:-python3}"

if [ ! -x "$binary" ]; then
    echo "browser tests: $binary is missing — build first (swift build)" >&2
    exit 1
fi

work=$(mktemp -d /tmp/interior-browser.XXXXXX)
server_pid=""
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_server EXIT

# The server runs in the temporary directory (its data/ and no .env of the checkout) and
# finds the page's files from its executable's location, as an installed server does.
mkdir -p "$work/config"
# A small free allowance keeps the monthly-limit test short; every test is a new demo user.
cat > "$work/config/runtime.json" <<'JSON'
{
  "plans": [{"id": "free", "label": "Free", "monthlyGenerations": 3},
            {"id": "starter", "label": "Starter", "monthlyGenerations": 150},
            {"id": "advanced", "label": "Advanced", "monthlyGenerations": 600}]
}
JSON

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
mkdir -p "$root/.build"
log="$root/.build/browser-server.log"

(
    cd "$work"
    exec env -u REPLICATE_API_TOKEN -u REPLICATE_WEBHOOK_SECRET -u REPLICATE_BASE_URL \
        -u AUTH_JWT_SECRET -u AUTH_JWKS_URL -u PUBLIC_ASSET_BASE_URL -u INTERIOR_CONFIG \
        -u S3_ACCESS_KEY_ID -u S3_SECRET_ACCESS_KEY -u METRICS_TOKEN \
        ENV=development AUTH_MODE=dev HOST=127.0.0.1 PORT="$port" PUBLIC_BASE_URL="$base" \
        DATABASE_URL="sqlite://$work/interior.sqlite" STORAGE_URL="file://$work/storage" \
        STORAGE_SIGNING_SECRET="browser-tests-signing-secret-0123456789abcdef" \
        LOG_LEVEL=info "$binary" serve
) > "$log" 2>&1 &
server_pid=$!

echo "==> waiting for $base/api/v1/health (log: $log)"
ready=""
for _ in $(seq 1 120); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "browser tests: the server exited during start-up:" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    if "$python" - "$base" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/api/v1/health", timeout=2) as response:
    body = json.load(response)
sys.exit(0 if body["data"]["status"] == "ok" else 1)
PY
    then
        ready=yes
        break
    fi
    sleep 0.5
done
if [ -z "$ready" ]; then
    echo "browser tests: the server did not become healthy in 60 s:" >&2
    tail -n 30 "$log" >&2
    exit 1
fi

rm -rf "$root/.build/browser-screenshots"
mkdir -p "$root/.build/browser-screenshots"
# The embedded emulator writes where it listens and its control token here (0600); the tests
# queue faults through its control endpoint with them.
export INTERIOR_EMULATOR_CONTROL="$work/data/emulator/control.json"
export INTERIOR_BASE_URL="$base" INTERIOR_SCREENSHOTS="$root/.build/browser-screenshots" SE_OFFLINE=true
cd "$root/Tests/Browser"
if [ $# -gt 0 ]; then
    "$python" -m unittest -v "$@"
else
    "$python" -m unittest discover -v -s . -p 'test_*.py'
fi
