/* make_corpus DIR: write the seed corpus of every fuzz target into
 * DIR/TARGET/NAME, made by the project's own generators, so it can be
 * regenerated (fuzz/make_corpus.sh) when a format or a target changes:
 *   fuzz_formats   fwgen's app and bootloader images, partition tables, CSV
 *   fuzz_otadata   otadata_select's entries with fwgen's OTA table
 *   fuzz_slip      the emulated chip's replies as it sends them
 *   fuzz_littlefs  filesystems that lib/littlefs formats and writes (also
 *                  split, worn, and cut by a power loss in mid-rename)
 *   fuzz_loader    the emulated chip's replies to loader sessions
 *   fuzz_rfc2217   our RFC 2217 client and espemu's server talking
 * Everything is deterministic: the same build writes the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chunks.h"
#include "emu.h"
#include "elfgen.h"
#include "emu_telnet.h"
#include "fileio.h"
#include "flash_mem.h"
#include "fwgen.h"
#include "lfs_input.h"
#include "loader.h"
#include "loader_session.h"
#include "otadata.h"
#include "port_impl.h"
#include "slip.h"

static const char *out_dir;
static int failures;

/* ---- output --------------------------------------------------------------- */

static void seed(const char *target, const char *name, const void *data, size_t len)
{
    char path[1024];
    struct err e;
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    if (file_write_atomic(path, data, len, &e)) {
        fprintf(stderr, "make_corpus: %s\n", e.msg);
        failures++;
    }
}

static void skip(const char *target, const char *name, const char *why)
{
    fprintf(stderr, "make_corpus: %s/%s: %s\n", target, name, why);
    failures++;
}

/* A growable byte buffer. */
struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* ---- fuzz_formats ------------------------------------------------------------ */

static void formats_table(enum fwgen_table kind, const char *name)
{
    struct fwgen_opts o = { .chip = chip_by_name("esp32"), .table = kind };
    struct ptable t;
    fwgen_table(&o, &t);
    uint8_t bin[PTABLE_MAX_LEN];
    ptable_serialize_gen(&t, bin);
    char csv[4096], file[64];
    size_t n = ptable_to_csv(&t, csv, sizeof csv);
    snprintf(file, sizeof file, "table-%s.bin", name);
    seed("fuzz_formats", file, bin, sizeof bin);
    snprintf(file, sizeof file, "table-%s.csv", name);
    seed("fuzz_formats", file, csv, n);
}

static void formats_images(const char *chip)
{
    struct fwgen_opts o = { .chip = chip_by_name(chip), .flash_size = 0x400000,
                            .app_size = 0x5000 };
    struct err e;
    uint8_t *b;
    size_t len;
    uint32_t base;
    char file[64];
    if (fwgen_app(&o, &b, &len, &e))
        return skip("fuzz_formats", chip, e.msg);
    snprintf(file, sizeof file, "app-%s.bin", chip);
    seed("fuzz_formats", file, b, len);
    free(b);
    /* the firmware file up to the end of its table: bootloader + table */
    if (fwgen_firmware(&o, &b, &len, &base, &e))
        return skip("fuzz_formats", chip, e.msg);
    size_t end = PTABLE_OFFSET + PTABLE_MAX_LEN - base;
    snprintf(file, sizeof file, "firmware-%s.bin", chip);
    seed("fuzz_formats", file, b, end < len ? end : len);
    free(b);
}

static void formats(void)
{
    formats_table(FWGEN_TABLE_V125, "v1.25");
    formats_table(FWGEN_TABLE_V126, "v1.26");
    formats_table(FWGEN_TABLE_OTA, "ota");
    formats_images("esp32");
    formats_images("esp32c3");
}

/* ---- fuzz_otadata -------------------------------------------------------------- */

/* Select slots one after the other on one partition; each state is a seed
 * (the two entries, the next selection, fwgen's OTA table). */
