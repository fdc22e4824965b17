#!/usr/bin/env bash
# Installs what building and testing Interior need on a Debian machine, skipping what is
# already there. Usage: scripts/ensure-deps.sh [run|test|bench]
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-run}

packages=(libvips-dev pkg-config)
if [ "$want" = test ]; then
    packages+=(postgresql libimage-exiftool-perl python3-venv chromium chromium-driver)
fi
if [ "$want" = bench ]; then
    # The peers (pyvips, Pillow) live in the test virtualenv; wrk loads the read endpoints.
    packages+=(postgresql python3-venv wrk)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing system packages: ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$want" = test ] || [ "$want" = bench ]; then
    venv=.build-venv
    if [ ! -x "$venv/bin/python" ]; then
        echo "==> creating $venv"
        python3 -m venv "$venv"
    fi
    stamp="$venv/.requirements.sha"
    sum=$(sha256sum scripts/requirements-test.txt | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        echo "==> installing Python test tools"
        "$venv/bin/pip" install -q --upgrade pip >/dev/null
        "$venv/bin/pip" install -q -r scripts/requirements-test.txt
        echo "$sum" > "$stamp"
    fi
fi
