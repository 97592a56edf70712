/* Internals shared by loader.c, loader_connect.c and loader_flash.c. */
#ifndef MPI_LOADER_IMPL_H
#define MPI_LOADER_IMPL_H

#include "bytes.h"
#include "loader.h"

#define LOADER_DEFAULT_TIMEOUT   3000u   /* ms, esptool DEFAULT_TIMEOUT */
#define LOADER_SYNC_TIMEOUT      100u
#define LOADER_MEM_END_TIMEOUT   200u
#define LOADER_CHIP_ERASE_TIMEOUT 120000u
#define LOADER_MAX_TIMEOUT       240000u
#define LOADER_ERASE_PER_MB      30u     /* s/MB: ROM BEGIN erase, ERASE_REGION */
#define LOADER_WRITE_PER_MB      40u     /* s/MB: per written block */
#define LOADER_MD5_PER_MB        8u      /* s/MB: SPI_FLASH_MD5 */
#define LOADER_ROM_BLOCK         0x400u  /* FLASH_WRITE_SIZE, ROM */
#define LOADER_STUB_BLOCK        0x4000u /* FLASH_WRITE_SIZE, stub */
#define LOADER_RAM_BLOCK         0x1800u /* ESP_RAM_BLOCK */
#define LOADER_SECTOR            0x1000u

int loader_next_frame(struct loader *l, uint64_t deadline, bool *bad, struct err *e);
int loader_flush_input(struct loader *l, struct err *e);
int loader_send_raw_frame(struct loader *l, const uint8_t *buf, size_t len, struct err *e);
int loader_send_command(struct loader *l, uint8_t op, const void *data, size_t len,
                        uint32_t chk, struct err *e);
int loader_wait_reply(struct loader *l, uint8_t op, unsigned timeout_ms, int resp_len,
                      const uint8_t **payload, size_t *plen, const char *what, struct err *e);
void loader_note(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* esptool's timeout_per_mb: max(3 s, secs_per_mb * bytes / 1e6), capped. */
unsigned loader_timeout_per_mb(unsigned secs_per_mb, uint32_t bytes);
/* XOR of the bytes, seeded 0xEF (§1.5). */
uint32_t loader_checksum(const uint8_t *d, size_t n);

#endif
