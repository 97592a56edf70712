/* esptool elf2image and make_image: files in, image files out, no device.
 * The work is lib/format/elf2image.c; here the options (with esptool v5's
 * choices and the ESPTOOL_FM/FF/FS defaults), the lines it prints and the
 * files it names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf2image.h"
#include "esptool_cmds.h"

static void say(void *ctx, enum e2i_say kind, const char *msg)
{
    (void)ctx;
    if (kind == E2I_WARNING)
        es_warn("%s", msg);
    else
        es_print("%s%s", kind == E2I_NOTE ? "Note: " : "", msg);
}

static const char *const versions[] = { "1", "2", "3", NULL };
static const char *const mmu_sizes[] = { "64KB", "32KB", "16KB", "8KB", NULL };

struct e2i_args {
    const char *output, *version, *min_rev, *min_rev_full, *max_rev_full, *sha_off;
    const char *mmu, *pad_to, *ff, *fm, *fs;
    bool secure_pad, secure_pad_v2, dont_digest, use_segments, ram_only;
};

static int parse_e2i(int argc, char **argv, struct e2i_args *a, const char **elf,
                     struct err *e)
{
    memset(a, 0, sizeof *a);
    a->version = "1";
    a->fm = es_env_default("ESPTOOL_FM", "qio");
    a->fs = es_env_default("ESPTOOL_FS", "1MB");
    a->ff = getenv("ESPTOOL_FF") && *getenv("ESPTOOL_FF") ? getenv("ESPTOOL_FF") : NULL;
    const struct es_opt opts[] = {
        { "-o|--output", NULL, &a->output, NULL, NULL, NULL, 0 },
        { "--version|-e", NULL, &a->version, versions, NULL, NULL, 0 },
        { "-r|--min-rev", NULL, &a->min_rev, NULL, NULL, NULL, 0 },
        { "--min-rev-full", NULL, &a->min_rev_full, NULL, NULL, NULL, 0 },
        { "--max-rev-full", NULL, &a->max_rev_full, NULL, NULL, NULL, 0 },
        { "--secure-pad", &a->secure_pad, NULL, NULL, NULL, NULL, 0 },
        { "--secure-pad-v2", &a->secure_pad_v2, NULL, NULL, NULL, NULL, 0 },
        { "--elf-sha256-offset", NULL, &a->sha_off, NULL, NULL, NULL, 0 },
        { "--dont-append-digest", &a->dont_digest, NULL, NULL, NULL, NULL, 0 },
        { "--use-segments", &a->use_segments, NULL, NULL, NULL, NULL, 0 },
        { "--flash-mmu-page-size", NULL, &a->mmu, mmu_sizes, NULL, NULL, 0 },
        { "--pad-to-size", NULL, &a->pad_to, NULL, NULL, NULL, 0 },
        { "--ram-only-header", &a->ram_only, NULL, NULL, NULL, NULL, 0 },
        { "--flash-freq|-ff", NULL, &a->ff, es_flash_freqs, NULL, NULL, 0 },
        { "--flash-mode|-fm", NULL, &a->fm, es_flash_modes, NULL, NULL, 0 },
        { "--flash-size|-fs", NULL, &a->fs, es_flash_sizes, NULL, NULL, 0 },
        { NULL, NULL, NULL, NULL, NULL, NULL, 0 },
    };
    int n;
    if (es_parse_opts(argc, argv, opts, elf, 1, &n, e) != 0)
        return -1;
    if (n != 1)
        return err_set(e, "Missing argument 'FILENAME' (see 'elf2image -h')");
    /* the environment's defaults are checked like typed values (click) */
    if ((a->ff && es_check_choice("--flash-freq|-ff", a->ff, es_flash_freqs, e)) ||
        es_check_choice("--flash-mode|-fm", a->fm, es_flash_modes, e) ||
        es_check_choice("--flash-size|-fs", a->fs, es_flash_sizes, e))
        return -1;
    return 0;
}

/* click.IntRange(0, max) */
static int in_range(const char *name, const char *s, uint32_t max, unsigned *out, struct err *e)
{
    uint32_t v;
    if (!s)
        return 0;
    if (es_parse_any_int(name, s, &v, e) != 0)
        return -1;
    if (v > max)
        return err_set(e, "Invalid value for '%s': %s is not in the range 0<=x<=%u.", name, s,
                       (unsigned)max);
    *out = v;
    return 0;
}

