# Helpers for the end-to-end tests: each test script sources this, gets a
# fresh temporary directory as its working directory, and calls `check` /
# `fail`; the script's exit status is the verdict (77 = skipped).
set -u
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${MPI_BUILD:?MPI_BUILD must point to the build directory}
MPI="$BUILD/mp-image-tool-esp32"
FWGEN="$BUILD/fwgen"
SHARED=${MPI_SHARED:-}
WORK=$(mktemp -d /tmp/mpi-e2e-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
FAILS=0
PASSES=0

pass() { PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
# check DESCRIPTION COMMAND...: the command must succeed.
check() { local d=$1; shift; if "$@"; then pass; else fail "$d"; fi; }
# run CMD...: run the tool, keep stdout in $OUT, stderr in $ERR, status in $RC.
run() { OUT=$("$@" 2>"$WORK/.stderr"); RC=$?; ERR=$(cat "$WORK/.stderr"); }
contains() { grep -qF -- "$2" <<<"$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# bytes FILE OFFSET COUNT: hex of a slice.
bytes() { od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'; }
# Differing byte offsets (decimal, 1-based as cmp prints them) of two files.
diff_offsets() { cmp -l "$1" "$2" | awk '{print $1}'; }
finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
