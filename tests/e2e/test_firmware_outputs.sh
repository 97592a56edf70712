#!/usr/bin/env bash
# Nothing lost, nothing silent (issue 13), for mp-image-tool-esp32's files:
# an output that is a FIFO, a device or a symbolic link is written through,
# never replaced by a regular file; an input without an end (a FIFO,
# /dev/zero) is read up to its bound; a run killed while writing leaves no
# temporary and the next run removes what an older one left; a `--fs get`
# that fails part-way leaves no half-written file and says so.
. "$(dirname "$0")/lib.sh"

"$FWGEN" --chip esp32 --table v1.25 -o fw.bin
"$MPI" -q fw.bin -o ref.bin -f 8M 2>/dev/null
temporaries() { find . -name '*.tmp-*' | sort; }
# one error line (a warning may come before it)
one_error() { test "$(grep -c '^Error: ' <<<"$1")" -eq 1; }

# ---- outputs that are not regular files ----

# A FIFO is written into (a writer of our own keeps the reader from waiting
# for ever should the tool never open it).
mkfifo out.fifo
cat out.fifo > from-fifo.bin &
reader=$!
exec 3>out.fifo
run "$MPI" -q fw.bin -o out.fifo -f 8M
exec 3>&-
wait $reader
check "-o FIFO: succeeds ($ERR)" test $RC -eq 0
check "-o FIFO: still a FIFO" test -p out.fifo
check "-o FIFO: the reader got the output" cmp -s from-fifo.bin ref.bin

# A symbolic link: its target is written, the link stays.
ln -s target.bin out-link.bin
run "$MPI" -q fw.bin -o out-link.bin -f 8M
check "-o LINK: succeeds ($ERR)" test $RC -eq 0
check "-o LINK: still a link" test -L out-link.bin
check "-o LINK: the target holds the output" cmp -s target.bin ref.bin
# a chain of relative links, through a directory
mkdir sub
ln -s sub/hop.bin chain.bin
ln -s ../end.bin sub/hop.bin
run "$MPI" -q fw.bin -o chain.bin -f 8M
check "-o LINK->LINK: succeeds ($ERR)" test $RC -eq 0
check "-o LINK->LINK: links stay" test -L chain.bin -a -L sub/hop.bin
check "-o LINK->LINK: the end holds the output" cmp -s end.bin ref.bin
check "-o LINK->LINK: nothing beside the link in sub" test "$(ls sub)" = hop.bin
# a file replaced through a link keeps its permissions
printf 'old' > private.bin
chmod 600 private.bin
ln -s private.bin to-private.bin
run "$MPI" -q fw.bin -o to-private.bin -f 8M
check "-o LINK to a 0600 file: written" cmp -s private.bin ref.bin
check "-o LINK to a 0600 file: still 0600" test "$(stat -c %a private.bin)" = 600

# A character device: written directly; a full one is a one-line error.
ln -s /dev/full to-full
run "$MPI" -q fw.bin -o to-full -f 8M
check "-o /dev/full: exit 1" test $RC -eq 1
check "-o /dev/full: one line" one_error "$ERR"
check "-o /dev/full: says why ($ERR)" contains "$ERR" "No space left on device"
check "-o /dev/full: the link stays" test "$(readlink to-full)" = /dev/full
ln -s /dev/null to-null
run "$MPI" -q fw.bin -o to-null -f 8M
check "-o /dev/null: succeeds ($ERR)" test $RC -eq 0
check "-o /dev/null: the link stays" test "$(readlink to-null)" = /dev/null
# a device node of our own (root only): it stays a device
if mknod full-node c 1 7 2>/dev/null; then
  run "$MPI" -q fw.bin -o full-node -f 8M
  check "-o DEVICE NODE: exit 1" test $RC -eq 1
  check "-o DEVICE NODE: names it ($ERR)" contains "$ERR" "full-node: short write"
  check "-o DEVICE NODE: still a character device" test -c full-node
fi
# a directory: refused, untouched
mkdir adir
run "$MPI" -q fw.bin -o adir -f 8M
check "-o DIR: exit 1" test $RC -eq 1
check "-o DIR: says so ($ERR)" contains "$ERR" "adir: is a directory"
check "-o DIR: still a directory" test -d adir

