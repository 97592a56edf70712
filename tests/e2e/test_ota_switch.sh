#!/usr/bin/env bash
# --ota-switch end to end: deployed ESP-IDF / Arduino devices (fwgen's
# images with the real partition tables of arduino-esp32 and ESP-IDF from
# ../shared/fixtures) switched to MicroPython on espemu over pty and TCP.
# Each device's final flash must equal, byte for byte, what the same switch
# makes of its flash dump, and must hold: the kept slot and nvs untouched,
# the MicroPython app in its slot, the table expected, otadata booting
# MicroPython, the head of vfs erased.  Then the verdicts, the refusals
# (nothing written), --dry-run, confirmation, reruns and the fleet's
# artifacts from a table and a bootloader alone.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/lib_emu.sh"
source "$E2E_DIR/lib_switch.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
FIX=${SHARED:+$SHARED/fixtures/partitions}
if [ -z "$FIX" ] || [ ! -d "$FIX/arduino-esp32" ]; then
  echo "SKIP: ../shared/fixtures/partitions not found (set MPI_SHARED)"
  exit 77
fi
ARD=$FIX/arduino-esp32 IDF=$FIX/esp-idf

# region FILE OFFSET LEN: its bytes, as hex.
region() { emu_region "$1" "$2" "$3" | od -An -tx1 -v | tr -d ' \n'; }
ff() { head -c "$(($1))" /dev/zero | tr '\0' '\377' | od -An -tx1 -v | tr -d ' \n'; }
# table_rows PLAN: the new table's rows as partitions.csv has them.
table_rows() { grep -v '^#' "$1/partitions.csv" | tr '\n' ' '; }

# device NAME CHIP FLASH TABLE SLOT [fwgen options...]: a deployed device.
device() {
  local name=$1 chip=$2 flash=$3 table=$4 slot=$5; shift 5
  "$FWGEN" --chip "$chip" --flash-size "$flash" --device "$table" --boot-slot "$slot" \
    --project arduino-app "$@" -o "$name.dev"
}
# mp NAME CHIP IDF VERSION: a micropython.org-style firmware file.
mp() { "$FWGEN" --chip "$2" --app-idf "$3" --version "$4" --table v1.26 -o "$1"; }

# scenario NAME TRANSPORT CHIP MP KEEP_OFF KEEP_LEN NVS_LEN SLOT_OFF VFS_OFF 'ROWS'
# [KEEP_FROM]: the kept slot must hold what the device had at KEEP_FROM
# (its own offset, or the running ota_1 copied there); $EMU_ARGS go to espemu.
scenario() {
  local n=$1 tr=$2 chip=$3 fw=$4 keep=$5 keep_len=$6 nvs=$7 slot=$8 vfs=$9 rows=${10}
  local from=${11:-$5}
  run "$MPI" -q "$n.dev" --ota-switch "$fw" --plan-dir "$n.plan" -o "$n.want"
  check "$n: the dump run ($ERR)" test "$RC" = 0
  check "$n: the table" test "$(table_rows "$n.plan")" = "$rows"
  cp "$n.dev" "$n.flash"
  emu_start "$tr" "$chip" "$n.flash" ${EMU_ARGS:-} || { fail "$n: espemu"; return; }
  run timeout 120 "$MPI" "$EMU_PORT" --ota-switch "$fw" --yes --backup "$n.backup"
  emu_stop
  check "$n: the device run ($ERR)" test "$RC" = 0
  check "$n: the device ends as the dump" cmp -s "$n.flash" "$n.want"
  check "$n: the kept slot" test "$(region "$n.flash" "$keep" "$keep_len")" = \
    "$(region "$n.dev" "$from" "$keep_len")"
  check "$n: nvs untouched" test "$(region "$n.flash" 0x9000 "$nvs")" = "$(region "$n.dev" 0x9000 "$nvs")"
  check "$n: MicroPython in its slot" emu_holds "$n.flash" "$slot" "$n.plan/micropython.app-bin"
  check "$n: the table on flash" emu_holds "$n.flash" 0x8000 "$n.plan/partitions.bin"
  check "$n: the vfs head erased" test "$(region "$n.flash" "$vfs" 0x4000)" = "$(ff 0x4000)"
  local b; b=$(boots "$n.flash")
  check "$n: boots MicroPython ($b)" test "${b#* }" = micropython
  check "$n: from its slot" contains "$(grep "^${b%% *}," "$n.plan/partitions.csv")" \
    "$(printf '0x%x' "$slot")"
  check "$n: a restore script" test -s "$n.backup/restore.sh"
}