static int make_opts(struct esptool *t, const struct e2i_args *a, struct e2i_opts *o,
                     struct err *e)
{
    e2i_opts_init(o);
    if (!t->chip || !strcmp(t->chip, "auto")) {
        char list[200] = "";
        for (const struct chip *const *c = chip_all(); *c; c++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     c == chip_all() ? "" : ", ", (*c)->name);
        return err_set(e, "Specify the --chip argument (choose from %s).", list);
    }
    o->chip = chip_by_name(t->chip);
    o->version = a->version[0] - '0';
    o->flash_mode = a->fm;
    o->flash_freq = a->ff;
    o->flash_size = a->fs;
    if (in_range("--min-rev", a->min_rev, 256, &o->min_rev, e) ||
        in_range("--min-rev-full", a->min_rev_full, 65536, &o->min_rev_full, e) ||
        in_range("--max-rev-full", a->max_rev_full, 65536, &o->max_rev_full, e))
        return -1;
    if (a->sha_off && es_parse_any_int("--elf-sha256-offset", a->sha_off,
                                       &o->elf_sha256_offset, e) != 0)
        return -1;
    o->secure_pad = a->secure_pad;
    o->secure_pad_v2 = a->secure_pad_v2;
    o->dont_append_digest = a->dont_digest;
    o->use_segments = a->use_segments;
    o->flash_mmu_page_size = a->mmu;
    o->pad_to_size = a->pad_to;
    o->ram_only_header = a->ram_only;
    o->say = say;
    return 0;
}

static int write_out(const struct e2i_opts *o, const struct e2i_out *out, const char *elf,
                     const char *output, struct err *e)
{
    char name1[1100], name2[1100];
    e2i_output_names(o, out, elf, output, name1, name2, sizeof name1);
    if (name2[0] && file_write_atomic(name2, out->irom, out->irom_len, e) != 0)
        return -1;
    return file_write_atomic(name1, out->image, out->image_len, e);
}

int es_cmd_elf2image(struct esptool *t, int argc, char **argv, struct err *e)
{
    struct e2i_args a;
    struct e2i_opts o;
    const char *elf;
    if (parse_e2i(argc, argv, &a, &elf, e) != 0 || make_opts(t, &a, &o, e) != 0)
        return -1;
    uint8_t *buf;
    size_t len;
    if (file_read_all(elf, FILE_MAX_FLASH, &buf, &len, e) != 0)
        return -1;
    struct e2i_out out;
    int rc = elf2image(buf, len, &o, &out, e);
    free(buf);
    if (rc == 0)
        rc = write_out(&o, &out, elf, a.output, e);
    e2i_free(&out);
    return rc;
}

/* make_image OUTPUT -f FILE -a ADDR [-f FILE -a ADDR ...] [-e ENTRY]
 * (esptool v4; removed in v5): always the ESP8266 v1 format. */
int es_cmd_make_image(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *files[16], *addrs[16], *entry_s = NULL, *output;
    int nf = 0, na = 0, n;
    const struct es_opt opts[] = {
        { "-f|--segfile", NULL, NULL, NULL, files, &nf, 16 },
        { "-a|--segaddr", NULL, NULL, NULL, addrs, &na, 16 },
        { "-e|--entrypoint", NULL, &entry_s, NULL, NULL, NULL, 0 },
        { NULL, NULL, NULL, NULL, NULL, NULL, 0 },
    };
    if (es_parse_opts(argc, argv, opts, &output, 1, &n, e) != 0)
        return -1;
    if (n != 1)
        return err_set(e, "the following arguments are required: output");
    const char *chip = t->chip ? t->chip : "auto";
    es_print("Creating %s image...", chip);
    if (nf == 0)
        return err_set(e, "No segments specified");
    if (nf != na)
        return err_set(e, "Number of specified files does not match number of specified "
                          "addresses");
    uint32_t entry = 0;
    if (entry_s && es_parse_any_int("--entrypoint", entry_s, &entry, e) != 0)
        return -1;
    struct e2i_file_seg segs[16];
    uint8_t *data[16] = { 0 };
    int rc = 0;
    for (int i = 0; i < nf && rc == 0; i++) {
        rc = es_parse_any_int("--segaddr", addrs[i], &segs[i].addr, e);
        if (rc == 0)
            rc = file_read_all(files[i], FILE_MAX_FLASH, &data[i], &segs[i].len, e);
        segs[i].data = data[i];
    }
    struct e2i_out out = { 0 };
    if (rc == 0)
        rc = e2i_make_image(segs, (size_t)nf, entry, &out, e);
    if (rc == 0) {
        struct e2i_opts o;
        e2i_opts_init(&o);
        o.chip = chip_by_name("esp8266");
        rc = write_out(&o, &out, output, output, e);
    }
    if (rc == 0)
        es_print("Successfully created %s image.", chip);
    e2i_free(&out);
    for (int i = 0; i < nf; i++)
        free(data[i]);
    return rc;
}
