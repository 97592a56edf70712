#!/usr/bin/env bash
# Installs what the cross builds and their tests need, beyond
# scripts/install-deps.sh (the native build, which does not need these):
#   Windows:       mingw-w64 (gcc, zlib) to build the .exe, wine64 to run it
#   Linux on ARM:  Debian's aarch64 and armhf cross compilers, the multiarch
#                  zlib and libssl they link, qemu-user to run the result
#   packages:      zip (the Windows .zip), dpkg-dev (cpack's .deb)
# Debian packages, as root or through sudo.  Used by scripts/cross-test.sh,
# scripts/release.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

updated=0
for arch in arm64 armhf; do
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    $SUDO dpkg --add-architecture "$arch"
    updated=1
  fi
done

pkgs=(gcc-mingw-w64-x86-64 libz-mingw-w64-dev wine wine64
      gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf qemu-user
      zlib1g-dev:arm64 libssl-dev:arm64 zlib1g-dev:armhf libssl-dev:armhf
      zip dpkg-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || [ "$updated" -eq 1 ]; then
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
