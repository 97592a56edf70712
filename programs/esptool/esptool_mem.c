/* esptool load_ram, dump_mem, read_mem, write_mem, run: RAM and registers
 * through READ_REG / WRITE_REG / MEM_*, printed as esptool v5.3.1 prints
 * them (cmds.py load_ram, read_mem, write_mem, dump_mem, run;
 * ../shared/docs/esptool-commands.md §3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "esptool_cmds.h"
#include "image_load.h"

/* One line of esptool's progress bar (logger.py progress_bar): a new line
 * each time when stdout is not a terminal, one line redrawn when it is. */
void es_bar(const struct esptool *t, const char *prefix, uint64_t cur, uint64_t total,
            const char *suffix)
{
    char bar[31];
    int filled = (int)(30 * cur / total);
    for (int i = 0; i < 30; i++)
        bar[i] = filled == 30 || i < filled - 1 ? '=' : i == filled - 1 ? '>' : ' ';
    bar[30] = '\0';
    char line[300];
    snprintf(line, sizeof line, "%s[%s] %5.1f%%%s ", prefix, bar, 100.0 * (double)cur / (double)total,
             suffix);
    if (t->tty && cur < total) {
        printf("\r%s", line);
        fflush(stdout);
        return;
    }
    es_print("\r%s", line);       /* esptool starts every bar with \r, terminal or not */
}

/* Positionals of a command that connects: exactly `n`. */
static int positionals(int argc, char **argv, const char **pos, int min, int max, const char *usage,
                       struct err *e)
{
    static const struct es_opt none[] = { { NULL, NULL, NULL, NULL, NULL, NULL, 0 } };
    int n;
    if (es_parse_opts(argc, argv, none, pos, max, &n, e) != 0)
        return -1;
    if (n < min)
        return err_set(e, "Missing argument (usage: %s %s)", argv[0], usage);
    return n;
}

int es_cmd_read_mem(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *pos[1];
    uint32_t addr, v;
    if (positionals(argc, argv, pos, 1, 1, "ADDRESS", e) < 0 ||
        es_parse_any_int("ADDRESS", pos[0], &addr, e) != 0 || es_connect(t, e) != 0 ||
        loader_read_reg(t->l, addr, &v, e) != 0)
        return -1;
    es_print("0x%08x = 0x%08x", (unsigned)addr, (unsigned)v);
    return 0;
}

int es_cmd_write_mem(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *pos[3];
    uint32_t addr, value, mask = 0xFFFFFFFF;
    int n = positionals(argc, argv, pos, 2, 3, "ADDRESS VALUE [MASK]", e);
    if (n < 0 || es_parse_any_int("ADDRESS", pos[0], &addr, e) ||
        es_parse_any_int("VALUE", pos[1], &value, e) ||
        (n == 3 && es_parse_any_int("MASK", pos[2], &mask, e)))
        return -1;
    /* the target keeps the bits outside the mask (no read-modify-write here) */
    if (es_connect(t, e) != 0 || loader_write_reg(t->l, addr, value, mask, 0, e) != 0)
        return -1;
    es_print("Wrote 0x%08x with mask 0x%08x to 0x%08x.", (unsigned)value, (unsigned)mask,
             (unsigned)addr);
    return 0;
}

static int dump_words(struct esptool *t, uint32_t addr, uint32_t size, uint8_t *buf,
                      struct err *e)
{
    for (uint32_t i = 0; i < size / 4; i++) {
        uint32_t v, cur = 4 * (i + 1);
        if (loader_read_reg(t->l, addr + 4 * i, &v, e) != 0)
            return -1;
        put_le32(buf + 4 * i, v);
        if (cur % 1024 == 0 || cur == size) {
            char prefix[40], suffix[48];
            snprintf(prefix, sizeof prefix, "Dumping from 0x%08x ", (unsigned)(addr + 4 * i));
            snprintf(suffix, sizeof suffix, " %u/%u bytes...", (unsigned)cur, (unsigned)size);
            es_bar(t, prefix, cur, size, suffix);
        }
    }
    return 0;
}