ROWS_DEFAULT='nvs,data,nvs,0x9000,20K, otadata,data,ota,0xe000,8K, app0,app,ota_0,0x10000,1280K, app1,app,ota_1,0x150000,1920K, vfs,data,fat,0x330000,832K, '

# Arduino default.csv, 4 MB, running ota_0; an ESP-IDF 5.1 bootloader with
# esp_bootloader_desc_t; over a pty.
device d1 esp32 4M "$ARD/default.bin" 0 --boot-idf v5.1.4 --app-idf v5.1.4
mp mp524.bin esp32 v5.2.2 v1.24.1
scenario d1 pty esp32 mp524.bin 0x10000 0x140000 0x5000 0x150000 0x330000 "$ROWS_DEFAULT"

# The same running ota_1: MicroPython cannot fit beside it, so the running
# app is copied into ota_0 and selected first; an ESP-IDF 4.4 bootloader
# without a descriptor (its banner string), MicroPython built on 4.4; TCP.
device d2 esp32 4M "$ARD/default.csv" 1 --boot-idf v4.4.7 --boot-no-desc --app-idf v4.4.7
mp mp120.bin esp32 v4.4.7 v1.20.0
scenario d2 tcp esp32 mp120.bin 0x10000 0xc0000 0x5000 0x150000 0x330000 "$ROWS_DEFAULT" 0x150000
check "d2: the backup holds the old app1" cmp -s <(emu_region d2.backup/0x00150000.bin 0 0x140000) \
  <(emu_region d2.dev 0x150000 0x140000)

# min_spiffs: MicroPython's slot stays where app1 was, vfs is the old spiffs.
device d3 esp32 4M "$ARD/min_spiffs.bin" 0 --boot-idf v5.0.2 --app-idf v5.0.2
scenario d3 tcp esp32 mp524.bin 0x10000 0x1e0000 0x5000 0x1f0000 0x3d0000 \
  'nvs,data,nvs,0x9000,20K, otadata,data,ota,0xe000,8K, app0,app,ota_0,0x10000,1920K, app1,app,ota_1,0x1f0000,1920K, vfs,data,fat,0x3d0000,192K, '

# ESP-IDF's partitions_two_ota with its factory app running (otadata
# erased): MicroPython into ota_0, ota_1 and the free space become vfs.
device d4 esp32 4M "$IDF/partitions_two_ota.bin" none --boot-idf v5.2.1 --app-idf v5.2.1
scenario d4 pty esp32 mp524.bin 0x10000 0x100000 0x4000 0x110000 0x2f0000 \
  'nvs,data,nvs,0x9000,16K, otadata,data,ota,0xd000,8K, phy_init,data,phy,0xf000,4K, factory,app,factory,0x10000,1M, ota_0,app,ota_0,0x110000,1920K, vfs,data,fat,0x2f0000,1088K, '

# An 8 MB board.
device d5 esp32 8M "$ARD/default_8MB.bin" 0 --boot-idf v5.1.4 --app-idf v5.1.4
"$FWGEN" --chip esp32 --flash-size 8M --app-idf v5.2.2 --version v1.24.1 --table v1.26 -o mp8.bin
EMU_ARGS="--flash-size 8M" scenario d5 tcp esp32 mp8.bin 0x10000 0x330000 0x5000 0x340000 0x520000 \
  'nvs,data,nvs,0x9000,20K, otadata,data,ota,0xe000,8K, app0,app,ota_0,0x10000,3264K, app1,app,ota_1,0x340000,1920K, vfs,data,fat,0x520000,2944K, '

