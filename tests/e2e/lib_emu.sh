# Helpers for end-to-end tests against the emulated chip (espemu).
# Source it from a tests/e2e/test_*.sh script (CTest sets MPI_BUILD):
#
#   source "$(dirname "$0")/lib_emu.sh"
#   emu_require                               # exit 77 unless espemu is built
#   emu_start pty esp32 "$EMU_TMP/flash.bin"  # or tcp | rfc2217 | ser2net
#   "$ESPTOOL" --port "$EMU_PORT" write_flash 0x10000 fw.bin
#   emu_region "$EMU_FLASH" 0x10000 "$(stat -c %s fw.bin)" | cmp - fw.bin
#   emu_stop                                  # or let the EXIT trap do it
#
# emu_start TRANSPORT CHIP FLASHFILE [espemu options...]
#   pty      espemu --pty; EMU_PORT=/dev/pts/N (no modem lines: the chip is in
#            download mode whenever the port is opened)
#   tcp      espemu --tcp 0; EMU_PORT=socket://127.0.0.1:PORT
#   rfc2217  espemu --rfc2217 0 (its own Telnet server; DTR/RTS drive the
#            reset circuit, the chip powers on running its app);
#            EMU_PORT=rfc2217://127.0.0.1:PORT
#   ser2net  espemu --pty with Debian's ser2net in front of it (loopback
#            only, config in a temp file); EMU_PORT=rfc2217://127.0.0.1:PORT;
#            DTR/RTS end at the pty, so the chip is always in download mode
# Sets EMU_PORT, EMU_PID (espemu), EMU_LOG (espemu's stderr, run with -v),
# EMU_FLASH, EMU_CHIP; EMU_SER2NET_PID for ser2net.  Several emulators may
# run at once; each emu_start overwrites these variables, emu_stop stops
# the last one, emu_cleanup (the EXIT trap) stops them all and removes
# EMU_TMP.  A test that sets its own EXIT trap must call emu_cleanup in it.
#
# Also: EMU_TMP (a private temp dir), ESPTOOL ($MPI_BUILD/esptool),
# EMU_BIN ($MPI_BUILD/espemu), emu_region FILE OFFSET LEN (bytes of the flash
# file on stdout), emu_holds FLASHFILE OFFSET FILE (the flash file holds FILE
# at OFFSET), emu_boot_offset CHIP (where the bootloader goes),
# emu_fresh_flash (a new flash file name in EMU_TMP), emu_log_tail (last
# lines of EMU_LOG, for failure messages), emu_wait_log REGEX [SECONDS] (wait
# until EMU_LOG matches).
#
# With tests/e2e/lib.sh (sourced first) a test also needs its work dir
# removed at exit: trap 'emu_cleanup; rm -rf "$WORK"' EXIT

: "${MPI_BUILD:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build" 2>/dev/null && pwd)}"
EMU_BIN=${EMU_BIN:-$MPI_BUILD/espemu}
ESPTOOL=${ESPTOOL:-$MPI_BUILD/esptool}
EMU_TMP=$(mktemp -d "${TMPDIR:-/tmp}/emu-e2e.XXXXXX")
# Whatever a program leaves in its working directory (a device backup, say)
# lands in a temp dir, never where the test was started (lib.sh, when
# sourced first, has moved there already).
[ -n "${WORK:-}" ] || cd "$EMU_TMP"
_emu_pids=()
_emu_count=0
EMU_PID=
EMU_SER2NET_PID=
EMU_PORT=
EMU_LOG=/dev/null
EMU_FLASH=
EMU_CHIP=
EMU_PTY=

emu_cleanup() {
    local p
    for p in "${_emu_pids[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${_emu_pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    _emu_pids=()
    [ -n "$EMU_TMP" ] && rm -rf "$EMU_TMP"
}
trap emu_cleanup EXIT

emu_require() {
    if [ ! -x "$EMU_BIN" ]; then
        echo "SKIP: $EMU_BIN not built"
        exit 77
    fi
}

emu_require_esptool() {
    if [ ! -x "$ESPTOOL" ]; then
        echo "SKIP: $ESPTOOL not built"
        exit 77
    fi
}

emu_fresh_flash() {
    _emu_count=$((_emu_count + 1))
    echo "$EMU_TMP/flash$_emu_count.bin"
}