static void otadata(void)
{
    struct fwgen_opts o = { .chip = chip_by_name("esp32"), .table = FWGEN_TABLE_OTA };
    struct ptable t;
    fwgen_table(&o, &t);
    uint8_t table[PTABLE_MAX_LEN];
    ptable_serialize_gen(&t, table);
    static uint8_t part[OTADATA_SIZE];
    otadata_select_factory(part, sizeof part);
    const struct { int slot, n; uint32_t state; } steps[] = {
        { 0, 2, OTA_IMG_NEW }, { 1, 2, OTA_IMG_NEW }, { 1, 2, OTA_IMG_UNDEFINED },
        { 0, 3, OTA_IMG_NEW }, { 2, 3, OTA_IMG_UNDEFINED },
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        uint8_t in[3 * OTADATA_ENTRY_LEN + sizeof table];
        memcpy(in, part, OTADATA_ENTRY_LEN);
        memcpy(in + OTADATA_ENTRY_LEN, part + OTADATA_SECTOR, OTADATA_ENTRY_LEN);
        in[64] = (uint8_t)steps[i].slot;
        in[65] = (uint8_t)steps[i].n;
        in[66] = steps[i].state == OTA_IMG_NEW;
        /* the table's entries and MD5 row, then one erased row to end it */
        size_t tlen = (size_t)(t.n + 2) * 32;
        memcpy(in + 67, table, tlen);
        char name[32];
        snprintf(name, sizeof name, "select-%zu", i);
        seed("fuzz_otadata", name, in, 67 + tlen);
        struct err e;
        if (otadata_select(part, sizeof part, steps[i].slot, steps[i].n, steps[i].state, &e))
            skip("fuzz_otadata", name, e.msg);
    }
}

/* ---- fuzz_slip ----------------------------------------------------------------- */

static void emu_send(struct emu *emu, uint8_t op, const uint8_t *data, size_t len)
{
    uint8_t pkt[64 + 8], enc[2 * sizeof pkt + 2];
    memset(pkt, 0, 8);
    pkt[1] = op;
    pkt[2] = (uint8_t)len;
    memcpy(pkt + 8, data, len);
    emu_rx(emu, enc, slip_encode(pkt, len + 8, enc));
}

static void slip(void)
{
    struct emu_options eo = { .chip = "esp32" };
    struct err e;
    struct emu *emu = emu_open(&eo, &e);
    if (!emu)
        return skip("fuzz_slip", "emu", e.msg);
    uint8_t sync[36] = { 0x07, 0x07, 0x12, 0x20 }, reg[4] = { 0x00, 0x10, 0x00, 0x40 };
    memset(sync + 4, 0x55, 32);
    emu_send(emu, 0x08, sync, sizeof sync);           /* SYNC: 8 replies after the banner */
    emu_send(emu, 0x0A, reg, sizeof reg);             /* READ_REG of the magic register */
    static uint8_t out[16384];
    size_t n = emu_tx(emu, out, sizeof out);
    seed("fuzz_slip", "banner-sync-readreg", out, n);
    /* a payload with both bytes SLIP escapes */
    static const uint8_t esc[] = { 0x01, 0x0A, 0x02, 0, 0xC0, 0xDB, 0xDB, 0xC0, 0, 0 };
    n = slip_encode(esc, sizeof esc, out);
    seed("fuzz_slip", "escapes", out, n);
    emu_close(emu);
}

/* ---- fuzz_littlefs --------------------------------------------------------------- */

static const char boot_py[] =
    "# This file is executed on every boot (including wake-boot from deepsleep)\n"
    "#import esp\n#esp.osdebug(None)\n#import webrepl\n#webrepl.start()\n";

/* File contents: some text, then 0xFF (trimmed from the seed, as erased). */
static const uint8_t *content(uint32_t len)
{
    static uint8_t b[16384];
    memset(b, 0xff, sizeof b);
    for (uint32_t i = 0; i < 200 && i < len; i++)
        b[i] = (uint8_t)"import machine\nprint('hello')\n"[i % 30];
    return b;
}

struct fsgen {
    uint8_t flags;
    struct lfs_config cfg;
    struct flash *fl;
    struct lfs *fs;
};

static int fs_start(struct fsgen *g, uint8_t flags, uint32_t blocks, uint32_t version)
{
    struct err e;
    g->flags = flags;
    lfs_input_config(flags, &g->cfg);
    g->cfg.disk_version = version;
    g->fl = flash_mem_new(blocks * g->cfg.block_size, &e);
    if (!g->fl || lfs_format(g->fl, 0, g->fl->size, &g->cfg, &e) ||
        lfs_mount(&g->fs, g->fl, 0, g->fl->size, &g->cfg, &e)) {
        fprintf(stderr, "make_corpus: littlefs: %s\n", e.msg);
        failures++;
        flash_destroy(g->fl);
        return -1;
    }
    return 0;
}

