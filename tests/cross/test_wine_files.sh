# The Windows build's file operations give byte for byte what the Linux
# build gives: output files, and what it prints.  Run by
# scripts/cross-test.sh windows: MPI_BUILD holds the wrappers that run the
# .exe under wine, MPI_NATIVE the Linux build.  Also what is Windows' own:
# UTF-8 names through the wide-character calls, '\' in local paths,
# replacing an existing output, and a `--fs get` that skips the names
# Windows cannot hold (CON, a:b, "dot.") instead of writing them elsewhere.
source "$MPI_SOURCE/tests/e2e/lib.sh"
NATIVE=${MPI_NATIVE:?the Linux build}
LMPI="$NATIVE/mp-image-tool-esp32"
LESPTOOL="$NATIVE/esptool"
ESPTOOL="$BUILD/esptool"

# same DESCRIPTION ARGS...: mp-image-tool-esp32 ARGS gives the same exit
# status, stdout and stderr on both; output files named in $OUTS must be
# identical.  Each side runs in its own directory holding the same inputs.
OUTS=()
same_as_linux() {
  local d=$1 tool=$2 rc_w rc_l
  shift 2
  local wtool=$MPI ltool=$LMPI
  [ "$tool" = esptool ] && wtool=$ESPTOOL ltool=$LESPTOOL
  (cd win && "$wtool" "$@" >../w.out 2>../w.err); rc_w=$?
  (cd lin && "$ltool" "$@" >../l.out 2>../l.err); rc_l=$?
  check "$d: exit status ($rc_w on Windows, $rc_l on Linux)" test "$rc_w" = "$rc_l"
  check "$d: stdout ($(diff w.out l.out | head -3))" cmp -s w.out l.out
  check "$d: stderr ($(diff w.err l.err | head -3))" cmp -s w.err l.err
  local f
  for f in "${OUTS[@]}"; do
    check "$d: $f" cmp -s "win/$f" "lin/$f"
  done
  OUTS=()
}

mkdir -p win lin
"$FWGEN" --chip esp32 --table v1.25 -o fw.bin >/dev/null
"$FWGEN" --chip esp32s3 --table v1.26 -o s3.bin >/dev/null
mkdir -p src/lib/sub
printf 'print(1)\n' >src/main.py
head -c 30000 /dev/urandom >src/lib/blob.bin
printf 'x' >src/lib/sub/x.txt
printf 'grüße\n' >"src/grüße.py"        # UTF-8 names, both ways
printf '日本\n' >"src/lib/日本.txt"
touch -d '2021-02-03 04:05:06' src/main.py src/lib/sub/x.txt "src/grüße.py" "src/lib/日本.txt"
touch -d '2022-01-01 00:00:00' src/lib/blob.bin
printf 'nvs,data,nvs,0x9000,0x6000\nfactory,app,factory,0x10000,0x1F0000\nvfs,data,fat,,0x200000\n' >t.csv
for d in win lin; do cp -a fw.bin s3.bin src t.csv "$d/"; done
export SOURCE_DATE_EPOCH=1600000000    # the time mkfs gives boot.py

same_as_linux "summary" mpi fw.bin
same_as_linux "summary, v1.26" mpi s3.bin
OUTS=(ota.bin)
same_as_linux "-f 8M --table ota" mpi fw.bin -f 8M --table ota -a 0x1f0B -o ota.bin
OUTS=(fw-resize=vfs=1048576.bin)
same_as_linux "--resize, the default output name" mpi fw.bin --resize vfs=1M
OUTS=(e.bin)
same_as_linux "--delete --resize --add --rename" mpi fw.bin --delete phy_init --resize vfs=1M \
  --add data2=fat:0:64K --rename vfs=ffat -o e.bin
OUTS=(csv.bin)
same_as_linux "--from-csv" mpi fw.bin --from-csv t.csv -o csv.bin
OUTS=(fw.app-bin)
same_as_linux "-x" mpi fw.bin -x
OUTS=(bl.bin app.bin pt.bin)
same_as_linux "--read --trim" mpi fw.bin --read bootloader=bl.bin,factory=app.bin,partition_table=pt.bin --trim
same_as_linux "--check-app" mpi fw.bin --check-app
OUTS=(w.bin)
same_as_linux "--write" mpi fw.bin --write factory=app.bin -o w.bin
OUTS=(fs.bin)
same_as_linux "--fs put (UTF-8 names)" mpi fw.bin -o fs.bin --fs mkfs --fs put src / --fs mkdir /d1
same_as_linux "--fs ls" mpi fs.bin --fs ls /
same_as_linux "--fs cat (binary to stdout)" mpi fs.bin --fs cat /src/lib/blob.bin
same_as_linux "--fs df" mpi fs.bin --fs df
same_as_linux "--fs get" mpi fs.bin --fs get / out
check "--fs get: the same tree" diff -r win/out lin/out
check "--fs get: the same times" test "$(cd win/out && find . -type f -printf '%p %T@\n' | sort)" = \
  "$(cd lin/out && find . -type f -printf '%p %T@\n' | sort)"
