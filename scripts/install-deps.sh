#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian machine.
# Debian packages (as root, or through sudo) and the pinned npm package that
# carries Espressif's flasher stubs (see stubs/).
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake clang pkg-config zlib1g-dev libssl-dev libcmocka-dev
      ser2net socat)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [ -f stubs/package.json ]; then
  command -v npm >/dev/null || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"; $SUDO apt-get install -y -qq npm; }
  (cd stubs && npm ci --no-audit --no-fund --silent)
fi