/* Unmount, write the seed, free. */
static void fs_seed(struct fsgen *g, const char *name, int rc, const struct err *e)
{
    struct err ue;
    if (g->fs && lfs_unmount(g->fs, &ue) && !rc)
        rc = -1, e = &ue;
    if (rc) {
        skip("fuzz_littlefs", name, e->msg);
    } else {
        static uint8_t out[1 << 18];
        size_t n = lfs_input_encode(g->flags, flash_mem_data(g->fl), g->fl->size, out,
                                    sizeof out);
        if (n)
            seed("fuzz_littlefs", name, out, n);
        else
            skip("fuzz_littlefs", name, "does not encode (a block holds the part marker)");
    }
    flash_destroy(g->fl);
}

static int put(struct lfs *fs, const char *path, uint32_t len, struct err *e)
{
    static int64_t mtime = 1700000000LL * 1000000000LL;
    mtime += 1000000000LL;
    const uint8_t *d = strcmp(path, "/boot.py") ? content(len) : (const uint8_t *)boot_py;
    return lfs_write_file(fs, path, d, len, mtime, e);
}

/* What a MicroPython board's filesystem holds: boot.py, main.py, a lib
 * directory, a file of a few blocks. */
static int micropython_files(struct lfs *fs, uint32_t bs, struct err *e)
{
    if (put(fs, "/boot.py", (uint32_t)strlen(boot_py), e) || put(fs, "/main.py", 90, e) ||
        lfs_mkdir(fs, "/lib", e) || put(fs, "/lib/util.py", 150, e) ||
        lfs_mkdir(fs, "/lib/drivers", e) || put(fs, "/lib/drivers/ssd1306.py", 60, e))
        return -1;
    return put(fs, "/data.bin", 2 * bs + 300, e);
}

static void fs_micropython(const char *name, uint8_t flags, uint32_t version)
{
    struct fsgen g;
    struct err e;
    if (fs_start(&g, flags, 16, version) == 0)
        fs_seed(&g, name, micropython_files(g.fs, g.cfg.block_size, &e), &e);
}

static void fs_fresh(void)
{
    struct fsgen g;
    if (fs_start(&g, 0, 16, LFS_DISK_V21) == 0)
        fs_seed(&g, "fresh", 0, NULL);
}

/* Many entries in one directory: its pairs split (512-byte blocks). */
static void fs_split(void)
{
    struct fsgen g;
    struct err e;
    if (fs_start(&g, LFSIN_SMALL, 48, LFS_DISK_V21))
        return;
    int rc = lfs_mkdir(g.fs, "/d", &e);
    for (int i = 0; i < 24 && !rc; i++) {
        char path[32];
        snprintf(path, sizeof path, "/d/file%02d.py", i);
        rc = put(g.fs, path, i % 3 ? 20 : 700, &e);
    }
    fs_seed(&g, "small-split", rc, &e);
}

/* A file rewritten until pairs wear out: relocations, expanded superblock. */
static void fs_worn(void)
{
    struct fsgen g;
    struct err e;
    if (fs_start(&g, LFSIN_WORN, 16, LFS_DISK_V21))
        return;
    int rc = micropython_files(g.fs, g.cfg.block_size, &e);
    for (int i = 0; i < 30 && !rc; i++)
        rc = put(g.fs, "/main.py", 40 + (uint32_t)i, &e);
    fs_seed(&g, "worn", rc, &e);
}

/* The first state a power cut inside `op` leaves with global state pending
 * (a move half-done, an orphan), for the writes after mount to finish. */
static void fs_cut(const char *name, int (*op)(struct lfs *fs, struct err *e))
{
    for (long cut = 1; cut < 16; cut++) {
        struct fsgen g;
        struct err e;
        struct lfs_fsinfo info;
        if (fs_start(&g, LFSIN_WRITE_THROUGH, 16, LFS_DISK_V21))
            return;
        int rc = micropython_files(g.fs, g.cfg.block_size, &e);
        flash_mem_cut_after(g.fl, cut, true);
        if (rc == 0 && op(g.fs, &e) != 0) {
            lfs_free(g.fs);
            flash_mem_cut_after(g.fl, -1, false);
            if (lfs_mount(&g.fs, g.fl, 0, g.fl->size, &g.cfg, &e) == 0 &&
                lfs_fs_stat(g.fs, &info, &e) == 0 && info.gstate[0] != 0) {
                fs_seed(&g, name, 0, NULL);
                return;
            }
        }
        if (g.fs)
            lfs_free(g.fs);
        flash_destroy(g.fl);
    }
    skip("fuzz_littlefs", name, "no cut leaves global state pending");
}

