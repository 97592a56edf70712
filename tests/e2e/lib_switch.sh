# Helpers for the --ota-switch end-to-end tests (source after lib.sh and
# lib_emu.sh).
#
# boots IMG: "PARTITION PROJECT" of the app the bootloader of flash image
# IMG starts: a valid table, otadata (or its fallback) leading to a slot,
# an image there whose checksum and SHA-256 hold (as --check-app reads
# them); nothing when it would start none.
boots() {
  "$MPI" -q "$1" --check-app 2>/dev/null | awk '
    /^Partition / { part = $2; gsub(/[\x27:]/, "", part) }
    /, ESP-IDF / { proj[part] = $1 }
    /Hash confirmed/ { ok[part] = 1 }
    /^Current OTA boot partition: / { cur = $5 }
    END { if (cur != "" && ok[cur]) print cur, proj[cur] }'
}