# The other outputs go the same way: --read, -x, --fs get to a file.
ln -s nvs-target.bin nvs-link.bin
run "$MPI" -q fw.bin --read nvs=nvs-link.bin
check "--read to a LINK: succeeds ($ERR)" test $RC -eq 0
check "--read to a LINK: still a link" test -L nvs-link.bin
check "--read to a LINK: target written" test "$(stat -c %s nvs-target.bin)" -eq $((0x6000))
ln -s /dev/null app-null
run "$MPI" -q fw.bin -x -o app-null
check "-x to /dev/null: succeeds ($ERR)" test $RC -eq 0
check "-x to /dev/null: the link stays" test -L app-null
"$MPI" -q fw.bin --fs mkfs -o fs.bin
ln -s got-boot.py boot-link.py
run "$MPI" -q fs.bin --fs get boot.py boot-link.py
check "--fs get FILE to a LINK: succeeds ($ERR)" test $RC -eq 0
check "--fs get FILE to a LINK: still a link" test -L boot-link.py
check "--fs get FILE to a LINK: target written" grep -q "executed on every boot" got-boot.py
check "outputs: no temporaries left" test -z "$(temporaries)"

# ---- inputs without bounds ----

mkfifo in.fifo
timeout 60 bash -c 'cat fw.bin > in.fifo' &   # not for ever if never read
run "$MPI" -q in.fifo -o from-pipe.bin -f 8M
check "FIFO input: read ($ERR)" test $RC -eq 0
check "FIFO input: same output as the file" cmp -s from-pipe.bin ref.bin
run "$MPI" -q fw.bin --write nvs=/dev/zero
check "--write from /dev/zero: exit 1" test $RC -eq 1
check "--write from /dev/zero: too large ($ERR)" contains "$ERR" "/dev/zero: too large"
run "$MPI" -q fw.bin --from-csv /dev/zero
check "--from-csv /dev/zero: too large ($ERR)" contains "$ERR" "/dev/zero: too large (more than 1 MB"
truncate -s 200M sparse.bin
run "$MPI" -q sparse.bin
check "200 MB input: refused before reading ($ERR)" contains "$ERR" "sparse.bin: too large (209715200 bytes"
rm -f sparse.bin

# ---- temporaries ----

# The next run removes its output's temporaries left by a killed run:
# exactly OUT.tmp-XXXXXX, older than the run, this user's.  Others stay.
touch -d '1 hour ago' out.bin.tmp-Ab12Cd out.bin.tmp-short other.bin.tmp-Ab12Cd
touch -d 'tomorrow' out.bin.tmp-Zz99Yy
if [ "$(id -u)" = 0 ]; then
  touch -d '1 hour ago' out.bin.tmp-NoBody
  chown 65534 out.bin.tmp-NoBody
fi
run "$MPI" -q fw.bin -o out.bin -f 8M
check "stale temporary removed" test ! -e out.bin.tmp-Ab12Cd
check "a newer temporary stays" test -e out.bin.tmp-Zz99Yy
check "another pattern stays" test -e out.bin.tmp-short
check "another output's temporary stays" test -e other.bin.tmp-Ab12Cd
[ "$(id -u)" = 0 ] && check "another user's temporary stays" test -e out.bin.tmp-NoBody
rm -f ./*.tmp-*

# Killed while writing (SIGXFSZ: the output outgrows `ulimit -f`): the
# temporary goes, and the signal still ends the run.
run bash -c 'ulimit -f 512; exec "$0" -q fw.bin -o killed.bin -f 8M' "$MPI"
check "SIGXFSZ: the run ends by the signal" test $RC -eq $((128 + 25))
check "SIGXFSZ: no temporary left ($(temporaries))" test -z "$(temporaries)"
check "SIGXFSZ: no output" test ! -e killed.bin

# ---- --fs get that fails part-way ----

mkdir tree
head -c 300000 /dev/urandom > tree/zbig.bin   # copied last: names are in order
printf 'small\n' > tree/small.txt
"$MPI" -q fs.bin -o bigfs.bin --fs put tree/zbig.bin tree/small.txt / >/dev/null
# With SIGXFSZ ignored, a write past `ulimit -f` fails with EFBIG.
run bash -c 'trap "" XFSZ; ulimit -f 100; exec "$0" -q bigfs.bin --fs get / got' "$MPI"
check "get cut short: exit 1" test $RC -eq 1
check "get cut short: one line" one_error "$ERR"
check "get cut short: names the file ($ERR)" contains "$ERR" "got/zbig.bin: not written"
check "get cut short: says the copy is incomplete" contains "$ERR" "the copy in got is incomplete"
check "get cut short: no partial file" test ! -e got/zbig.bin
check "get cut short: the files before it are whole" cmp -s got/small.txt tree/small.txt
check "get cut short: no temporaries left" test -z "$(temporaries)"

finish
