/* The esptool commands beyond flashing (issue 9): elf2image and make_image
 * (esptool_elf.c), the memory and register commands (esptool_mem.c), the
 * flash status register and security info (esptool_status.c), and the
 * option parser they share (esptool_args.c). */
#ifndef MPI_ESPTOOL_CMDS_H
#define MPI_ESPTOOL_CMDS_H

#include "esptool.h"

/* One option of a command: names "-o|--output" (the underscore spelling
 * is taken too), and where its value goes: a flag, one value, or a list. */
struct es_opt {
    const char *names;
    bool *flag;
    const char **value;
    const char *const *choices;    /* NULL: any value */
    const char **list;             /* repeated option */
    int *count;
    int max;
};

/* Parse argv[1..] (argv[0] is the command): options into `opts` (ended by
 * a zero row), the rest into pos[0..maxpos).  esptool v5's messages for an
 * unknown option, a missing value, a bad choice. */
int es_parse_opts(int argc, char **argv, const struct es_opt *opts, const char **pos, int maxpos,
                  int *npos, struct err *e);
int es_check_choice(const char *names, const char *value, const char *const *choices,
                    struct err *e);
/* An integer in any base (0x10, 16, 0o20), as esptool's arg_auto_int. */
int es_parse_any_int(const char *name, const char *s, uint32_t *out, struct err *e);
/* An ESPTOOL_* variable's value, or fallback when unset or empty. */
const char *es_env_default(const char *var, const char *fallback);

extern const char *const es_flash_modes[];
extern const char *const es_flash_freqs[];
extern const char *const es_flash_sizes[];

/* image_info's text for an image file (esptool_imageinfo.c); chip_arg is
 * --chip (NULL or "auto": detected from the header). */
int es_image_info_print(const char *chip_arg, const uint8_t *buf, size_t len, struct err *e);

/* One line of esptool v5's progress bar: "PREFIX[====>   ]  50.0%SUFFIX ". */
void es_bar(const struct esptool *t, const char *prefix, uint64_t cur, uint64_t total,
            const char *suffix);

/* The chip summary esptool v5 prints once connected (esptool_report.c),
 * and its MAC lines (read_mac, chip_id). */
void es_chip_report(struct esptool *t, struct loader *l);
int es_print_mac(struct loader *l, struct err *e);

/* Attach the flash as esptool's attach_flash() does, saying so for the ROM. */
int es_attach_flash(struct esptool *t, struct err *e);

/* --flash-mode/--flash-freq/--flash-size: ESPTOOL_FM/FF/FS (else "keep")
 * where not given, then esptool's choices (esptool_checks.c). */
int es_flash_options(const char **mode, const char **freq, const char **size, struct err *e);
/* An image for another chip or revision, refused as esptool refuses it
 * (unless --force); anything that is not an image passes. */
int es_check_image_chip(struct esptool *t, const char *file, const uint8_t *data, size_t len,
                        struct err *e);

/* The help of one command (esptool_help.c); NULL if it has none.  The
 * command a mistyped name most likely meant, or NULL. */
const char *es_command_help(const char *name);
const char *es_suggest(const char *name);

int es_cmd_elf2image(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_make_image(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_load_ram(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_dump_mem(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_read_mem(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_write_mem(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_run(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_read_flash_status(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_write_flash_status(struct esptool *t, int argc, char **argv, struct err *e);
int es_cmd_get_security_info(struct esptool *t, int argc, char **argv, struct err *e);

#endif
