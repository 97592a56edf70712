/* otadata: which OTA app slot the ESP-IDF bootloader boots.
 * See docs/esp-loader-protocol.md §6.2 in ../shared.
 *
 * The data/ota partition is 0x2000 bytes: two 4 KiB sectors, each starting
 * with one 32-byte esp_ota_select_entry_t (little-endian), the rest 0xFF:
 *   +0  u32     ota_seq    1-based; 0xFFFFFFFF = empty
 *   +4  u8[20]  seq_label  unused (0xFF)
 *   +24 u32     ota_state  OTA_IMG_*
 *   +28 u32     crc        CRC-32 of the 4 ota_seq bytes, see otadata_crc()
 * Pure functions on byte buffers; no flash access. */
#ifndef MPI_OTADATA_H
#define MPI_OTADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ptable.h"

#define OTADATA_SECTOR     0x1000u
#define OTADATA_ENTRY_LEN  32u

#define OTA_IMG_NEW            0u
#define OTA_IMG_PENDING_VERIFY 1u
#define OTA_IMG_VALID          2u
#define OTA_IMG_INVALID        3u
#define OTA_IMG_ABORTED        4u
#define OTA_IMG_UNDEFINED      0xFFFFFFFFu

struct otadata_entry {
    uint32_t seq, state, crc;
    uint8_t label[20];
    bool crc_ok;         /* crc == otadata_crc(seq) */
    bool valid;          /* seq != 0xFFFFFFFF, state not INVALID/ABORTED, crc_ok */
};

struct otadata {
    struct otadata_entry e[2];
    int active;          /* 0 or 1: the valid entry with the larger seq (tie: 0); -1 none */
};

/* esp_rom_crc32_le(0xFFFFFFFF, &seq, 4) = zlib crc32(0xFFFFFFFF, seq_le, 4).
 * seq 1 -> 0x4743989A, seq 2 -> 0x55F63774. */
uint32_t otadata_crc(uint32_t seq);

/* Decode the two entries from the partition's OTADATA_SIZE (0x2000) bytes;
 * `len` must be at least that. */
int otadata_parse(const uint8_t *buf, size_t len, struct otadata *o, struct err *e);

/* Number of OTA app slots as esp_ota_get_app_partition_count() counts them:
 * app ota_0, ota_1, ... present without a gap. */
int otadata_app_count(const struct ptable *t);

/* The slot the bootloader boots: (seq - 1) % n_ota of the active entry, or
 * -1 when no entry is valid or n_ota is 0 (then it boots the factory app if
 * there is one, else ota_0). */
int otadata_boot_slot(const struct otadata *o, int n_ota);

/* The partition that boot leads to, with the fallback above; NULL when the
 * table has no app to boot. */
const struct part *otadata_boot_part(const struct otadata *o, const struct ptable *t);

/* Rewrite the OTADATA_SIZE bytes in `buf` so that slot `slot` (0..n_ota-1)
 * boots next, as IDF's esp_rewrite_ota_data() does: if the active entry
 * already maps to the slot only its state changes; otherwise the other
 * sector gets the smallest seq = ((slot + 1) % n_ota) + i * n_ota above
 * the active seq (IDF: not below; that differs only for an active seq of
 * 0, where IDF's entry would not win); with no valid entry sector 0 gets
 * seq slot + 1.  The
 * written sector is erased (0xFF) first; its label bytes are kept.
 * new_state: OTA_IMG_NEW (rollback enabled) or OTA_IMG_UNDEFINED. */
int otadata_select(uint8_t *buf, size_t len, int slot, int n_ota, uint32_t new_state, struct err *e);

/* Selecting the factory app: the whole partition erased. */
void otadata_select_factory(uint8_t *buf, size_t len);

/* One entry: seq, 20 x 0xFF label, state, crc. */
void otadata_encode_entry(uint8_t out[OTADATA_ENTRY_LEN], uint32_t seq, uint32_t state);

/* "new", "pending_verify", "valid", "invalid", "aborted", "undefined";
 * NULL for other values. */
const char *otadata_state_name(uint32_t state);

#endif
