/* Internals shared by lib/emu*.c.  Calls between these files go one way,
 * from the top down, so a command set can be read and changed knowing only
 * what lies below it:
 *   emu.c                    open/close, input, accessors; frames to ROM or stub
 *   emu_rom.c, emu_stub.c    the ROM loader's and the flasher stub's commands
 *   emu_regs.c               the register file, SPI user-command engine
 *   emu_core.c               the chip state and what both command sets do
 *   emu_flash.c, emu_chip.c  the flash file, the per-chip facts
 * Not for other modules: they use emu.h. */
#ifndef MPI_EMU_IMPL_H
#define MPI_EMU_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "emu.h"
#include "slip.h"

/* ---- per-chip facts (emu_chip.c) ---------------------------------------- */

struct emu_reg {
    uint32_t addr, value;
};

struct emu_chip {
    const char *name;
    uint8_t status_len;         /* ROM status bytes: 2 on ESP8266, else 4 */
    bool rom_begin20;           /* ROM FLASH_BEGIN takes 16 or 20 bytes (else 16 only) */
    bool rom_esp32_family;      /* SPI_ATTACH, SET_PARAMS, READ_FLASH_SLOW,
                                 * CHANGE_BAUDRATE, DEFL_*, MD5 in ROM */
    uint8_t secinfo_len;        /* GET_SECURITY_INFO payload: 0 none, 12, 20 */
    uint16_t chip_id;           /* image chip id (in GET_SECURITY_INFO) */
    uint32_t api_version;       /* last word of GET_SECURITY_INFO */
    uint8_t key_purpose6;       /* last key purpose byte (C3 ROM: 0x0C) */
    uint32_t magic;             /* CHIP_DETECT_MAGIC_REG 0x40001000 */
    uint8_t err_no_begin;       /* ROM error for DATA without BEGIN (0x05 / 0x64) */
    /* SPI0/1 controller used for user commands */
    uint32_t spi_base;
    uint8_t spi_usr, spi_usr1, spi_usr2, spi_mosi_dlen, spi_miso_dlen, spi_w0;
    bool spi_addr_msb;          /* address left-aligned in SPI_ADDR (ESP8266, ESP32) */
    uint32_t uart_clkdiv_reg;
    uint32_t xtal_mhz;
    uint8_t xtal_div;           /* UART clock = xtal * div (ESP8266: 2) */
    uint32_t mac_reg;           /* word0 of the MAC, word1 at +4 (0: see regs) */
    uint8_t mac[6];
    const struct emu_reg *regs; /* eFuse words etc.; values OR into MAC words */
    /* Boot messages */
    const char *banner;         /* first lines of every boot */
    const char *rst_poweron, *rst_sw;
    const char *boot_download;  /* "0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))" */
    const char *boot_flash;     /* "0x13 (SPI_FAST_FLASH_BOOT)" */
    const char *waiting;        /* "waiting for download\r\n" */
    uint32_t bootloader_offset; /* where the "app boot" looks for 0xE9 */
};

const struct emu_chip *emu_chip_find(const char *name);
/* The fixed register value at addr (magic, eFuses, MAC words), or false. */
bool emu_chip_reg(const struct emu_chip *c, uint32_t addr, uint32_t *value);

/* ---- flash (emu_flash.c) ------------------------------------------------ */

struct emu_flash {
    uint8_t *mem;
    uint32_t size;
    int fd;                     /* -1 when in memory */
    bool mapped;
    bool fail_armed;
    uint32_t fail_addr;
    uint64_t busy_ns;           /* flash time of the operations so far (emu_flash.c) */
};

int emu_flash_open(struct emu_flash *f, const char *path, uint32_t size, struct err *e);
void emu_flash_close(struct emu_flash *f);
/* Physical flash: addresses wrap at the chip size, as a NOR chip ignores the
 * high address bits.  Program clears bits only; erase works on whole 4 KiB
 * sectors.  program returns -1 when an injected write fault fires. */
void emu_flash_read(struct emu_flash *f, uint32_t addr, void *buf, uint32_t len);
int emu_flash_program(struct emu_flash *f, uint32_t addr, const void *buf, uint32_t len);
void emu_flash_erase(struct emu_flash *f, uint32_t addr, uint32_t len);
bool emu_flash_is(const struct emu_flash *f, uint32_t addr, const void *buf, uint32_t len);

/* ---- registers and SPI user commands (emu_regs.c) ------------------------ */

#define EMU_SPI_REGS 64         /* 0x100 bytes of SPI controller registers */
#define EMU_MISC_REGS 64

struct emu_regs {
    uint32_t spi[EMU_SPI_REGS];
    struct emu_reg misc[EMU_MISC_REGS];   /* other registers written by the host */
    unsigned nmisc, next_misc;
    uint8_t sr[3];              /* flash status registers 1..3 */
    bool wel;                   /* write-enable latch */
    bool vwel;                  /* volatile-write enable (WEVSR, 0x50) */
};

struct emu;
uint32_t emu_reg_read(struct emu *emu, uint32_t addr);
void emu_reg_write(struct emu *emu, uint32_t addr, uint32_t value, uint32_t mask);
/* JEDEC id bytes (manufacturer, type, capacity) of the emulated flash. */
void emu_flash_jedec(uint32_t size, uint8_t id[3]);

/* ---- RAM (emu_ram.c): what MEM_DATA loaded, read back by READ_REG ------- */

#define EMU_RAM_PAGE 4096u
#define EMU_RAM_PAGES 512       /* 2 MiB: more than any chip's RAM */

struct emu_ram {
    uint32_t base[EMU_RAM_PAGES];
    uint8_t *page[EMU_RAM_PAGES];
    unsigned n;
};

