/* otadata decoding and rewriting, following ESP-IDF's bootloader
 * (bootloader_common_loader.c, bootloader_utility.c) and app_update
 * (esp_ota_ops.c: esp_rewrite_ota_data), read for facts only. */
#include "bytes.h"
#include "otadata.h"

#include <string.h>
#include <zlib.h>

uint32_t otadata_crc(uint32_t seq)
{
    /* The ROM helper inverts on entry and exit; zlib's crc32() takes the
     * running value in the same (inverted) form, so seeding it with
     * 0xFFFFFFFF gives the same result. */
    uint8_t le[4];
    put_le32(le, seq);
    return (uint32_t)crc32(0xFFFFFFFFul, le, 4);
}

static void decode_entry(const uint8_t *r, struct otadata_entry *x)
{
    x->seq = get_le32(r);
    memcpy(x->label, r + 4, sizeof x->label);
    x->state = get_le32(r + 24);
    x->crc = get_le32(r + 28);
    x->crc_ok = x->crc == otadata_crc(x->seq);
    x->valid = x->seq != 0xFFFFFFFFu && x->state != OTA_IMG_INVALID && x->state != OTA_IMG_ABORTED
               && x->crc_ok;
}

static int active_entry(const struct otadata *o)
{
    if (o->e[0].valid && o->e[1].valid)
        return o->e[1].seq > o->e[0].seq ? 1 : 0;
    return o->e[0].valid ? 0 : o->e[1].valid ? 1 : -1;
}

int otadata_parse(const uint8_t *buf, size_t len, struct otadata *o, struct err *e)
{
    memset(o, 0, sizeof *o);
    o->active = -1;
    if (len < OTADATA_SIZE)
        return err_set(e, "otadata: %zu bytes, need 0x%x", len, OTADATA_SIZE);
    decode_entry(buf, &o->e[0]);
    decode_entry(buf + OTADATA_SECTOR, &o->e[1]);
    o->active = active_entry(o);
    return 0;
}

int otadata_app_count(const struct ptable *t)
{
    int n = 0;
    for (bool found = true; found && n < 16; ) {
        found = false;
        for (int i = 0; i < t->n && !found; i++)
            found = t->p[i].type == PART_TYPE_APP && t->p[i].subtype == PART_SUBTYPE_OTA_0 + n;
        if (found)
            n++;
    }
    return n;
}

int otadata_boot_slot(const struct otadata *o, int n_ota)
{
    if (n_ota <= 0 || o->active < 0)
        return -1;
    return (int)((o->e[o->active].seq - 1u) % (uint32_t)n_ota);
}

static const struct part *find_app(const struct ptable *t, int subtype)
{
    for (int i = 0; i < t->n; i++)
        if (t->p[i].type == PART_TYPE_APP && t->p[i].subtype == subtype)
            return &t->p[i];
    return NULL;
}

const struct part *otadata_boot_part(const struct otadata *o, const struct ptable *t)
{
    int slot = otadata_boot_slot(o, otadata_app_count(t));
    if (slot >= 0)
        return find_app(t, PART_SUBTYPE_OTA_0 + slot);
    const struct part *p = find_app(t, PART_SUBTYPE_FACTORY);
    return p ? p : find_app(t, PART_SUBTYPE_OTA_0);
}

void otadata_encode_entry(uint8_t out[OTADATA_ENTRY_LEN], uint32_t seq, uint32_t state)
{
    memset(out, 0xFF, OTADATA_ENTRY_LEN);
    put_le32(out, seq);
    put_le32(out + 24, state);
    put_le32(out + 28, otadata_crc(seq));
}

int otadata_select(uint8_t *buf, size_t len, int slot, int n_ota, uint32_t new_state, struct err *e)
{
    struct otadata o;
    if (otadata_parse(buf, len, &o, e) < 0)
        return -1;
    if (n_ota <= 0 || n_ota > 16 || slot < 0 || slot >= n_ota)
        return err_set(e, "otadata: no OTA slot ota_%d (the table has %d)", slot, n_ota);

    int sector;
    uint32_t seq;
    if (o.active >= 0) {
        uint32_t cur = o.e[o.active].seq;
        if ((cur - 1u) % (uint32_t)n_ota == (uint32_t)slot) {
            sector = o.active;
            seq = cur;
        } else {
            /* Smallest base + i*n above the current seq, so the new entry
             * wins.  (IDF takes the smallest not below it; the two differ
             * only for a current seq of 0, whose seq - 1 wraps: IDF's new
             * entry would tie with it and lose.) */
            uint32_t base = (uint32_t)(slot + 1) % (uint32_t)n_ota;
            uint64_t s = base;
            if (s <= cur)
                s += ((cur - s) / (uint32_t)n_ota + 1) * (uint32_t)n_ota;
            if (s >= 0xFFFFFFFFu)
                return err_set(e, "otadata: sequence number 0x%x cannot grow any further", cur);
            sector = !o.active;
            seq = (uint32_t)s;
        }
    } else {
        sector = 0;
        seq = (uint32_t)slot + 1;
    }
    uint8_t *dst = buf + (size_t)sector * OTADATA_SECTOR;
    memset(dst, 0xFF, OTADATA_SECTOR);
    otadata_encode_entry(dst, seq, new_state);
    memcpy(dst + 4, o.e[sector].label, sizeof o.e[sector].label);
    return 0;
}

void otadata_select_factory(uint8_t *buf, size_t len)
{
    memset(buf, 0xFF, len);
}

const char *otadata_state_name(uint32_t state)
{
    switch (state) {
    case OTA_IMG_NEW: return "new";
    case OTA_IMG_PENDING_VERIFY: return "pending_verify";
    case OTA_IMG_VALID: return "valid";
    case OTA_IMG_INVALID: return "invalid";
    case OTA_IMG_ABORTED: return "aborted";
    case OTA_IMG_UNDEFINED: return "undefined";
    default: return NULL;
    }
}
