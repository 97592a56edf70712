#!/usr/bin/env bash
# A device --fs change cut off at any byte: the connection to the emulated
# chip drops after N bytes, for N stepped across the whole write phase of a
# multi-file put, an rm, a rename across directories and a mkdir (over TCP,
# where a dropped connection fails at once; a pty goes deaf and the tool
# would wait out its timeouts every time).  After
# every cut the filesystem on the chip's flash must mount and pass fsck,
# every file must read back as its old or its new content (never bytes that
# were never written), nothing outside vfs may change, and a clean rerun
# must complete the command.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
export SOURCE_DATE_EPOCH=1700000000
CUTS=${CUTS:-24}          # cut points per command, across its write phase
VFS=$((0x200000))         # the vfs partition of fwgen's v1.25 table

# Deterministic contents (fwgen's app bytes), so every run cuts the same way.
"$FWGEN" --chip esp32 --app-only --app-size 0x20000 --seed 3 -o rnd.bin
slice() { tail -c +$(($2 + 1)) rnd.bin | head -c "$3" > "$1"; }
mkdir -p old/d new/sub
slice old/a.py 0 3000; slice old/b.txt 4000 10000; slice old/big.bin 20000 40000
printf 'hi\n' > old/s.txt; printf 'e' > old/d/e.txt; slice old/d/f.bin 60000 6000
slice new/a.py 70000 3000; slice new/put3k.bin 80000 12000; slice new/s.txt 95000 50
slice new/sub/x.bin 96000 5000
"$FWGEN" --chip esp32 --table v1.25 --dump --pad -o dump.img
"$MPI" -q dump.img --fs mkfs --fs put old/a.py old/b.txt old/big.bin old/s.txt old/d / \
  -o base.img >/dev/null || { fail "base image"; finish; exit; }

# tree IMG DIR: the files of IMG's vfs copied to DIR.
tree() { rm -rf "$2"; "$MPI" -q "$1" --fs get / "$2" >/dev/null; }
# fsck_ok IMG: the vfs of IMG mounts and passes fsck.
fsck_ok() { "$MPI" -q "$1" --fs fsck >/dev/null 2>&1; }
# old_or_new GOT OLD NEW: every path is as in OLD or as in NEW.
old_or_new() {
  local f g o n
  while IFS= read -r f; do
    g=$1/$f o=$2/$f n=$3/$f
    if [ -e "$g" ]; then
      { [ -e "$o" ] && cmp -s "$g" "$o"; } || { [ -e "$n" ] && cmp -s "$g" "$n"; } || {
        echo "$f: neither the old nor the new content"; return 1; }
    elif [ -e "$o" ] && [ -e "$n" ]; then
      echo "$f: missing"; return 1
    fi
  done < <(cd "$1" && find . -type f; cd "$WORK/$2" && find . -type f; cd "$WORK/$3" && find . -type f)
}
# flash_changed FLASH: FLASH differs from base.img.
flash_changed() { ! cmp -s "$1" base.img; }

# cut_run N ARGS...: the command against a fresh copy of base.img, the line
# dropping after N bytes (0: never); leaves the flash in cut.img.
cut_run() {
  local n=$1; shift
  cp base.img cut.img
  local faults=(); [ "$n" -gt 0 ] && faults=(--faults "disconnect=$n")
  emu_start tcp esp32 cut.img "${faults[@]}" || { fail "espemu"; return 1; }
  run timeout 60 "$MPI" -q "$EMU_PORT" "$@"
  emu_stop
}

# line_bytes: the bytes the last session carried (espemu's log).
line_bytes() { sed -n 's/.*line: \([0-9]*\) bytes in, \([0-9]*\) bytes out.*/\1 \2/p' "$EMU_LOG" |
  tail -n 1 | awk '{print $1 + $2}'; }

# scenario NAME IDEMPOTENT ARGS...: everything above for one command.
scenario() {
  local name=$1 idem=$2; shift 2
  "$MPI" -q base.img "$@" -o after.img >/dev/null || { fail "$name: file run"; return; }
  tree base.img old.d; tree after.img new.d
  cut_run 0 "$@"
  check "$name: clean run ($ERR)" test "$RC" = 0
  local total; total=$(line_bytes)
  # The first byte that changes the flash: bisect (a cut never writes more
  # than a later one).
  local lo=0 hi=$total mid
  while [ $((hi - lo)) -gt 32 ]; do
    mid=$(((lo + hi) / 2))
    cut_run "$mid" "$@"
    if flash_changed cut.img; then hi=$mid; else lo=$mid; fi
  done
  local k n cuts=0 bad=0
  for k in $(seq 0 $((CUTS - 1))); do
    n=$((lo + (total - lo) * k / CUTS))
    cut_run "$n" "$@"
    cuts=$((cuts + 1))
    local why=""
    cmp -s <(head -c $VFS cut.img) <(head -c $VFS base.img) || why="flash outside vfs changed"
    [ -z "$why" ] && ! fsck_ok cut.img && why="fsck: $("$MPI" -q cut.img --fs fsck 2>&1 | tail -n 3)"
    [ -z "$why" ] && { tree cut.img got.d; why=$(old_or_new got.d old.d new.d); }
    if [ -z "$why" ]; then
      # a clean rerun on the same flash completes the command
      emu_start tcp esp32 cut.img || { fail "espemu"; return; }
      run timeout 60 "$MPI" -q "$EMU_PORT" "$@"
      emu_stop
      [ "$idem" = yes ] && [ "$RC" != 0 ] && why="rerun failed: $ERR"
      tree cut.img got.d
      [ -z "$why" ] && ! diff -r got.d new.d >/dev/null && why="rerun did not reach the new state"
      [ -z "$why" ] && ! fsck_ok cut.img && why="fsck after the rerun"
    fi
    [ -n "$why" ] && { bad=$((bad + 1)); fail "$name: cut after $n of $total bytes: $why"; }
  done
  check "$name: $cuts cuts from byte $lo to $total, all safe" test "$bad" = 0
}

scenario "put" yes --fs put new/a.py new/put3k.bin new/s.txt new/sub /
scenario "rm -r" no --fs rm d
scenario "rename" no --fs rename b.txt d/b2.txt
scenario "mkdir" no --fs mkdir x/y/z
finish
