#!/usr/bin/env bash
# The packages as a user gets them: scripts/release.sh builds them into DIR
# (default dist-test/), then the .deb for this machine is installed with
# dpkg, used (the three names, the man pages, the completion), removed,
# and nothing of it may be left behind.  The static tarball and the
# Windows .zip are unpacked and run.  Needs root (dpkg -i), as CI is.
#   bash scripts/package-test.sh [DIR] [PLATFORM...]
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist-test}
shift || true
bash scripts/release.sh "$dist" "$@"
dist=$(cd "$dist" && pwd)
version=$(sed -n 's/^project(mp-image-tool-esp32 VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
fails=0
passes=0
check() { local d=$1; shift; if "$@" >/dev/null; then passes=$((passes + 1)); else echo "FAIL: $d"; fails=$((fails + 1)); fi; }
# man_is_help NAME: the installed page holds the program's --help, its usage
# line and its last line at least (roff escapes undone).
man_is_help() {
  local help page
  help=$("/usr/bin/$1" --help)
  page=$(zcat "/usr/share/man/man1/$1.1.gz" | sed 's/\\e/\\/g; s/^\\&//')
  grep -qxF -- "$(head -n1 <<<"$help")" <<<"$page" && grep -qxF -- "$(tail -n1 <<<"$help")" <<<"$page"
}

deb=$dist/mp-image-tool-esp32-$version-$(dpkg --print-architecture).deb
if [ -f "$deb" ]; then
  if dpkg -s mp-image-tool-esp32 >/dev/null 2>&1; then
    echo "package-test: mp-image-tool-esp32 is installed already; not touching it" >&2
    exit 1
  fi
  check "dpkg -i" dpkg -i "$deb"
  files=$(dpkg -L mp-image-tool-esp32)
  check "installed: mp-image-tool-esp32" /usr/bin/mp-image-tool-esp32 --help
  check "installed: esptool" bash -c '/usr/bin/esptool --help | grep -q "esptool-compatible"'
  check "installed: espemu" bash -c '/usr/bin/espemu --help | grep -q "emulated ESP chip"'
  for m in mp-image-tool-esp32 esptool espemu; do
    check "man page $m.1" test -f /usr/share/man/man1/$m.1.gz
    check "man page $m.1 holds the --help text" man_is_help "$m"
    check "bash completion for $m" test -e /usr/share/bash-completion/completions/$m
  done
  check "completion loads" bash -c 'source /usr/share/bash-completion/completions/mp-image-tool-esp32 &&
    COMP_WORDS=(esptool write_f) COMP_CWORD=1 && _mpi_complete esptool && [[ " ${COMPREPLY[*]} " == *" write_flash "* ]]'
  check "dpkg -r" dpkg -r mp-image-tool-esp32
  left=""
  for f in $files; do
    [ -d "$f" ] || [ ! -e "$f" ] || left="$left $f"
  done
  check "removed cleanly (left:$left)" test -z "$left"
fi

tgz=$dist/mp-image-tool-esp32-$version-linux-x86_64.tar.gz
if [ -f "$tgz" ]; then
  t=$(mktemp -d)
  tar -xzf "$tgz" -C "$t"
  check "static tarball: runs" "$t/mp-image-tool-esp32-$version-linux-x86_64/bin/mp-image-tool-esp32" --help
  check "static tarball: esptool" bash -c "'$t/mp-image-tool-esp32-$version-linux-x86_64/bin/esptool' --help | grep -q esptool-compatible"
  rm -rf "$t"
fi

zip=$dist/mp-image-tool-esp32-$version-windows-x86_64.zip
if [ -f "$zip" ]; then
  t=$(mktemp -d)
  (cd "$t" && unzip -q "$zip")
  check "zip: the three programs" test -f "$t/mp-image-tool-esp32.exe" -a -f "$t/esptool.exe" -a -f "$t/espemu.exe"
  export WINEPREFIX=$dist/.build/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  check "zip: esptool.exe runs" bash -c "wine '$t/esptool.exe' --help | grep -q esptool-compatible"
  wineserver -k >/dev/null 2>&1 || true
  rm -rf "$t"
fi
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
