#!/usr/bin/env bash
# Build, make a demo MicroPython-style ESP32 firmware image with the
# project's own generator, and run the main job on it: the summary, then a
# rewrite to 8 MB flash with an OTA partition table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
mkdir -p demo
cd demo
../build/fwgen --chip esp32 --table v1.25 -o ESP32_GENERIC-demo.bin
../build/mp-image-tool-esp32 ESP32_GENERIC-demo.bin
echo
../build/mp-image-tool-esp32 ESP32_GENERIC-demo.bin -f 8M --table ota -a 0x1f0B
echo
../build/mp-image-tool-esp32 ESP32_GENERIC-demo-8MB-OTA-appsize=496B.bin --check-app
