# Helpers for the esptool end-to-end tests (sourced after lib.sh): start the
# emulator, remember where to connect, stop it at exit.
ESPTOOL="$BUILD/esptool"
ESPEMU="$BUILD/espemu"
EMU_PIDS=()
trap 'for p in "${EMU_PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT

# start_emu ARGS...: run espemu in the background; sets EMU_URL (pty path,
# socket:// or rfc2217:// URL, from its first output line) and EMU_PID.
start_emu() {
  local log="$WORK/emu.$RANDOM.log"
  "$ESPEMU" "$@" >"$log" 2>&1 &
  EMU_PID=$!
  EMU_PIDS+=("$EMU_PID")
  EMU_URL=""
  for _ in $(seq 100); do
    EMU_URL=$(head -1 "$log" 2>/dev/null | grep -oE '(/dev/pts/[0-9]+|socket://[^ ]+|rfc2217://[^ ]+)')
    [ -n "$EMU_URL" ] && return 0
    sleep 0.05
  done
  echo "espemu did not start: $(cat "$log")"
  return 1
}

stop_emu() { kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null; }

# same_at FLASHFILE OFFSET FILE: the flash image holds FILE at OFFSET.
same_at() { cmp -s <(tail -c +$(($2 + 1)) "$1" | head -c "$(stat -c %s "$3")") "$3"; }

# free_port: an unused TCP port on 127.0.0.1.
free_port() { echo $((20000 + RANDOM % 20000)); }

# The bootloader offset of a chip.
boot_offset() {
  case "$1" in esp32|esp32s2) echo 0x1000 ;; esp32c5|esp32p4) echo 0x2000 ;; *) echo 0x0 ;; esac
}
