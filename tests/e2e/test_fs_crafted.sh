#!/bin/bash
# End-to-end: --fs on what MicroPython trees and crafted images hold: names
# with control characters, a backslash, a NUL or a '/', "" and "..";
# directories reached twice (30 levels sharing pairs, a loop to the root);
# a file whose block list loops; a valid tree 300 levels deep.  Crafted
# images are made with lfs_craft (the project's own littlefs writer).
source "$(dirname "$0")/lib.sh"
CRAFT="$BUILD/lfs_craft"
[ -x "$CRAFT" ] || { echo "SKIP: lfs_craft not built"; exit 77; }

# A fresh plain littlefs image (holding boot.py), 1 MB or SIZE.
mkimg() { rm -f "$1"; "$MPI" -q "$1" --size "${2:-1M}" --fs mkfs >/dev/null; }
# Change an image in place.
edit() { local img=$1; shift; "$MPI" -q "$img" -o "$img" "$@"; }
# Lines that hold a byte a terminal acts on (anything below 0x20 but the
# line's own end, DEL).
raw_controls() { LC_ALL=C grep -c $'[\x01-\x09\x0b-\x1f\x7f]' <<<"$1"; }

# ---- names MicroPython writes: every byte but '/' and NUL -----------------
mkdir -p src/$'d\x01ir'
for n in $'esc\x1b[31mred' $'nl\nname' $'cr\rname' 'back\slash' $'tab\tname' plain.txt; do
  printf '%s' "$n" > "src/$n"
done
printf x > src/$'d\x01ir/in\x02side'
mkimg n.img
run edit n.img --fs put src /
check "put of odd host names ($ERR)" [ "$RC" = 0 ]
run "$MPI" -q n.img --fs ls
check "ls prints no control character" [ "$(raw_controls "$OUT")" = 0 ]
check "ls: one line per entry" [ "$(wc -l <<<"$OUT")" = 10 ]
check "ls: ESC as \\x1b" contains "$OUT" 'src/esc\x1b[31mred'
check "ls: newline as \\x0a" contains "$OUT" 'src/nl\x0aname'
check "ls: CR as \\x0d" contains "$OUT" 'src/cr\x0dname'
check "ls: backslash doubled" contains "$OUT" 'src/back\\slash'
check "ls: directory name escaped" contains "$OUT" 'src/d\x01ir/in\x02side'
run "$MPI" -q n.img --fs get / out
check "get of odd names: exit 0 ($ERR)" [ "$RC" = 0 ]
check "get: every file written" [ "$(find out -type f | wc -l)" = 8 ]
check "get: under the escaped name" [ "$(cat 'out/src/nl\x0aname')" = $'nl\nname' ]
check "get: backslash name" [ -f 'out/src/back\\slash' ]
check "get: directory with a control character" [ -f 'out/src/d\x01ir/in\x02side' ]
# a message naming such a file stays one line, with the same spelling
mkdir -p 'out2/src/nl\x0aname'
run "$MPI" -q n.img --fs get / out2
check "get onto a directory fails" [ "$RC" = 1 ]
check "the error is one line ($ERR)" [ "$(wc -l <<<"$ERR")" = 1 ]
check "the error names the file escaped" contains "$ERR" 'out2/src/nl\x0aname'
check "the error prints no control character" [ "$(raw_controls "$ERR")" = 0 ]

# ---- names only a crafted image holds ----------------------------------------
mkimg c.img
printf 1 > one
for i in 1 2 3 4; do edit c.img --fs put one /c$i >/dev/null; done
"$CRAFT" c.img rename /c1 2e2e          # ".."
"$CRAFT" c.img rename /c2 ""            # ""
"$CRAFT" c.img rename /c3 612f62        # "a/b"
"$CRAFT" c.img rename /c4 6e756c0078    # "nul", NUL, "x"
run "$MPI" -q c.img --fs ls
check "ls: NUL shown as \\x00" contains "$OUT" 'nul\x00x'
check "ls: '/' in a name shown as \\x2f" contains "$OUT" 'a\x2fb'
run "$MPI" -q c.img --fs get / cout
check "get with unwritable names: exit 1" [ "$RC" = 1 ]
check "get says how many were skipped ($ERR)" contains "$ERR" "incomplete: 2 entries skipped"
check "-q still shows the warning for '..'" contains "$ERR" "Skipping '/..': a name that means"
check "-q still shows the warning for ''" contains "$ERR" "an empty name"
check "-q: nothing on stdout" [ -z "$OUT" ]
check "get: the name with a NUL written" [ -f 'cout/nul\x00x' ]
check "get: the name with a '/' written" [ -f 'cout/a\x2fb' ]
check "get: the rest written" [ -f cout/boot.py ]
check "get: nothing outside DEST" [ ! -e one.. ] && [ ! -e x ]

