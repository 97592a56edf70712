/* Argument syntax of mp-image-tool-esp32 (reference §2.1-2.2):
 *   sizes   8M, 1.5M, 0x1f0B (B = 4 KiB block), 512K, 0x10000, 6B
 *   lists   a,b,c   items NAME=VALUE or NAME:VALUE (= and : interchangeable)
 *   parts   NAME[=SUBTYPE[:OFFSET]:SIZE] */
#ifndef MPI_ARGS_H
#define MPI_ARGS_H

#include <stdint.h>

#include "err.h"
#include "layout.h"

#define ARG_MAX_ITEMS 64
#define ARG_MAX_FIELDS 4

int parse_size(const char *s, uint32_t *out, struct err *e);
/* The same, except that a number without a unit counts 4 KiB blocks (what
 * the Python tool's README says of `--fs grow vfs 1024`). */
int parse_blocks(const char *s, uint32_t *out, struct err *e);

/* A comma-separated list, each item split into up to 4 fields on = or :. */
struct arg_item {
    int n;
    char field[ARG_MAX_FIELDS][256];
};
struct arg_list {
    int n;
    struct arg_item item[ARG_MAX_ITEMS];
};
int parse_list(const char *s, struct arg_list *out, struct err *e);

/* Items of --table LAYOUT, --add, --resize. */
int parse_parts(const char *s, struct layout_item *items, int max, struct err *e);

/* "1.5 MB", "24.0 kB", "(100.0 B)" as the Python tool prints sizes. */
void human_size(uint32_t size, char *out, int cap);

#endif