same_as_linux "--fs get of one UTF-8 file" mpi fs.bin --fs get "/src/grüße.py" g.py
check "--fs get of one file" cmp -s win/g.py src/grüße.py
OUTS=(m.bin)
same_as_linux "esptool merge_bin raw" esptool --chip esp32 merge_bin -o m.bin 0x1000 bl.bin 0x8000 pt.bin 0x10000 app.bin
OUTS=(m.uf2)
same_as_linux "esptool merge_bin uf2" esptool --chip esp32 merge_bin -o m.uf2 --format uf2 0x1000 bl.bin 0x10000 app.bin
OUTS=(m.hex)
same_as_linux "esptool merge_bin hex" esptool --chip esp32 merge_bin -o m.hex --format hex 0x1000 bl.bin 0x10000 app.bin
same_as_linux "esptool image_info" esptool image_info fw.app-bin
same_as_linux "bad input: missing file" mpi nothere.bin
same_as_linux "bad input: a directory" mpi src

# Windows paths: '\' separates, a drive letter names the root; the output
# name derived from the input lands in the current directory.
cd win
run "$MPI" 'src\..\fw.bin' -f 8M --table ota -a 0x1f0B -o 'sub\ota.bin'
check "'\\' in paths ($ERR)" test "$RC" != 0   # no directory sub: refused
mkdir -p sub x
run "$MPI" 'src\..\fw.bin' -f 8M --table ota -a 0x1f0B -o 'sub\ota.bin'
check "'\\' in paths ($ERR)" cmp -s sub/ota.bin ../lin/ota.bin
(cd x && "$MPI" "Z:${PWD%/x}\fw.bin" --resize vfs=1M >/dev/null 2>../x.err)
check "a drive letter; the output in the current directory ($(cat x.err))" \
  cmp -s x/fw-resize=vfs=1048576.bin ../lin/fw-resize=vfs=1048576.bin
run "$MPI" fs.bin -o fs2.bin --fs put 'src\lib' /lib2
check "--fs put 'src\\lib' ($ERR)" test "$RC" = 0
run "$MPI" fs2.bin --fs ls /lib2
check "--fs put with '\\': the directory's own name ($OUT)" contains "$OUT" "blob.bin"
# -o onto an existing file: replaced whole (MoveFileEx), as on Linux
printf 'old' >rep.bin
run "$MPI" fw.bin -f 4M -o rep.bin
check "-o replaces an existing file ($ERR)" test "$(stat -c %s rep.bin)" = "$(stat -c %s fw.bin)"
check "no temporary left" test -z "$(ls | grep '\.tmp-')"
cd ..

# Names Windows cannot hold, in a littlefs made on Linux: skipped with a
# warning, nothing written outside DEST, the rest copied.
mkdir -p bad
for n in CON nul.txt 'a:b' 'dot.' 'sp ' 'q?' 'back\slash' ok.txt; do printf '%s' "$n" >"bad/$n"; done
"$LMPI" -q fw.bin -o bad.bin --fs mkfs --fs put bad / >/dev/null
cp bad.bin win/
mkdir -p win/dest
ls -a win >before
(cd win && "$MPI" bad.bin --fs get / dest >../w.out 2>../w.err); rc=$?
check "--fs get of names Windows cannot hold: fails as incomplete ($rc)" test "$rc" != 0
check "--fs get: says why ($(cat w.out w.err))" grep -q "Windows" w.out w.err
check "--fs get: the good one copied" test "$(cat win/dest/bad/ok.txt)" = ok.txt
check "--fs get: nothing else ($(ls win/dest/bad | tr '\n' ' '))" test "$(ls win/dest/bad)" = ok.txt
check "--fs get: nothing beside DEST" diff <(ls -a win) before

finish