static int rename_to_dir(struct lfs *fs, struct err *e)
{
    return lfs_rename(fs, "/main.py", "/lib/main.py", e);
}

static int remove_dir(struct lfs *fs, struct err *e)
{
    return lfs_remove_recursive(fs, "/lib", e);
}

static void littlefs(void)
{
    fs_fresh();
    fs_micropython("micropython", 0, LFS_DISK_V21);
    fs_micropython("micropython-v2.0", 0, LFS_DISK_V20);
    fs_micropython("micropython-ordered", LFSIN_ORDERED | 2 << LFSIN_SIZE_SHIFT, LFS_DISK_V21);
    fs_micropython("small", LFSIN_SMALL | 3 << LFSIN_SIZE_SHIFT, LFS_DISK_V21);
    fs_split();
    fs_worn();
    fs_cut("cut-rename", rename_to_dir);
    fs_cut("cut-rmdir", remove_dir);
}

/* ---- fuzz_loader --------------------------------------------------------------- */

/* A port between the loader and the emulated chip that records what the
 * chip says, a part per event (support/loader_session.h). */
struct rec_port {
    struct port base;
    struct port_ops ops;
    struct port *chip;
    struct buf rec;
    int events;
};

static struct rec_port *rp(struct port *p) { return (struct rec_port *)p; }

static void event(struct rec_port *r)
{
    buf_add(&r->rec, CHUNK_SEP, CHUNK_SEP_LEN);
    r->events++;
}

static int rec_read(struct port *p, void *buf, size_t len, int timeout_ms, struct err *e)
{
    struct port *chip = rp(p)->chip;
    int n = chip->ops->read(chip, buf, len, timeout_ms, e);
    if (n > 0)
        buf_add(&rp(p)->rec, buf, (size_t)n);
    return n;
}

static int rec_write(struct port *p, const void *buf, size_t len, struct err *e)
{
    struct port *chip = rp(p)->chip;
    event(rp(p));
    return chip->ops->write(chip, buf, len, e);
}

static int rec_baud(struct port *p, uint32_t baud, struct err *e)
{
    struct port *chip = rp(p)->chip;
    p->baud = baud;
    return chip->ops->set_baud(chip, baud, e);
}

static int rec_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    struct port *chip = rp(p)->chip;
    event(rp(p));
    return chip->ops->set_lines(chip, dtr, rts, e);
}

static void rec_close(struct port *p)
{
    port_close(rp(p)->chip);   /* the recording stays for the caller */
}

/* The parts of a recording: one more than the events, unless a reply
 * happened to contain the marker. */
static bool splits_right(const struct rec_port *r)
{
    struct chunks c;
    const uint8_t *part;
    size_t len;
    int parts = 0;
    chunks_init(&c, r->rec.p, r->rec.len);
    while (chunks_next(&c, &part, &len))
        parts++;
    return parts == r->events + 1;
}

static void loader_seed(const char *chip, uint8_t flags, uint8_t chip_arg)
{
    char name[64];
    snprintf(name, sizeof name, "%s-%02x-%u", chip, flags, chip_arg);
    struct emu_options eo = { .chip = chip };
    struct err e;
    struct emu *emu = emu_open(&eo, &e);
    struct rec_port r = { .ops = { rec_read, rec_write, rec_baud, rec_lines, rec_close } };
    if (!emu || !(r.chip = emu_port_open(emu, true, &e)))
        return skip("fuzz_loader", name, e.msg);
    r.base.ops = &r.ops;
    r.base.baud = 115200;
    strcpy(r.base.name, "fuzz");
    uint8_t header[LS_HEADER] = { flags, chip_arg };
    buf_add(&r.rec, header, sizeof header);
    if (loader_session(&r.base, header, &e))
        skip("fuzz_loader", name, e.msg);
    else if (!splits_right(&r))
        skip("fuzz_loader", name, "a reply contains the part marker");
    else
        seed("fuzz_loader", name, r.rec.p, r.rec.len);
    free(r.rec.p);
    emu_close(emu);
}

static uint8_t chip_index(const char *name)
{
    const struct chip *const *all = chip_all();
    for (uint8_t i = 0; all[i]; i++)
        if (strcmp(all[i]->name, name) == 0)
            return (uint8_t)(i + 1);
    return 0;
}