# An ESP32-S3 (bootloader at 0x0) and an ESP32-C3, MicroPython as .app-bin.
device d6 esp32s3 4M "$ARD/default.bin" 0 --boot-idf v5.3.1 --app-idf v5.3.1
"$FWGEN" --chip esp32s3 --app-idf v5.4.2 --version v1.26.1 --app-only -o mps3.app-bin
scenario d6 tcp esp32s3 mps3.app-bin 0x10000 0x140000 0x5000 0x150000 0x330000 "$ROWS_DEFAULT"
device d7 esp32c3 4M "$ARD/default.bin" 1 --boot-idf v5.1.4 --app-idf v5.1.4
"$FWGEN" --chip esp32c3 --app-idf v5.2.2 --version v1.24.1 --app-only -o mpc3.app-bin
scenario d7 pty esp32c3 mpc3.app-bin 0x10000 0xc0000 0x5000 0x150000 0x330000 "$ROWS_DEFAULT" \
  0x150000

# A switched device, switched again: said so, nothing changed.
cp d1.flash again.flash
emu_start tcp esp32 again.flash
run "$MPI" "$EMU_PORT" --ota-switch mp524.bin --yes --backup again.bk
emu_stop
check "rerun: succeeds" test "$RC" = 0
check "rerun: says it is done" contains "$OUT" "Already switched"
check "rerun: nothing written" cmp -s again.flash d1.flash
check "rerun: no backup taken" test ! -e again.bk

# --dry-run, and no --yes without a terminal: the device is not touched.
cp d1.dev dry.flash
emu_start tcp esp32 dry.flash
run "$MPI" "$EMU_PORT" --ota-switch mp524.bin --dry-run
check "--dry-run: succeeds ($ERR)" test "$RC" = 0
check "--dry-run: prints the steps" contains "$OUT" "5. otadata: boot 'app1'"
run "$MPI" "$EMU_PORT" --ota-switch mp524.bin </dev/null
check "no --yes: refused" test "$RC" = 1
check "no --yes: says why" contains "$ERR" "give --yes"
emu_stop
check "--dry-run and no --yes: nothing written" cmp -s dry.flash d1.dev

# Refusals: one line naming the problem, exit 1, the device unchanged.
refused() {   # refused NAME DEVICE_IMAGE FIRMWARE MESSAGE
  cp "$2" refused.flash
  emu_start tcp esp32 refused.flash ${EMU_ARGS:-}
  run "$MPI" "$EMU_PORT" --ota-switch "$3" --yes --backup "refused-$1.bk"
  emu_stop
  check "$1: exit 1" test "$RC" = 1
  check "$1: one line" test "$(printf '%s\n' "$ERR" | wc -l)" = 1
  check "$1: '$4' in: $ERR" contains "$ERR" "$4"
  check "$1: nothing written" cmp -s refused.flash "$2"
}
"$FWGEN" --chip esp32 --table v1.25 --dump --pad -o mpdevice.dev
refused "not an OTA layout" mpdevice.dev mp524.bin "not an OTA layout"
printf 'nvs,data,nvs,0x9000,0x5000,\notadata,data,ota,0xe000,0x2000,\napp0,app,ota_0,0x10000,0x180000,\napp1,app,ota_1,0x190000,0x60000,\n' > small.csv
device small esp32 2M small.csv 0 --boot-idf v5.1.4 --app-idf v5.1.4
"$FWGEN" --chip esp32 --flash-size 2M --app-idf v5.2.2 --version v1.24.1 --table v1.26 -o mp2.bin
EMU_ARGS="--flash-size 2M" refused "no room" small.dev mp2.bin "no room for MicroPython"
"$FWGEN" --chip esp32s3 --app-idf v5.2.2 --version v1.24.1 --table v1.26 -o mps3.bin
refused "another chip" d1.dev mps3.bin "the MicroPython app is for esp32s3, the device is esp32"
device corrupt esp32 4M "$ARD/default.bin" 0 --boot-idf v5.1.4 --app-idf v5.1.4 --corrupt-otadata
refused "corrupt otadata" corrupt.dev mp524.bin "otadata at 0xe000 is corrupt"
"$FWGEN" --chip esp32 --app-idf v5.2.2 --version v1.24.1 --min-rev 400 --app-only -o rev4.app-bin
refused "chip revision" d1.dev rev4.app-bin "runs on chip revisions v4.0 to any; this chip is v3.0"
printf 'print("hello")\n' > main.py
refused "not an image" d1.dev main.py "main.py: not an ESP firmware image"
# ESP-IDF v3.3 bootloader, MicroPython on v5.2: refused, naming what works.
device old esp32 4M "$ARD/default.bin" 0 --boot-idf v3.3.5 --boot-no-desc --app-idf v3.3.5
refused "v3.3 bootloader" old.dev mp524.bin "MicroPython v1.14 from micropython.org"

