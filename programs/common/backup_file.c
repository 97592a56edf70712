#include "backup_file.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fileio.h"

static void backup_name(const struct backup *b, char *out, size_t cap)
{
    static _Atomic unsigned taken;
    unsigned n = taken++;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    for (FILE *f;; n++) {
        char suffix[16] = "";
        if (n)
            snprintf(suffix, sizeof suffix, "-%u", n + 1);
        snprintf(out, cap, "backup-%s-%02x%02x%02x%02x%02x%02x-%s%s.mpibak", b->chip, b->mac[0],
                 b->mac[1], b->mac[2], b->mac[3], b->mac[4], b->mac[5], stamp, suffix);
        if (!(f = fopen(out, "rb")))
            return;
        fclose(f);
    }
}

int backup_file_save(const struct backup *b, char *name, size_t cap, struct err *e)
{
    uint8_t *bytes;
    size_t len;
    backup_name(b, name, cap);
    if (backup_encode(b, &bytes, &len, e) != 0)
        return -1;
    int rc = file_write_atomic(name, bytes, len, e);
    free(bytes);
    return rc;
}