static void loader(void)
{
    const uint8_t after_no_reset_stub = (uint8_t)(LOADER_AFTER_NO_RESET_STUB << LS_AFTER_SHIFT);
    const uint8_t after_soft = (uint8_t)(LOADER_AFTER_SOFT_RESET << LS_AFTER_SHIFT);
    loader_seed("esp32", LS_NO_STUB | LS_INFO, 0);
    loader_seed("esp32", LS_INFO | LS_WRITE | after_no_reset_stub, 0);
    loader_seed("esp32", LS_LINES | LS_BAUD, chip_index("esp32"));
    loader_seed("esp32c3", LS_NO_STUB | LS_WRITE | after_soft, 0);
    loader_seed("esp32c3", LS_INFO | LS_BAUD | LS_ERASE_ALL, 0);
    loader_seed("esp32s2", LS_NO_STUB | LS_INFO, 0);
    loader_seed("esp32s3", LS_WRITE, chip_index("esp32s3"));
    loader_seed("esp32c2", LS_NO_STUB | LS_BAUD, 0);
    loader_seed("esp8266", LS_INFO | LS_WRITE, 0);
}

/* ---- fuzz_rfc2217 ----------------------------------------------------------------- */

/* What our client sends a server that agrees to COM-PORT-OPTION: its
 * negotiation, the line settings, then `data` escaped. */
static int client_stream(const uint8_t *data, size_t len, struct buf *out, struct err *e)
{
    static const uint8_t agree[] = { 255, 251, 44 };
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return err_sys(e, "socketpair");
    int rc = -1;
    if (write(sv[1], agree, sizeof agree) == (ssize_t)sizeof agree) {
        struct port *p = port_rfc2217_on_fd(sv[0], "rfc2217://corpus", 115200, e);
        if (p) {
            bool ok = p->ops->set_lines(p, false, true, e) == 0 &&
                      p->ops->set_baud(p, 65535, e) == 0 && p->ops->write(p, data, len, e) == 0;
            rc = ok ? 0 : -1;
            port_close(p);
        }
    }
    uint8_t b[4096];
    ssize_t n;
    while ((n = read(sv[1], b, sizeof b)) > 0)
        buf_add(out, b, (size_t)n);
    close(sv[1]);
    return rc;
}

static void rfc2217(void)
{
    static const uint8_t data[] = "ets Jun  8 2016 00:22:57\r\n\xff\xc0\x01\x08\xff\xff";
    struct buf cs = { 0 };
    struct err e;
    if (client_stream(data, sizeof data, &cs, &e)) {
        free(cs.p);
        return skip("fuzz_rfc2217", "client", e.msg);
    }
    seed("fuzz_rfc2217", "client", cs.p, cs.len);
    /* espemu's answer to that: greeting, replies, data escaped */
    static struct emu_telnet t;
    uint8_t *sink = malloc(cs.len + 1), esc[2 * sizeof data];
    emu_telnet_init(&t, 115200);
    emu_telnet_greet(&t);
    emu_telnet_rx(&t, cs.p, cs.len, sink, NULL);
    struct buf ss = { 0 };
    buf_add(&ss, t.out, t.outlen);
    buf_add(&ss, esc, emu_telnet_escape(data, sizeof data, esc));
    seed("fuzz_rfc2217", "server", ss.p, ss.len);
    free(sink);
    free(cs.p);
    free(ss.p);
}

/* fuzz_elf: generated ELF apps, a few chips and sizes (fuzz_elf.c picks
 * the chip and options from the input's length). */
static void elf(void)
{
    static const char *const chips[] = { "esp32", "esp32c6", "esp32s3", "esp8266" };
    for (unsigned i = 0; i < 4; i++) {
        struct elfgen g;
        elfgen_app(&g, chip_by_name(chips[i]), i, i == 1 ? 15 : 0);
        uint8_t *b;
        size_t len;
        struct err e;
        char name[32];
        snprintf(name, sizeof name, "app-%s", chips[i]);
        if (elfgen_build(&g, &b, &len, &e) != 0) {
            skip("fuzz_elf", name, e.msg);
            continue;
        }
        seed("fuzz_elf", name, b, len);
        free(b);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus DIR   (writes DIR/fuzz_*/...)\n");
        return 2;
    }
    out_dir = argv[1];
    mkdir(out_dir, 0777);
    formats();
    otadata();
    slip();
    littlefs();
    loader();
    rfc2217();
    elf();
    return failures ? 1 : 0;
}
