# Fault injection: with bytes dropped or corrupted on the line, a stall, a
# disconnect, or a failing flash write, every esptool run either completes
# with verified flash or stops with a clear error - never success with wrong
# flash - and a rerun on a clean line completes.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_esptool.sh"

"$FWGEN" --chip esp32 -o fw.bin
ok=0; failed=0
for spec in drop=0.0003,seed=1 drop=0.0003,seed=2 corrupt=0.0003,seed=3 corrupt=0.0003,seed=4 \
            drop=0.00005,corrupt=0.00005,seed=5 stall=500@200000 disconnect=300000 flashfail=0x80000; do
  rm -f f.flash
  start_emu --chip esp32 --flash f.flash --pty --faults "$spec" || { fail "$spec: espemu"; continue; }
  run timeout 120 "$ESPTOOL" -p "$EMU_URL" write_flash 0x1000 fw.bin
  if [ "$RC" = 0 ]; then
    ok=$((ok + 1))
    check "$spec: success means verified flash" same_at f.flash $((0x1000)) fw.bin
  else
    failed=$((failed + 1))
    check "$spec: clear error (rc $RC: $ERR)" contains "$ERR" "A fatal error occurred: "
    check "$spec: not a timeout of the test" test "$RC" != 124
  fi
  stop_emu
  start_emu --chip esp32 --flash f.flash --pty
  run "$ESPTOOL" -p "$EMU_URL" write_flash 0x1000 fw.bin
  check "$spec: rerun completes ($ERR)" test "$RC" = 0
  check "$spec: rerun flash" same_at f.flash $((0x1000)) fw.bin
  stop_emu
done
echo "faulty runs: $ok completed, $failed stopped with an error"
finish
