#!/bin/bash
# End-to-end: --fs commands on generated firmware files (v1.25 table with a
# vfs partition, v1.26 implicit vfs) and on plain littlefs images.
set -u
B=${MPI_BUILD:?}
M="$B/mp-image-tool-esp32"
G="$B/fwgen"
[ -x "$M" ] && [ -x "$G" ] || { echo "SKIP: binaries not built"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail() { echo "FAIL: $*"; exit 1; }

"$G" --chip esp32 --table v1.25 -o fw.bin >/dev/null || fail fwgen
out=$("$M" -q fw.bin --fs ls 2>&1)
case "$out" in *"not yet"*) echo "SKIP: --fs not wired in yet"; exit 77;; esac

# mkfs on the vfs partition writes boot.py
"$M" -q fw.bin -o a.bin --fs mkfs >/dev/null || fail mkfs
[ "$("$M" -q a.bin --fs ls)" = "boot.py" ] || fail "ls after mkfs"
"$M" -q a.bin --fs cat boot.py | head -1 | grep -q "executed on every boot" || fail cat

# put files and a tree; several paths in one command all take effect
mkdir -p src/lib/sub
printf 'print(1)\n' > src/main.py
head -c 20000 /dev/urandom > src/lib/blob.bin
printf 'x' > src/lib/sub/x.txt
touch -d '2021-02-03 04:05:06' src/main.py
"$M" -q a.bin -o b.bin --fs put src/main.py src/lib / --fs mkdir d1 d2 d3 \
    --fs put src/main.py renamed.py >/dev/null || fail put
got=$("$M" -q b.bin --fs ls)
for want in boot.py main.py renamed.py d1/ d2/ d3/ lib/ lib/blob.bin lib/sub/ lib/sub/x.txt; do
    echo "$got" | grep -qx "$want" || fail "ls lacks $want: $got"
done
# binary-safe cat
"$M" -q b.bin --fs cat lib/blob.bin > blob.out || fail "cat binary"
cmp -s blob.out src/lib/blob.bin || fail "cat is not binary-safe"
# rm several paths, rename
"$M" -q b.bin -o c.bin --fs rm d1 d2 --fs rename lib lib2 >/dev/null || fail rm
got=$("$M" -q c.bin --fs ls)
echo "$got" | grep -q '^d1/' && fail "rm d1"
echo "$got" | grep -q '^d2/' && fail "rm d2 (multi-path bug)"
echo "$got" | grep -qx 'lib2/blob.bin' || fail rename
# get keeps contents and mtimes
mkdir out
"$M" -q c.bin --fs get / out >/dev/null || fail get
cmp -s out/lib2/blob.bin src/lib/blob.bin || fail "get content"
[ "$(stat -c %Y out/main.py)" = "$(stat -c %Y src/main.py)" ] || fail "get mtime"
# get does not write through a symbolic link planted below its destination
mkdir out2 outside
ln -s "$T/outside" out2/lib2
"$M" -q c.bin --fs get / out2 >/dev/null 2>&1 && fail "get followed a link in DEST"
[ -z "$(ls outside)" ] || fail "get wrote outside DEST"
# `put file newname` stored the file under the new name
"$M" -q c.bin --fs cat renamed.py | cmp -s - src/main.py || fail "put file newname"
# errors: missing source, missing file, unknown command, mkfs on an app
"$M" -q c.bin --fs put nonexistent / >/dev/null 2>&1 && fail "put missing source"
"$M" -q c.bin --fs cat nope >/dev/null 2>&1 && fail "cat missing"
"$M" -q c.bin --fs frob >/dev/null 2>&1 && fail "unknown command"
"$M" -q c.bin --fs mkfs factory >/dev/null 2>&1 && fail "mkfs on app"
"$M" -q c.bin --fs grow vfs 1M >/dev/null 2>&1 && fail "grow shrinks"
# df / info
"$M" -q c.bin --fs df | grep -q '^  vfs ' || fail df
"$M" -q c.bin --fs info | grep -q 'Blocks Total:      512' || fail info

# MicroPython >= 1.26: the implicit vfs
"$G" --chip esp32 --table v1.26 -o fw126.bin >/dev/null || fail fwgen126
"$M" -q fw126.bin -o e.bin --fs mkfs --fs put src/main.py / >/dev/null || fail "mkfs implicit vfs"
"$M" -q e.bin --fs ls | grep -qx main.py || fail "ls implicit vfs"
# the superblock says what MicroPython mounts: the region 0x200000..0x400000
out=$("$M" e.bin --fs info 2>&1)
echo "$out" | grep -q 'Blocks Total:      512' || fail "implicit vfs block count: $out"
echo "$out" | grep -q 'fs grow' && fail "implicit vfs reported as mismatched"

# plain filesystem images, and a grown partition
S=${MPI_SHARED:-}
if [ -n "$S" ] && [ -f "$S/fixtures/littlefs/mpy_1MB_project.img" ]; then
    cp "$S/fixtures/littlefs/mpy_1MB_project.img" p.img
    chmod u+w p.img
    "$M" -q p.img --fs ls | grep -qx 'boot.py' || fail "ls plain image"
    head -c 1048576 /dev/zero | tr '\0' '\377' >> p.img
    "$M" p.img --fs info 2>&1 | grep -q "fs grow" || fail "mismatch not reported"
    "$M" -q p.img -o g.img --fs grow >/dev/null || fail grow
    "$M" -q g.img --fs info | grep -q 'Blocks Total:      512' || fail "grow result"
    "$M" -q "$S/fixtures/littlefs/damaged_truncated_40000B.img" --fs ls >/dev/null 2>err.txt && fail truncated
    grep -q truncated err.txt || fail "truncated message"
fi
echo "ok"