struct emu;
/* Store bytes loaded at addr (pages made as needed); false when the limit
 * was reached and the rest dropped. */
bool emu_ram_write(struct emu *emu, uint32_t addr, const uint8_t *data, uint32_t len);
/* The word at addr if RAM holds that page (addr rounded down to 4). */
bool emu_ram_read32(const struct emu *emu, uint32_t addr, uint32_t *value);
/* Change the word at addr if RAM holds that page; false if not. */
bool emu_ram_write32(struct emu *emu, uint32_t addr, uint32_t value);
void emu_ram_free(struct emu *emu);

/* ---- the chip state (emu_core.c resets it, every file reads it) --------- */

#define EMU_MAX_BLOCK 0x4000u
#define EMU_FRAME_CAP (EMU_MAX_BLOCK + 16 + 8 + 64)
#define EMU_MAX_REGIONS 16

struct emu_write {              /* FLASH_BEGIN / FLASH_DEFL_BEGIN in progress */
    bool active, compressed, inflate_done;
    bool overrun;               /* more data than announced (stub DEFL) */
    bool failed;                /* ROM: a data block failed (FLASH_END answers 06) */
    uint32_t start;             /* FLASH_BEGIN offset */
    uint32_t offset;            /* next address (sequential writers) */
    uint32_t remaining;         /* bytes still expected (stub) */
    uint32_t num_blocks, block_size;
    uint32_t erase_next, erase_end;   /* stub: lazy erase frontier */
    z_stream z;
    bool z_live;
};

struct emu_read {               /* stub READ_FLASH streaming */
    bool active;
    uint32_t offset, remaining, packet, total, sent, acked;
    struct hash_md5 *md5;
};

struct emu_region {
    uint32_t addr, len;
};

struct emu {
    const struct emu_chip *chip;
    struct emu_flash flash;
    enum emu_state state;
    unsigned en_delay_ms;

    /* lines and the reset circuit */
    bool dtr, rts, en_high;
    bool boot_pending;
    uint64_t boot_at;

    /* input */
    struct slip_decoder dec;
    uint8_t frame[EMU_FRAME_CAP];

    /* output queue; a baud switch takes effect at byte baud_mark */
    uint8_t *out;
    size_t out_head, out_len, out_cap;
    bool baud_switch;
    size_t baud_mark;           /* absolute output position of the switch */
    uint64_t out_taken;         /* bytes taken so far (absolute) */
    uint32_t baud, next_baud;

    /* ROM reply buffer: commands write their payload and status into it and
     * the bytes they don't write stay from earlier replies (see
     * rom-transcripts: the stale reserved status bytes). */
    uint8_t rom_buf[64 + 4];
    uint8_t rom_op;
    uint8_t rom_repeat;         /* frames the last reply was sent as (SYNC: 8) */
    uint8_t rom_err;            /* the error byte: kept by download commands */
    uint8_t rom_req[4];         /* request buffer: first data word, stale when
                                 * a request carries fewer bytes */
    uint32_t rom_seq;           /* next FLASH/MEM_DATA seq (reset by BEGIN) */
    uint32_t rom_value;
    uint32_t rom_flash_size;    /* SPI_SET_PARAMS total size (ROM: 2 MB) */
    bool rom_attached;

    /* stub */
    uint16_t stub_pending;      /* error from the last post-processing */
    uint32_t stub_flash_size;

    struct emu_write wr;
    struct emu_read rd;
    bool mem_active;
    uint32_t mem_addr, mem_remaining;
    struct emu_region regions[EMU_MAX_REGIONS];
    unsigned nregions;

    struct emu_regs regs;
    struct emu_ram ram;         /* kept across resets, as SRAM keeps its contents */
    uint32_t stub_print;        /* fingerprint of the running stub's code (emu_core.c) */
    uint8_t sr_nv[3];           /* flash status registers' non-volatile bits (emu_regs.c) */
    struct emu_stats stats;
    uint64_t busy_after_ns;     /* of flash.busy_ns: work a stub does after its reply */
    void (*log_fn)(void *ctx, const char *line);
    void *log_ctx;
};

/* ---- the chip core (emu_core.c) ----------------------------------------- */

void emu_log(struct emu *emu, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint32_t emu_checksum(const uint8_t *data, size_t len);
int emu_md5_flash(struct emu *emu, uint32_t addr, uint32_t len, uint8_t out[16]);
const char *emu_op_name(uint8_t op);

void emu_out(struct emu *emu, const void *buf, size_t len);
void emu_out_text(struct emu *emu, const char *s);
void emu_send_frame(struct emu *emu, const uint8_t *payload, size_t len);
void emu_switch_baud(struct emu *emu, uint32_t baud);
void emu_boot(struct emu *emu, bool download, bool software, bool keep_output);
void emu_app_boot_log(struct emu *emu);

void emu_write_abort(struct emu *emu);
int emu_write_begin(struct emu *emu, uint32_t offset, uint32_t size, uint32_t blocks,
                    uint32_t block_size, bool compressed);
int emu_inflate(struct emu *emu, const uint8_t *in, size_t len,
                int (*sink)(struct emu *, const uint8_t *, uint32_t));
void emu_read_abort(struct emu *emu);
void emu_mem_region(struct emu *emu, uint32_t addr, uint32_t len);
void emu_jump(struct emu *emu, uint32_t entry);

/* ---- ROM loader commands (emu_rom.c) ------------------------------------ */

/* A frame of at least 8 bytes while the ROM loader runs. */
void emu_rom_frame(struct emu *emu, const uint8_t *f, size_t len);

/* ---- flasher stub commands (emu_stub.c) --------------------------------- */

/* Any frame while the stub runs: a command, or an ack of READ_FLASH data. */
void emu_stub_frame(struct emu *emu, const uint8_t *f, size_t len);

#endif
