#!/usr/bin/env bash
# --json (README "JSON output"): every command that has it prints one
# document on stdout and nothing else, and the document is what the
# schema in the README says (tests/support/json_check), also on failure.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool
JSON_CHECK="$BUILD/json_check"
README="$MPI_SOURCE/README.md"

# valid NAME WANT_RC CMD...: the document validates; WANT_RC the status.
valid() {
  local name=$1 want=$2
  shift 2
  run "$@"
  check "$name: status $RC" test "$RC" = "$want"
  check "$name: one line on stdout" test "$(printf '%s\n' "$OUT" | wc -l)" = 1
  check "$name: validates" bash -c '"$1" "$2" <<<"$3"' _ "$JSON_CHECK" "$README" "$OUT"
}
check "the checker refuses an unknown key" bash -c \
  '! "$1" "$2" <<<"{\"schema\":\"mpi-json/1\",\"tool\":\"esptool\",\"command\":\"x\",\"ok\":true,\"extra\":1}" 2>/dev/null' \
  _ "$JSON_CHECK" "$README"
check "the checker refuses two documents" bash -c '! "$1" "$2" <<<"{} {}" 2>/dev/null' _ "$JSON_CHECK" "$README"

"$FWGEN" --chip esp32 -o fw.bin
valid "image_info" 0 "$ESPTOOL" --json image_info fw.bin
check "image_info: the app's bootloader descriptor" contains "$OUT" '"boot_desc":{"version":1'
valid "mpi summary of a file" 0 "$MPI" --json fw.bin
check "summary: the implicit vfs" contains "$OUT" '"name":"vfs","type":"data","subtype":"fat","offset":2097152,"size":2097152,"flags":0,"implicit":true'
valid "mpi table change" 0 "$MPI" --json fw.bin --table ota -a 0x1b0000 -o ota.bin
valid "mpi --fs mkfs, put, ls, df, info" 0 "$MPI" --json fw.bin --fs mkfs --fs put fw.bin / --fs ls --fs df --fs info -o fs.bin
check "ls lists the file" contains "$OUT" '{"path":"fw.bin","type":"file","size":'
valid "mpi --read" 0 "$MPI" --json fs.bin --read nvs=nvs.bin
valid "mpi error" 1 "$MPI" --json fw.bin --erase nosuchpart -o x.bin
check "the error is an object" contains "$OUT" '"ok":false,"error":{"message":'
valid "mpi missing file" 1 "$MPI" --json missing.bin

emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
P=$EMU_PORT
for cmd in chip_id read_mac flash_id; do
  valid "esptool $cmd" 0 "$ESPTOOL" -p "$P" --json $cmd
done
valid "esptool write_flash" 0 "$ESPTOOL" -p "$P" --json write_flash 0x1000 fs.bin
check "write: sent and skipped" grep -qE '"sent":[0-9]+,"skipped":[0-9]+' <<<"$OUT"
valid "esptool verify_flash" 0 "$ESPTOOL" -p "$P" --json verify_flash 0x1000 fs.bin
head -c 8192 /dev/urandom > rnd.bin
valid "esptool verify_flash, mismatch" 2 "$ESPTOOL" -p "$P" --json verify_flash 0x1000 rnd.bin
valid "esptool read_flash" 0 "$ESPTOOL" -p "$P" --json read_flash 0 ALL all.bin
valid "esptool erase_region" 0 "$ESPTOOL" -p "$P" --json erase_region 0x9000 0x6000
valid "esptool error" 2 "$ESPTOOL" -p "$P" --json read_flash 0 0x800000 x.bin
valid "mpi device summary" 0 "$MPI" --json "$P"
valid "mpi device --erase" 0 "$MPI" --json "$P" --erase factory
check "device: the plan, the backup, the commit" \
  grep -qE '"op":"change".*"op":"backup".*"op":"commit"' <<<"$OUT"
valid "mpi device --fs ls" 0 "$MPI" --json "$P" --fs ls
finish
