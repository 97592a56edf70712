/* The emulated SPI NOR flash, kept in a file (mapped shared, so every write
 * is visible to anyone reading the file) or in memory.
 *
 * NOR semantics: erase sets whole 4 KiB sectors to 0xFF, programming can only
 * clear bits (new = old & data).  A loader that writes without erasing first
 * therefore gets the same wrong bytes as on a real chip.  Addresses wrap at
 * the chip size, as a real chip ignores the address bits above its size.
 *
 * Time: each operation adds what it would keep a real flash chip busy to
 * f->busy_ns; espemu (--baud-limit) holds the chip's next reply back by
 * it, so that benchmarks include the flash's own time.  The figures are
 * the typical ones of a common 4 MB SPI NOR flash, the Winbond W25Q32JV
 * (datasheet rev. F, 2017, section 9.6 "AC Electrical Characteristics"):
 * page program (256 bytes) tPP 0.4 ms, sector erase (4 KiB) tSE 45 ms,
 * block erase (64 KiB) tBE2 150 ms, chip erase tCE 10 s (for 4 MB; the
 * larger parts of the family take proportionally longer: W25Q64JV 20 s,
 * W25Q128JV 40 s); reads at the 40 MHz dual I/O clock the ROM leaves the
 * flash at: 4 clocks a byte. */
#include "emu_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTOR 0x1000u
#define BLOCK 0x10000u
#define NS_PAGE_PROGRAM 400000ull           /* tPP, per 256 bytes */
#define NS_SECTOR_ERASE 45000000ull         /* tSE */
#define NS_BLOCK_ERASE 150000000ull         /* tBE2 */
#define NS_CHIP_ERASE_PER_MB 2500000000ull  /* tCE 10 s for 4 MB */
#define NS_READ_BYTE 100ull                 /* 4 clocks at 40 MHz */

int emu_flash_open(struct emu_flash *f, const char *path, uint32_t size, struct err *e)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->size = size;
    if (!path) {
        f->mem = malloc(size);
        if (!f->mem)
            return err_set(e, "flash: out of memory for %u bytes", size);
        memset(f->mem, 0xFF, size);
        return 0;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_sys(e, "%s: cannot open flash file", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return err_sys(e, "%s: cannot stat", path);
    }
    if ((uint64_t)st.st_size > size) {
        close(fd);
        return err_set(e, "%s: file is %lld bytes, larger than the %u-byte flash "
                       "(use --flash-size)", path, (long long)st.st_size, size);
    }
    off_t old = st.st_size;
    if (old < (off_t)size && ftruncate(fd, size) != 0) {
        close(fd);
        return err_sys(e, "%s: cannot extend to %u bytes", path, size);
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        close(fd);
        return err_sys(e, "%s: cannot map", path);
    }
    f->mem = m;
    f->fd = fd;
    f->mapped = true;
    /* A new file (or the part added to a short one) is erased flash. */
    if (old < (off_t)size)
        memset(f->mem + old, 0xFF, size - (size_t)old);
    return 0;
}

void emu_flash_close(struct emu_flash *f)
{
    if (!f->mem)
        return;
    if (f->mapped) {
        msync(f->mem, f->size, MS_SYNC);
        munmap(f->mem, f->size);
        close(f->fd);
    } else {
        free(f->mem);
    }
    f->mem = NULL;
}

static uint32_t wrap(const struct emu_flash *f, uint32_t addr)
{
    return addr & (f->size - 1);
}

void emu_flash_read(struct emu_flash *f, uint32_t addr, void *buf, uint32_t len)
{
    uint8_t *out = buf;
    for (uint32_t i = 0; i < len; ) {
        uint32_t a = wrap(f, addr + i);
        uint32_t n = f->size - a;
        if (n > len - i)
            n = len - i;
        memcpy(out + i, f->mem + a, n);
        i += n;
    }
    f->busy_ns += len * NS_READ_BYTE;
}

bool emu_flash_is(const struct emu_flash *f, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    for (uint32_t i = 0; i < len; i++)
        if (f->mem[wrap(f, addr + i)] != p[i])
            return false;
    return true;
}

int emu_flash_program(struct emu_flash *f, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    uint32_t n = len;
    int rc = 0;
    if (f->fail_armed && len > 0 && f->fail_addr - addr < len) {
        /* The injected failure: half the data lands, then the "SPI
         * operation" fails. */
        f->fail_armed = false;
        n = len / 2;
        rc = -1;
    }
    for (uint32_t i = 0; i < n; i++)
        f->mem[wrap(f, addr + i)] &= p[i];
    f->busy_ns += (uint64_t)n * NS_PAGE_PROGRAM / 256;
    return rc;
}

/* The time of erasing [start, end) as the ROM's erase function does it
 * (esp_rom_spiflash_erase_area): sectors up to a 64 KiB boundary, then
 * blocks, then sectors; the whole chip with the chip erase command. */
static uint64_t erase_ns(const struct emu_flash *f, uint64_t start, uint64_t end)
{
    if (start == 0 && end >= f->size)
        return NS_CHIP_ERASE_PER_MB * f->size / 0x100000;
    uint64_t ns = 0;
    for (uint64_t a = start; a < end;) {
        bool block = a % BLOCK == 0 && end - a >= BLOCK;
        ns += block ? NS_BLOCK_ERASE : NS_SECTOR_ERASE;
        a += block ? BLOCK : SECTOR;
    }
    return ns;
}

void emu_flash_erase(struct emu_flash *f, uint32_t addr, uint32_t len)
{
    if (len == 0)
        return;
    uint32_t start = addr & ~(SECTOR - 1);
    uint64_t end = ((uint64_t)addr + len + SECTOR - 1) & ~(uint64_t)(SECTOR - 1);
    if (end - start > f->size)
        end = start + (uint64_t)f->size;
    for (uint64_t a = start; a < end; a += SECTOR)
        memset(f->mem + wrap(f, (uint32_t)a), 0xFF, SECTOR);
    f->busy_ns += erase_ns(f, start, end);
}