# The verdict on files: --force overrides it; an unknown version warns.
run "$MPI" old.dev --ota-switch mp524.bin --force -o forced.bin
check "--force: goes on ($ERR)" test "$RC" = 0
check "--force: says so" contains "$OUT" "REFUSED (overridden by --force)"
check "--force: boots MicroPython" test "$(boots forced.bin)" = "app1 micropython"
device hash esp32 4M "$ARD/default.bin" 0 --boot-idf 9e627e7-dirty --boot-no-desc
run "$MPI" hash.dev --ota-switch mp524.bin --dry-run
check "unknown bootloader version: goes on ($ERR)" test "$RC" = 0
check "unknown bootloader version: warns" contains "$OUT" "Warning: Verdict: UNKNOWN"
check "--dry-run on a dump: no output file" test ! -e hash-ota-switch.dev

# A fleet that cannot be read: its table (CSV) and bootloader alone.
"$MPI" -q d2.dev --read bootloader=boot.bin >/dev/null
run "$MPI" --deployed-table "$ARD/default.csv" --deployed-bootloader boot.bin \
  --ota-switch mp120.bin --plan-dir fleet
check "fleet: plans ($ERR)" test "$RC" = 0
check "fleet: the table" test "$(table_rows fleet)" = "$ROWS_DEFAULT"
check "fleet: the bootloader's version" contains "$OUT" "ESP-IDF v4.4.7 (from its banner string)"
for f in partitions.bin partitions.csv ota_switch.h micropython.app-bin plan.json; do
  check "fleet: $f" test -s "fleet/$f"
done
check "fleet: no end state" test ! -e fleet/end-state.bin
check "fleet: the header names the kept slot" grep -q 'MPI_SWITCH_KEEP_SLOT_OFFSET 0x10000' fleet/ota_switch.h
# the old table's MD5 is that of what gen_esp32part made of the CSV, as on
# the devices; the new one's that of partitions.bin
check "fleet: the old table's MD5" grep -q "OLD_TABLE_MD5 \"$(head -c 3072 "$ARD/default.bin" | md5sum | cut -c1-32)\"" fleet/ota_switch.h
check "fleet: the new table's MD5" grep -q "TABLE_MD5 \"$(md5sum < fleet/partitions.bin | cut -c1-32)\"" fleet/ota_switch.h
if command -v cc >/dev/null; then
  printf '#include "ota_switch.h"\nint main(void) { return mpi_switch_table[0] == 0xaa ? 0 : 1; }\n' > use.c
  check "fleet: the header compiles" cc -Wall -Werror -I fleet -o use use.c
  check "fleet: its table starts with AA 50" ./use
fi
if command -v python3 >/dev/null; then
  check "fleet: plan.json is JSON" python3 -c "import json,sys; json.load(open('fleet/plan.json'))"
fi
check "d1: the end state is the output file" cmp -s d1.plan/end-state.bin d1.want

# Usage: the switch's options need it, and it runs alone.
run "$MPI" d1.dev --yes
check "--yes alone: a usage error" test "$RC" = 2
check "--yes alone: says why" contains "$ERR" "--yes goes with --ota-switch"
run "$MPI" d1.dev --ota-switch mp524.bin --table ota
check "--ota-switch with --table: a usage error" test "$RC" = 2
run "$MPI" --deployed-table "$ARD/default.csv" --ota-switch mp524.bin
check "--deployed-table alone: a usage error" test "$RC" = 2
finish
