/* The esptool front end: shared state of one run and the command entry
 * points (one file per command group, esptool_*.c).  Command lines follow
 * esptool.py v4 and esptool v5: both spellings of commands and options
 * (write_flash / write-flash, --flash_mode / --flash-mode) are accepted. */
#ifndef MPI_ESPTOOL_H
#define MPI_ESPTOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"
#include "err.h"
#include "fileio.h"   /* every command's input and output files */
#include "json.h"
#include "loader.h"

struct esptool {
    const char *chip;          /* --chip (NULL/"auto" = detect) */
    const char *port;          /* -p/--port, ESPTOOL_PORT */
    uint32_t baud;             /* -b/--baud, ESPTOOL_BAUD */
    struct loader_opts lo;
    bool trace;
    bool tty;                  /* stdout is a terminal: progress bar */
    struct loader *l;          /* after es_connect() */
    char port_name[256];
    /* --json: the object this command's results go into (the document, or
     * one board's object when several run), else NULL */
    struct json *json;
    char chip_name[32], mac[18];   /* once connected */
    bool no_backup, dry_run;   /* the safety net (esptool_safety.c) */
    bool json_out;             /* --json (esptool_run.c) */
    const char *ports[64];     /* -p given several times or as a list */
    int nports;
};

/* Running a command (esptool_run.c): on the one board, or on every port
 * given (write-flash, erase-flash, verify-flash, read-mac, chip-id: one
 * thread per board, boards.h), and with --json the document on stdout.
 * es_json_mode: stdout is for the document only. */
typedef int (*es_cmd_fn)(struct esptool *t, int argc, char **argv, struct err *e);
extern bool es_json_mode;
int es_run(struct esptool *t, const char *name, es_cmd_fn fn, int argc, char **argv,
           struct err *e);
/* The global flags es_run adds (--json, --no-diff, --no-backup, --dry-run). */
bool es_run_flag(const struct esptool *t, const char *opt);
void es_run_set_flag(struct esptool *t, const char *opt);
/* -p PORT[,PORT...] (may be given several times). */
int es_add_port(struct esptool *t, const char *list, struct err *e);

/* Print like esptool: normal lines to stdout, warnings prefixed.  Under
 * --json they go to stderr (stdout holds the document); with several
 * boards, to the board's line (boards.h). */
void es_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void es_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Finish a progress line started on a terminal. */
void es_progress_done(void);
/* The loader's callbacks (loader_opts): its messages, progress (ctx: the
 * struct esptool), the bytes on the line for --trace, and the chip
 * summary once connected. */
void es_on_log(void *ctx, const char *msg);
void es_on_progress(void *ctx, const char *what, uint32_t addr, uint64_t done, uint64_t total);
void es_on_trace(void *ctx, bool tx, const uint8_t *buf, size_t len);
void es_on_connected(void *ctx, struct loader *l);

/* Connect as the global options say, print the chip summary. */
int es_connect(struct esptool *t, struct err *e);
/* Attach the flash; size "keep"/"detect"/NULL = detect, or "4MB".
 * `announce`: say so as esptool's write_flash/verify_flash do
 * ("Configuring flash size...", "Auto-detected flash size: 4MB"). */
int es_attach(struct esptool *t, const char *flash_size, bool announce, struct err *e);
/* The --after action; frees the loader. */
void es_finish(struct esptool *t);

/* Numbers as esptool takes them: 0x1000, 4096, 4k, 4KB, 1M, 4MB. */
int es_parse_u32(const char *s, uint32_t *out);
/* "write_flash" and "--flash_mode" become "write-flash", "--flash-mode". */
void es_normalize(const char *in, char *out, size_t cap);

/* The bootloader header patch of write_flash/verify_flash/merge_bin (§5.7):
 * applied when `addr` is the chip's bootloader offset and the data is a
 * valid image.  `mode/freq/size` are "keep" or values ("dio", "80m",
 * "4MB", "detect" with `detected_size`).  May reallocate nothing: patches
 * in place.  Returns 0, or -1 with e filled for a bad value. */
int es_patch_header(const struct chip *c, uint32_t addr, uint8_t *buf, size_t len,
                    const char *mode, const char *freq, const char *size,
                    uint32_t detected_size, bool quiet, struct err *e);

/* The safety net (esptool_safety.c): before a command changes the flash,
 * print what it writes and erases and what data is lost, save that data
 * to a backup file (unless --no-backup) and name it; with --dry-run stop
 * there.  Returns 0 to go on, 1 after a dry run (nothing to do), -1. */
struct es_change {
    uint32_t addr, len;
    const uint8_t *data;       /* NULL: erased */
    const char *what;          /* the file, or "erase" */
};
int es_safety(struct esptool *t, const struct es_change *c, int n, struct err *e);
/* The same for erasing the whole flash. */
int es_safety_erase_all(struct esptool *t, struct err *e);

/* Commands: argv[0] is the command name. */
int es_cmd_write_flash(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_verify_flash(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_read_flash(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_erase_flash(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_erase_region(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_chip_id(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_flash_id(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_read_mac(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_image_info(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_merge_bin(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_restore_backup(struct esptool *t, int argc, char **argv, struct err *e);

#endif
