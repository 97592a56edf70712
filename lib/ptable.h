/* ESP partition table: the binary format, validation and editing.
 * See docs/esp-loader-protocol.md §6.1 in ../shared.
 *
 * At flash 0x8000, up to 0xC00 bytes of 32-byte entries:
 *   AA 50 | type u8 | subtype u8 | offset u32 | size u32 | label[16] | flags u32
 * then an optional MD5 row (EB EB, 14 x FF, MD5 of all entry bytes before it),
 * then an all-0xFF row.  The label may fill all 16 bytes with no NUL. */
#ifndef MPI_PTABLE_H
#define MPI_PTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PTABLE_OFFSET       0x8000u
#define PTABLE_SECTOR       0x1000u   /* the sector the table lives in */
#define PTABLE_MAX_LEN      0xC00u    /* entries + MD5 row must stay below this */
#define PTABLE_ENTRY_LEN    32u
#define PTABLE_MAX_PARTS    94        /* 94 entries + MD5 row + end row = 0xC00 */
#define PTABLE_NAME_MAX     16        /* label bytes; no NUL needed at 16 */

#define PART_TYPE_APP       0x00
#define PART_TYPE_DATA      0x01
#define PART_SUBTYPE_FACTORY 0x00
#define PART_SUBTYPE_OTA_0  0x10
#define PART_SUBTYPE_OTA_15 0x1F
#define PART_SUBTYPE_OTADATA 0x00     /* data/ota */
#define PART_SUBTYPE_PHY    0x01
#define PART_SUBTYPE_NVS    0x02
#define PART_SUBTYPE_FAT    0x81
#define PART_SUBTYPE_SPIFFS 0x82
#define PART_SUBTYPE_LITTLEFS 0x83
#define PART_FLAG_ENCRYPTED 0x1u
#define PART_FLAG_READONLY  0x2u

#define APP_ALIGN           0x10000u
#define DATA_ALIGN          0x1000u
#define OTADATA_SIZE        0x2000u

struct part {
    char name[PTABLE_NAME_MAX + 1];
    uint8_t type, subtype;
    uint32_t offset, size, flags;
    bool implicit;       /* MicroPython >= 1.26 'vfs': not in the table */
};

struct ptable {
    int n;
    struct part p[PTABLE_MAX_PARTS];
    bool has_md5;        /* the binary carried an MD5 row (always written) */
};

/* Decode `len` bytes (the table sector).  Verifies the MD5 row when present
 * and the end row; entries stay in table order. */
int ptable_parse(const uint8_t *buf, size_t len, struct ptable *t, struct err *e);
/* Encode into PTABLE_SECTOR bytes: entries, MD5 row, 0xFF to the end. */
void ptable_serialize(const struct ptable *t, uint8_t out[PTABLE_SECTOR]);
/* Encode as gen_esp32part.py does: the same, only PTABLE_MAX_LEN long. */

/* Lookup by label; NULL if absent. */
const struct part *ptable_find(const struct ptable *t, const char *name);
struct part *ptable_find_mut(struct ptable *t, const char *name);
/* First partition of type app by offset; NULL if none. */
const struct part *ptable_first_app(const struct ptable *t);
/* Highest end (offset + size) of any partition. */
uint32_t ptable_end(const struct ptable *t);
/* Sort by offset (stable). */
void ptable_sort(struct ptable *t);

/* Names <-> numbers for types and subtypes, as in ESP-IDF CSV files.
 * Return -1 / NULL when unknown. */
int ptable_type_code(const char *name);
int ptable_subtype_code(int type, const char *name);
const char *ptable_type_name(int type);
const char *ptable_subtype_name(int type, int subtype);

/* The validation every new table goes through before anything is written:
 * names (unique, 1..16 bytes), alignment, overlaps (including the table
 * sector itself), entries beyond flash_size, otadata size, entry count. */
int ptable_validate(const struct ptable *t, uint32_t flash_size, struct err *e);

#endif