# emu_wait_log REGEX [SECONDS]: wait until the emulator log matches (grep -E).
emu_wait_log() {
    local i n=$(( ${2:-2} * 20 ))
    for i in $(seq "$n"); do
        grep -Eq "$1" "$EMU_LOG" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

emu_log_tail() {
    tail -n "${1:-20}" "$EMU_LOG" 2>/dev/null
}

# Wait until a TCP port listens on 127.0.0.1 (reads /proc, opens nothing).
_emu_wait_listen() {
    local port=$1 hex i
    hex=$(printf '%04X' "$port")
    for i in $(seq 100); do
        if grep -q ":$hex 00000000:0000 0A" /proc/net/tcp 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

_emu_free_port() {
    local port hex
    while :; do
        port=$((20000 + RANDOM % 40000))
        hex=$(printf '%04X' "$port")
        grep -q ":$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null || break
    done
    echo "$port"
}

emu_start() {
    local transport=$1 chip=$2 flash=$3
    shift 3
    local args
    case $transport in
        pty|ser2net) args=(--pty) ;;
        tcp) args=(--tcp 0) ;;
        rfc2217) args=(--rfc2217 0) ;;
        *) echo "emu_start: unknown transport '$transport'" >&2; return 1 ;;
    esac
    _emu_count=$((_emu_count + 1))
    local out="$EMU_TMP/espemu$_emu_count.out"
    EMU_LOG="$EMU_TMP/espemu$_emu_count.log"
    EMU_FLASH=$flash
    EMU_CHIP=$chip
    "$EMU_BIN" --chip "$chip" --flash "$flash" "${args[@]}" -v "$@" >"$out" 2>"$EMU_LOG" &
    EMU_PID=$!
    _emu_pids+=("$EMU_PID")
    local i line=""
    for i in $(seq 200); do
        line=$(head -n 1 "$out" 2>/dev/null)
        [ -n "$line" ] && break
        if ! kill -0 "$EMU_PID" 2>/dev/null; then
            echo "emu_start: espemu exited: $(cat "$EMU_LOG")" >&2
            return 1
        fi
        sleep 0.02
    done
    case $line in
        "espemu: $chip on "*) EMU_PORT=${line#"espemu: $chip on "} ;;
        *) echo "emu_start: unexpected first line '$line'" >&2; return 1 ;;
    esac
    if [ "$transport" = ser2net ]; then
        _emu_start_ser2net "$EMU_PORT" || return 1
    fi
    return 0
}

_emu_start_ser2net() {
    local pty=$1 port conf
    command -v ser2net >/dev/null || { echo "emu_start: ser2net not installed" >&2; return 1; }
    port=$(_emu_free_port)
    conf="$EMU_TMP/ser2net$_emu_count.yaml"
    cat >"$conf" <<EOF
%YAML 1.1
---
connection: &espemu$_emu_count
  accepter: telnet(rfc2217),tcp,127.0.0.1,$port
  connector: serialdev,$pty,115200n81,local
  options:
    kickolduser: true
EOF
    ser2net -n -u -c "$conf" -P "$EMU_TMP/ser2net$_emu_count.pid" \
        >"$EMU_TMP/ser2net$_emu_count.log" 2>&1 &
    EMU_SER2NET_PID=$!
    _emu_pids+=("$EMU_SER2NET_PID")
    if ! _emu_wait_listen "$port"; then
        echo "emu_start: ser2net did not listen on $port: $(cat "$EMU_TMP/ser2net$_emu_count.log")" >&2
        return 1
    fi
    EMU_PTY=$pty
    EMU_PORT="rfc2217://127.0.0.1:$port"
}

# Stop the most recently started emulator (and its ser2net).
emu_stop() {
    local p
    for p in "$EMU_SER2NET_PID" "$EMU_PID"; do
        [ -n "$p" ] || continue
        kill -TERM "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    EMU_SER2NET_PID=
}

# emu_region FILE OFFSET LEN: the bytes of a flash file (offsets may be hex).
emu_region() {
    local off=$(($2)) len=$(($3))
    tail -c +$((off + 1)) "$1" | head -c "$len"
}

# emu_holds FLASHFILE OFFSET FILE: the flash file holds FILE at OFFSET.
emu_holds() {
    emu_region "$1" "$2" "$(stat -c %s "$3")" | cmp -s - "$3"
}

# emu_boot_offset CHIP: the flash offset of the second-stage bootloader.
emu_boot_offset() {
    case $1 in
        esp32|esp32s2) echo 0x1000 ;;
        esp32c5|esp32p4) echo 0x2000 ;;
        *) echo 0x0 ;;
    esac
}
