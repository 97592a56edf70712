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

/* Decode `len` bytes (the table sector, or at least the rows up to and
 * including the end row).  Rows are read while their magic is AA 50; an MD5
 * row (EB EB) is verified when present; then an all-0xFF row must follow.
 * Entries stay in table order.  Errors name the table offset (0x8000) and the
 * byte offset of the bad row within the table:
 *   "no partition table at 0x8000 (erased flash)",
 *   "partition table at 0x8000: MD5 row at +0x80 does not match the entries
 *    (corrupt table)", "partition table at 0x8000: truncated at +0xa0, no
 *    end row", "...: row at +0xa0 is neither an entry nor the end row ...".
 * A 16-byte label has no NUL and is read whole.  t->has_md5 tells whether
 * an MD5 row was present.  Tables with more than PTABLE_MAX_PARTS entries
 * are refused. */
int ptable_parse(const uint8_t *buf, size_t len, struct ptable *t, struct err *e);
/* Encode into PTABLE_SECTOR bytes: entries, MD5 row, 0xFF to the end.
 * t->n must be 0..PTABLE_MAX_PARTS (ptable_validate checks this). */
void ptable_serialize(const struct ptable *t, uint8_t out[PTABLE_SECTOR]);
/* Encode as gen_esp32part.py does: the same, only PTABLE_MAX_LEN long. */
void ptable_serialize_gen(const struct ptable *t, uint8_t out[PTABLE_MAX_LEN]);
/* General form of both: `len` (>= PTABLE_MAX_LEN) bytes; with md5 false no
 * MD5 row is written (gen_esp32part --disable-md5sum). */
void ptable_encode(const struct ptable *t, bool md5, uint8_t *out, size_t len);

/* Lookup by label; NULL if absent. */
const struct part *ptable_find(const struct ptable *t, const char *name);
struct part *ptable_find_mut(struct ptable *t, const char *name);
/* First partition of type app by offset; NULL if none. */
const struct part *ptable_first_app(const struct ptable *t);
/* The same entries in the same order (name, type, subtype, offset, size,
 * flags): what a table rewrite would not change. */
bool ptable_equal(const struct ptable *a, const struct ptable *b);
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
/* The known keywords, comma-separated ("app, data, ..." for types when
 * `subtypes` is false, else the subtypes of `type`), for error messages.
 * Returns the full length like snprintf; `out` is NUL-terminated. */
size_t ptable_keywords(int type, bool subtypes, char *out, size_t cap);

/* The validation every new table goes through before anything is written:
 * names (unique, 1..16 bytes), alignment, overlaps (including the table
 * sector itself), entries beyond flash_size (0 = not checked), otadata
 * size, entry count.  Messages name the partition ("partition 'vfs': ..."). */
int ptable_validate(const struct ptable *t, uint32_t flash_size, struct err *e);
/* The same, also reporting which entry (index into t->p) is at fault, or -1
 * when the error is about the table as a whole.  flash_size 0 skips the
 * flash-size check.  The checks mirror gen_esp32part.py's verify():
 *   - entry count 0..PTABLE_MAX_PARTS;
 *   - each entry: name 1..16 bytes, size > 0, end within 4 GiB, offset
 *     aligned (app 0x10000, every other type 0x1000), app size aligned to
 *     0x1000 (data sizes need no alignment: IDF ships 0x36FFFC), ota and
 *     coredump data never readonly, read-write nvs at least 0x3000;
 *   - names unique;
 *   - sorted by offset: nothing below 0x9000 (end of the table sector)
 *     except the bootloader/partition_table pseudo entries, no overlaps;
 *   - at most one otadata (data/ota) and one TEE otadata (data/tee_ota),
 *     each exactly 0x2000;
 *   - the highest end within flash_size. */
int ptable_validate_at(const struct ptable *t, uint32_t flash_size, int *bad, struct err *e);

/* Read an ESP-IDF partition CSV as gen_esp32part.py does (see ptable_csv.c
 * for the rules).  `filename` names the file in errors, which are one line:
 *   "partitions.csv:5: partitions overlap: 'factory' at 0x1f0000, previous
 *    partition ends at 0x200000".
 * The table is validated (ptable_validate_at) against flash_size (0 = no
 * size check) before it is returned; entries stay in file order. */
int ptable_from_csv(const char *text, size_t len, const char *filename,
                    uint32_t flash_size, struct ptable *t, struct err *e);
/* A table file's bytes, either form: gen_esp32part's binary (starts with
 * AA 50; read as ptable_parse does, not validated) or an ESP-IDF CSV (as
 * ptable_from_csv).  Errors name `name`. */
int ptable_from_bytes(const uint8_t *buf, size_t len, const char *name, uint32_t flash_size,
                      struct ptable *t, struct err *e);
/* Write the table as CSV text in gen_esp32part's style (named types and
 * subtypes, sizes with K/M when exact, offsets hex, flags colon-separated).
 * Returns the length the whole text needs (without the NUL), like snprintf;
 * `out` is always NUL-terminated when cap > 0. */
size_t ptable_to_csv(const struct ptable *t, char *out, size_t cap);

#endif
