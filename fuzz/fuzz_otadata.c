/* libFuzzer target for otadata (lib/format/otadata.c): decoding the two
 * entries, the boot choice against a partition table, and rewriting the
 * partition to boot a slot, which must then decode to that slot: an oracle,
 * not only a crash check.
 *
 * Input (missing bytes read as erased, 0xFF):
 *   0..31   the entry at the start of sector 0   64   slot to select (mod 17)
 *   32..63  the entry at the start of sector 1   65   OTA slot count (mod 17)
 *   66      bit 0: select with state NEW, else UNDEFINED
 *   67..    a partition table (ptable_parse)
 * The rest of each 4 KiB sector is erased, as otadata_select leaves it.
 * Seeds: entries written by otadata_select with fwgen's OTA table
 * (fuzz/corpus/fuzz_otadata, make_corpus). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otadata.h"
#include "ptable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_SLOT 64
#define IN_COUNT 65
#define IN_STATE 66
#define IN_TABLE 67

static uint8_t in_byte(const uint8_t *data, size_t size, size_t i)
{
    return i < size ? data[i] : 0xff;
}

static void decode(const uint8_t *data, size_t size, uint8_t part[OTADATA_SIZE])
{
    memset(part, 0xff, OTADATA_SIZE);
    for (size_t i = 0; i < OTADATA_ENTRY_LEN; i++) {
        part[i] = in_byte(data, size, i);
        part[OTADATA_SECTOR + i] = in_byte(data, size, OTADATA_ENTRY_LEN + i);
    }
}

static void boot_choice(const struct otadata *o, const uint8_t *data, size_t size)
{
    static struct ptable t;
    struct err e;
    if (size <= IN_TABLE || ptable_parse(data + IN_TABLE, size - IN_TABLE, &t, &e))
        return;
    (void)otadata_boot_part(o, &t);
    for (int i = 0; i < 2; i++)
        (void)otadata_state_name(o->e[i].state);
}

static void check_select(uint8_t part[OTADATA_SIZE], int slot, int n_ota, uint32_t state)
{
    struct err e;
    struct otadata o;
    if (otadata_select(part, OTADATA_SIZE, slot, n_ota, state, &e))
        return;
    if (otadata_parse(part, OTADATA_SIZE, &o, &e) || o.active < 0 ||
        otadata_boot_slot(&o, n_ota) != slot || o.e[o.active].state != state) {
        fprintf(stderr, "fuzz_otadata: selected ota_%d of %d, the bootloader would boot %d\n",
                slot, n_ota, o.active < 0 ? -1 : otadata_boot_slot(&o, n_ota));
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t part[OTADATA_SIZE];
    struct otadata o;
    struct err e;
    decode(data, size, part);
    if (otadata_parse(part, OTADATA_SIZE - 1, &o, &e) == 0 ||
        otadata_parse(part, OTADATA_SIZE, &o, &e) != 0)
        abort();   /* the length check is the only way to fail */
    for (int n = 0; n <= 16; n++)
        (void)otadata_boot_slot(&o, n);
    boot_choice(&o, data, size);
    int n_ota = in_byte(data, size, IN_COUNT) % 17;
    int slot = in_byte(data, size, IN_SLOT) % 17;
    uint32_t state = in_byte(data, size, IN_STATE) & 1 ? OTA_IMG_NEW : OTA_IMG_UNDEFINED;
    check_select(part, slot, n_ota, state);
    return 0;
}
