/* Each command's own help (`esptool write_flash -h`), and the command a
 * mistyped name most likely meant. */
#include <stdio.h>
#include <string.h>

#include "esptool_cmds.h"

struct help {
    const char *name, *text;
};

static const struct help helps[] = {
    { "write-flash", "write-flash [options] ADDRESS FILE [ADDRESS FILE ...]\n"
      "  Write files to flash (compressed with the stub), each verified by MD5.\n"
      "  -z/--compress, -u/--no-compress, -e/--erase-all, --force (no chip/revision check),\n"
      "  --flash-mode/-fm qio|qout|dio|dout|keep, --flash-freq/-ff 80m|40m|...|keep,\n"
      "  --flash-size/-fs detect|keep|256KB|512KB|1MB|...|128MB (ESPTOOL_FM/FF/FS)" },
    { "verify-flash", "verify-flash [--diff] [flash options] ADDRESS FILE [ADDRESS FILE ...]\n"
      "  Compare flash with files (MD5; --diff lists differing bytes)." },
    { "read-flash", "read-flash ADDRESS SIZE|ALL FILE\n  Read flash into a file." },
    { "erase-flash", "erase-flash\n  Erase the whole flash." },
    { "erase-region", "erase-region ADDRESS SIZE\n  Erase a 4 KiB aligned region." },
    { "chip-id", "chip-id\n  ESP8266: the chip ID; other chips: the MAC address." },
    { "flash-id", "flash-id\n  The flash manufacturer, device and size." },
    { "read-mac", "read-mac\n  The MAC address (EUI-64, base MAC and extension on C5/C6/H2)." },
    { "image-info", "image-info FILE\n  Describe an image file (any chip, ESP8266 v1/v2 too)." },
    { "merge-bin", "merge-bin -o OUTPUT [--format raw|hex|uf2] [flash options] ADDRESS FILE ...\n"
      "  Merge files into one image." },
    { "elf2image", "elf2image [options] ELF\n"
      "  An ELF to a flashable image (--chip required).  -o/--output, -e/--version 1|2|3\n"
      "  (ESP8266), --min-rev/-r, --min-rev-full, --max-rev-full, --secure-pad,\n"
      "  --secure-pad-v2, --elf-sha256-offset N, --dont-append-digest, --use-segments,\n"
      "  --flash-mmu-page-size 64KB|32KB|16KB|8KB, --pad-to-size SIZE, --ram-only-header,\n"
      "  --flash-mode/-fm, --flash-freq/-ff, --flash-size/-fs (ESPTOOL_FM/FF/FS)" },
    { "make-image", "make-image OUTPUT -f FILE -a ADDRESS [-f FILE -a ADDRESS ...] [-e ENTRY]\n"
      "  An ESP8266 (v1) image from raw segment files." },
    { "load-ram", "load-ram FILE\n  Load an image's segments into RAM and run it." },
    { "dump-mem", "dump-mem ADDRESS SIZE FILE\n  Save memory to a file, a word at a time." },
    { "read-mem", "read-mem ADDRESS\n  Read a 32-bit word." },
    { "write-mem", "write-mem ADDRESS VALUE [MASK]\n  Write a 32-bit word (only the MASK bits)." },
    { "run", "run\n  Start the app in flash." },
    { "read-flash-status", "read-flash-status [--bytes 1|2|3]\n"
      "  Read the flash status register." },
    { "write-flash-status", "write-flash-status [--non-volatile] [--bytes 1|2|3] VALUE\n"
      "  Write the flash status register (volatile bits unless --non-volatile)." },
    { "get-security-info", "get-security-info\n"
      "  Secure boot, flash encryption, key purposes (ESP32-S2 and later)." },
};

const char *es_command_help(const char *name)
{
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
        if (!strcmp(helps[i].name, name))
            return helps[i].text;
    return NULL;
}

/* Levenshtein distance, short strings. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[64];
    if (la > 62 || lb > 62)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        d[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = d[0];
        d[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = d[j], best = prev + (a[i - 1] != b[j - 1]);
            if (d[j] + 1 < best)
                best = d[j] + 1;
            if (d[j - 1] + 1 < best)
                best = d[j - 1] + 1;
            d[j] = best;
            prev = cur;
        }
    }
    return d[lb];
}

const char *es_suggest(const char *name)
{
    const char *best = NULL;
    size_t bd = 4;
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        size_t dd = distance(name, helps[i].name);
        if (dd < bd)
            bd = dd, best = helps[i].name;
    }
    return best;
}