/* dump_mem ADDRESS SIZE FILE: SIZE / 4 words, one READ_REG each (a size
 * that is not a multiple of 4 loses its last bytes, as in esptool). */
int es_cmd_dump_mem(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *pos[3];
    uint32_t addr, size;
    if (positionals(argc, argv, pos, 3, 3, "ADDRESS SIZE OUTPUT", e) < 0 ||
        es_parse_any_int("ADDRESS", pos[0], &addr, e))
        return -1;
    if (es_parse_u32(pos[1], &size) != 0)
        return err_set(e, "Invalid value for 'SIZE': '%s' is not a valid integer.", pos[1]);
    if (es_connect(t, e) != 0)
        return -1;
    uint8_t *buf = malloc(size / 4 * 4 + 1);
    if (!buf)
        return err_set(e, "out of memory");
    es_print("Dumping %u bytes from 0x%08x to file '%s'...", (unsigned)size, (unsigned)addr,
             pos[2]);
    uint64_t t0 = port_now_ms();
    int rc = dump_words(t, addr, size, buf, e);
    double secs = (port_now_ms() - t0) / 1000.0;
    uint32_t got = size / 4 * 4;
    if (rc == 0)
        rc = file_write_atomic(pos[2], buf, got, e);
    free(buf);
    if (rc != 0)
        return -1;
    char speed[40] = "";
    if (secs > 0)
        snprintf(speed, sizeof speed, " (%.1f kbit/s)", got / secs * 8 / 1000);
    es_print("Dumped %u bytes from 0x%08x in %.1f seconds%s to '%s'.", (unsigned)got,
             (unsigned)addr, secs, speed, pos[2]);
    return 0;
}

static void load_warn(void *ctx, const char *msg)
{
    (void)ctx;
    es_warn("%s", msg);
}

static int load_segments(struct esptool *t, const struct iload *img, struct err *e)
{
    for (size_t i = 0; i < img->nseg; i++) {
        const struct iload_seg *s = &img->seg[i];
        char prefix[64];
        snprintf(prefix, sizeof prefix, "Downloading %u bytes at 0x%08x ", (unsigned)s->len,
                 (unsigned)s->addr);
        es_bar(t, prefix, i + 1, img->nseg, "...");
        if (loader_mem_write(t->l, s->addr, s->data, s->len, e) != 0)
            return -1;
    }
    return 0;
}

/* load_ram FILE: every segment of the image (padding and flash-mapped ones
 * too: esptool filters nothing) into RAM, then MEM_END to its entry. */
int es_cmd_load_ram(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *pos[1];
    if (positionals(argc, argv, pos, 1, 1, "FILENAME", e) < 0)
        return -1;
    uint8_t *buf;
    size_t len;
    if (file_read_all(pos[0], FILE_MAX_FLASH, &buf, &len, e) != 0)
        return -1;
    static struct iload img;
    int rc = es_connect(t, e);
    if (rc == 0)
        rc = iload_parse(buf, len, t->l->chip, &img, load_warn, NULL, e);
    if (rc == 0) {
        es_print("Loading '%s' to RAM...", pos[0]);
        rc = load_segments(t, &img, e);
    }
    if (rc == 0) {
        es_print("Loaded %zu segments from '%s' to RAM, executing at 0x%08x.", img.nseg, pos[0],
                 (unsigned)img.entry);
        rc = loader_mem_end(t->l, img.entry, e);
    }
    free(buf);
    if (rc != 0)
        return -1;
    /* The program runs now: no reset after it, and nothing more sent. */
    t->l->o.log = NULL;
    t->l->o.after = LOADER_AFTER_NO_RESET_STUB;
    es_print("Exiting immediately.");
    return 0;
}

/* run: start the app in flash (FLASH_BEGIN(0) + FLASH_END(run)); then the
 * --after action as usual. */
int es_cmd_run(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *pos[1];
    if (positionals(argc, argv, pos, 0, 0, "", e) < 0 || es_connect(t, e) != 0 ||
        es_attach_flash(t, e) != 0 || loader_run(t->l, e) != 0)
        return -1;
    return 0;
}
