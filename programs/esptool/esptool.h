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
};

/* Print like esptool: normal lines to stdout, warnings prefixed. */
void es_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void es_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Finish a progress line started on a terminal. */
void es_progress_done(void);

/* Connect as the global options say, print the chip summary. */
int es_connect(struct esptool *t, struct err *e);
/* Attach the flash; size "keep"/"detect"/NULL = detect, or "4MB".
 * `announce`: say so as esptool's write_flash/verify_flash do
 * ("Configuring flash size...", "Auto-detected Flash size: 4MB"). */
int es_attach(struct esptool *t, const char *flash_size, bool announce, struct err *e);
/* The --after action; frees the loader. */
void es_finish(struct esptool *t);

/* Numbers as esptool takes them: 0x1000, 4096, 4k, 4KB, 1M, 4MB. */
int es_parse_u32(const char *s, uint32_t *out);
/* Read a whole file. */
int es_read_file(const char *path, uint8_t **buf, size_t *len, struct err *e);
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

#endif