# ---- directories reached twice -----------------------------------------------
# 30 levels /a/a/...; in each but the last a second entry "b" leading to the
# same pair as its "a": 2^30 paths to a walk that does not remember pairs.
p=""
for i in $(seq 30); do p="$p/a"; done
mkdir -p "g$p"
mkimg g.img
edit g.img --fs put g/a / >/dev/null
d=""
for i in $(seq 29); do d="$d/a"; "$CRAFT" g.img link "$d" b "$d/a" || fail "craft level $i"; done
run timeout 20 "$MPI" -q g.img --fs ls
check "ls of shared pairs ends" [ "$RC" != 124 ]
check "ls of shared pairs: exit 1 ($ERR)" [ "$RC" = 1 ]
check "ls: each level once" [ "$(wc -l <<<"$OUT")" = 60 ]
check "ls: each second way reported once" [ "$(grep -c 'reached twice' <<<"$ERR")" = 29 ]
check "ls: says the filesystem is damaged" contains "$ERR" "29 directories not listed in full"
run timeout 20 "$MPI" -q g.img --fs get / gout
check "get of shared pairs ends" [ "$RC" != 124 ]
check "get of shared pairs: exit 1" [ "$RC" = 1 ]
check "get: says incomplete ($ERR)" contains "$ERR" "incomplete: 29 entries skipped"
check "get: each level once" [ "$(find gout -type d | wc -l)" = 31 ]
run timeout 20 "$MPI" -q g.img --fs fsck
check "fsck of shared pairs: 29 problems" contains "$ERR" "fsck found 29 problems"
run timeout 20 "$MPI" -q g.img -o g2.img --fs rm /a
check "rm -r of shared pairs ($ERR)" [ "$RC" = 0 ]
run "$MPI" -q g2.img --fs fsck
check "after rm -r: clean ($ERR)" [ "$RC" = 0 ]

# a directory leading back to the root
mkimg l.img
edit l.img --fs mkdir /x/y >/dev/null
"$CRAFT" l.img link /x/y up /
run timeout 20 "$MPI" -q l.img --fs ls
check "ls of a loop ends" [ "$RC" = 1 ] && contains "$ERR" "'x/y/up': directory pair"
run timeout 20 "$MPI" -q l.img --fs get /x lout
check "get of a loop: the loop skipped ($ERR)" contains "$ERR" "Skipping '/x/y/up'"

# ---- a file whose block list loops ---------------------------------------------
mkimg f.img
head -c 6000 /dev/urandom > loop.bin
edit f.img --fs put loop.bin / >/dev/null
"$CRAFT" f.img loop /loop.bin
run timeout 20 "$MPI" -q f.img --fs get / fout
check "get of a looping file fails ($ERR)" [ "$RC" = 1 ]
check "get names it" contains "$ERR" "fout/loop.bin: not written: /loop.bin: block 0x"
check "get says why" contains "$ERR" "the list loops"
check "nothing of it written" [ ! -e fout/loop.bin ]
run timeout 20 "$MPI" -q f.img --fs cat loop.bin
check "cat of a looping file fails ($ERR)" [ "$RC" = 1 ] && contains "$ERR" "loop.bin"
"$CRAFT" f.img size /loop.bin 0x7fffffff
run timeout 20 "$MPI" -q f.img --fs get /loop.bin big.out
check "a file claiming 2 GB: refused ($ERR)" [ "$RC" = 1 ] && [ ! -e big.out ]

# ---- a valid tree deeper than 128 levels ---------------------------------------
p=""
for i in $(seq 300); do p="$p/d"; done
mkdir -p "deep$p"
printf bottom > "deep$p/bottom.txt"
mkimg d.img 4M
run edit d.img --fs put deep/d /
check "put of 300 levels ($ERR)" [ "$RC" = 0 ]
run "$MPI" -q d.img --fs ls
check "ls of 300 levels ($ERR)" [ "$RC" = 0 ] && [ "$(wc -l <<<"$OUT")" = 301 ]
run "$MPI" -q d.img --fs get / dout
check "get of 300 levels ($ERR)" [ "$RC" = 0 ]
check "get: the bottom file" [ "$(cat "dout$p/bottom.txt")" = bottom ]
run "$MPI" -q d.img -o d2.img --fs rm /d
check "rm -r of 300 levels ($ERR)" [ "$RC" = 0 ]
finish
