/* The ESP serial loader protocol, client side: the ROM bootloader and the
 * flasher stub, spoken over a struct port.  Facts and references:
 * ../shared/docs/esp-loader-protocol.md (section numbers below refer to it).
 *
 *   loader_open()    open the port, reset into download mode, sync, detect
 *                    the chip, upload (or reuse) the stub, raise the baud
 *   loader_attach()  SPI attach, read the flash id, set the flash size
 *   loader_write/read/erase/md5   flash access, verified by MD5
 *   loader_close()   the --after action, close the port
 *
 * Every failure names the command, the address and what the chip said.
 * Nothing here prints: notes go to opts->log, progress to opts->progress. */
#ifndef MPI_LOADER_H
#define MPI_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup.h"
#include "chip.h"
#include "err.h"
#include "port.h"
#include "slip.h"

/* Opcodes (§2.1). */
enum {
    LOADER_FLASH_BEGIN = 0x02, LOADER_FLASH_DATA = 0x03, LOADER_FLASH_END = 0x04,
    LOADER_MEM_BEGIN = 0x05, LOADER_MEM_END = 0x06, LOADER_MEM_DATA = 0x07,
    LOADER_SYNC = 0x08, LOADER_WRITE_REG = 0x09, LOADER_READ_REG = 0x0A,
    LOADER_SPI_SET_PARAMS = 0x0B, LOADER_SPI_ATTACH = 0x0D, LOADER_READ_FLASH_SLOW = 0x0E,
    LOADER_CHANGE_BAUDRATE = 0x0F, LOADER_FLASH_DEFL_BEGIN = 0x10,
    LOADER_FLASH_DEFL_DATA = 0x11, LOADER_FLASH_DEFL_END = 0x12, LOADER_SPI_FLASH_MD5 = 0x13,
    LOADER_GET_SECURITY_INFO = 0x14, LOADER_ERASE_FLASH = 0xD0, LOADER_ERASE_REGION = 0xD1,
    LOADER_READ_FLASH = 0xD2, LOADER_RUN_USER_CODE = 0xD3,
};

enum loader_before {
    LOADER_BEFORE_DEFAULT,        /* reset strategies in esptool's order */
    LOADER_BEFORE_USB_RESET,      /* USB-Serial/JTAG sequence */
    LOADER_BEFORE_NO_RESET,       /* just sync */
    LOADER_BEFORE_NO_RESET_NO_SYNC,
};

enum loader_after {
    LOADER_AFTER_HARD_RESET,      /* RTS pulse: run the app */
    LOADER_AFTER_SOFT_RESET,      /* ROM: FLASH_BEGIN(0)+FLASH_END(run); stub: ESP8266 only */
    LOADER_AFTER_NO_RESET,        /* stay in the loader (a stub reboots into the ROM) */
    LOADER_AFTER_NO_RESET_STUB,   /* leave the stub running for the next session */
};

struct loader;

/* Why the last command failed, so callers can tell what a resend may cure
 * (a noisy line) from what it cannot (a closed port, a failing flash). */
enum loader_fail {
    LOADER_FAIL_NONE,
    LOADER_FAIL_PORT,          /* the port failed or the other end closed it */
    LOADER_FAIL_TIMEOUT,       /* no reply in time */
    LOADER_FAIL_GARBLED,       /* a reply arrived damaged (or only stale ones) */
    LOADER_FAIL_STATUS,        /* the chip answered with a failure status */
    LOADER_FAIL_VERIFY,        /* the data arrived but its MD5 is wrong */
};

/* Progress: `what` is "Writing", "Reading", "Erasing", "Verifying"... */
typedef void (*loader_progress_fn)(void *ctx, const char *what, uint32_t addr,
                                   uint64_t done, uint64_t total);
typedef void (*loader_log_fn)(void *ctx, const char *msg);
/* One SLIP frame payload; tx = host to chip. */
typedef void (*loader_trace_fn)(void *ctx, bool tx, const uint8_t *buf, size_t len);

struct loader_opts {
    const char *chip;             /* NULL or "auto": detect; else must match */
    uint32_t baud;                /* 0 = 115200; connect happens at min(115200, baud) */
    enum loader_before before;
    enum loader_after after;
    const char *reset_sequence;   /* custom "D0|R1|W0.1|D1|R0|W0.05|D0"; NULL = none */
    bool no_stub;                 /* ROM only */
    int connect_attempts;         /* 0 = try forever; <0 = default (7) */
    bool usb_jtag;                /* port is Espressif USB-Serial/JTAG (reset choice) */
    /* Write, erase and read every byte asked for, without first asking the
     * chip (SPI_FLASH_MD5) which sectors already hold it (loader_diff.c). */
    bool no_diff;
    loader_log_fn log;
    /* Lines esptool prints about each write ("Compressed 25536 bytes to
     * 16048..."); NULL = not shown (library users writing many small runs). */
    loader_log_fn detail;
    loader_progress_fn progress;
    loader_trace_fn trace;
    /* Called once the chip is known, before the stub is uploaded (esptool
     * prints the chip summary there).  May use the loader to read registers. */
    void (*connected)(void *ctx, struct loader *l);
    void *ctx;
};

/* Fill defaults (baud 115200, 7 attempts, hard reset after). */
void loader_opts_init(struct loader_opts *o);

#define LOADER_FRAME_MAX (0x4000 + 256)

struct loader {
    struct port *port;
    struct loader_opts o;
    const struct chip *chip;
    bool stub;                 /* a flasher stub answers (uploaded or found running) */
    bool stub_reused;          /* the stub was already running at connect */
    bool secure_download;      /* GET_SECURITY_INFO flag bit 2 */
    uint32_t sec_flags;
    bool have_security_info;
    uint32_t flash_id;         /* from RDID (0 until loader_attach) */
    uint32_t flash_size;       /* bytes, 0 until loader_attach */
    bool attached;
    uint32_t last_zlen;        /* compressed size of the last loader_write (0 = plain) */
    uint32_t last_sent;        /* bytes of the last loader_write that were written */
    uint32_t last_skipped;     /* and that the chip held already (loader_diff) */
    /* totals of this session: bytes written, not written because the chip
     * held them, not read because they were erased; MD5 look-ups */
    uint64_t sent_total, skipped_total, read_skipped, diff_queries;
    /* the last loader_diff of a region against bytes, until the next
     * write or erase (loader_diff.c) */
    struct loader_known {
        uint32_t addr, len;
        uint8_t md5[16];
        uint8_t *map;
    } known;
    char boot_log[512];        /* bytes seen outside frames (boot banner), NUL-terminated */
    size_t boot_log_len;
    /* receiving */
    struct slip_decoder dec;
    uint8_t frame[LOADER_FRAME_MAX];
    size_t frame_len;
    uint8_t rx[4096];
    size_t rx_pos, rx_len;
    /* last reply */
    uint32_t last_value;
    uint8_t last_status[2];
    bool last_unsupported;     /* the chip did not know the command */
    bool lines[2];             /* DTR, RTS as last set */
    enum loader_fail fail;     /* class of the last failure */
    uint8_t op, prev_op;       /* opcodes of the last command and the one before */
    size_t sent_len;           /* and its length */
    unsigned resends;          /* commands, blocks and regions sent again after line errors */
    bool sync_zero;            /* every SYNC reply had value 0: a stub answers */
    /* the line as this session found it (loader.c) */
    bool noisy;                /* it damaged or lost something: wait less, believe less */
    unsigned clean_run;        /* commands that got through since it last did */
    bool want_reply;           /* a command waits for its reply (frame ends by length) */
    unsigned rtt_ms;           /* how long the chip takes to answer a short command */
    double line_bytes, line_bad;     /* data bytes sent, blocks damaged: ~50 blocks */
    /* the flash size the chip was last told (SPI_SET_PARAMS): a write
     * lowers it to the end of its region (loader_guard.c) */
    uint32_t fence;
    bool repairing;            /* erasing again what a damaged command wrote */
    uint8_t block[16 + 0x4000];  /* a data command being built (one loader per thread) */
    uint8_t pkt[LOADER_FRAME_MAX + 16];
    uint8_t tx[2 * (LOADER_FRAME_MAX + 16) + 4];
};

/* Open `port_name`, connect and prepare the chip.  On success *out owns the
 * port.  The message of a failed connect says why ("Wrong boot mode",
 * "No serial data received", "This chip is ESP32-C3, not ESP32"). */
int loader_open(struct loader **out, const char *port_name, const struct loader_opts *o,
                struct err *e);
/* The same on an already open port (tests: a fake or in-process port).
 * The loader takes ownership of `p`. */
int loader_open_port(struct loader **out, struct port *p, const struct loader_opts *o,
                     struct err *e);
/* Run the --after action, close the port, free. */
void loader_close(struct loader *l);

/* SPI attach, read the flash id and detect the size (or use `size` when
 * non-zero), then SPI_SET_PARAMS.  Idempotent. */
int loader_attach(struct loader *l, uint32_t size, struct err *e);

/* Flash size in bytes for an RDID capacity byte (§4.3); 0 if unknown. */
uint32_t loader_size_from_id(uint32_t flash_id);

int loader_read_reg(struct loader *l, uint32_t addr, uint32_t *val, struct err *e);
int loader_write_reg(struct loader *l, uint32_t addr, uint32_t val, uint32_t mask,
                     uint32_t delay_us, struct err *e);
int loader_read_mac(struct loader *l, uint8_t mac[6], struct err *e);
/* esptool v5's "Chip type:" text: "ESP32-D0WD-V3 (revision v3.0)". */
int loader_chip_description(struct loader *l, char *out, size_t cap, struct err *e);
/* esptool v5's "Features:" text: "Wi-Fi, BT 5 (LE), Single Core, 160MHz". */
int loader_chip_features(struct loader *l, char *out, size_t cap, struct err *e);
/* The two bytes that make the MAC an EUI-64 (ESP32-C6, C5, H2): 0, or 1
 * on chips without them. */
int loader_mac_ext(struct loader *l, uint8_t ext[2], struct err *e);
/* Crystal frequency in MHz (26, 32, 40, 48), or -1 with e filled. */
int loader_crystal_mhz(struct loader *l, struct err *e);
/* Chip revision as major*100+minor (P4 stub choice, write_flash checks); -1
 * on the ESP8266 or when the eFuses cannot be read. */
int loader_chip_revision(struct loader *l);

/* MD5 of flash [addr, addr+len) computed by the chip. */
int loader_md5(struct loader *l, uint32_t addr, uint32_t len, uint8_t md5[16],
               struct err *e);

/* ---- what differs (loader_diff.c) ---- */

/* Whether the chip can be asked (not --no-diff, not the ESP8266 ROM, not
 * in Secure Download Mode: no SPI_FLASH_MD5 there). */
bool loader_can_diff(const struct loader *l);
/* The 4 KiB sectors [addr, addr+len) touches. */
uint32_t loader_sectors(uint32_t addr, uint32_t len);
/* Which sector-aligned pieces of [addr, addr+len) (the first and last
 * may be partial) differ on the chip from `want`, or with want NULL, are
 * not erased (0xFF), coarse to fine by SPI_FLASH_MD5 (all of them where
 * the chip cannot be asked); then fn for each run of pieces, [lo, hi),
 * that differ or hold what is wanted, in order; stops at the first fn
 * that fails. */
typedef int (*loader_run_fn)(struct loader *l, uint32_t lo, uint32_t hi, bool differs,
                             void *ctx, struct err *e);
int loader_diff_runs(struct loader *l, uint32_t addr, uint32_t len, const uint8_t *want,
                     loader_run_fn fn, void *ctx, struct err *e);
/* Drop the kept answer of loader_diff (the flash changed). */
void loader_forget_diff(struct loader *l);
/* Runs of `value` in map[0, n): from *i, the next run's first index in *i
 * and its length in *count; 0 when there is none. */
int loader_next_run(const uint8_t *map, uint32_t n, uint8_t value, uint32_t *i,
                    uint32_t *count);
/* The bytes of [addr, addr+len) that pieces [first, first+count) cover. */
void loader_run_span(uint32_t addr, uint32_t len, uint32_t first, uint32_t count,
                     uint32_t *lo, uint32_t *hi);

/* The safety net (loader_backup.c): add to `b` what [addr, addr+len)
 * holds where writing `want` there (want NULL: erasing it) changes it,
 * as whole sectors: data, or ranges noted as erased.  *changed: the bytes
 * of the region that change. */
int loader_backup(struct loader *l, uint32_t addr, uint32_t len, const uint8_t *want,
                  struct backup *b, uint64_t *changed, struct err *e);

/* Write `len` bytes at `addr`, then compare the chip's MD5 of the region
 * with ours.  `compress`: deflate (default with a stub).  With the ROM the
 * address must be 4 KiB aligned (the ROM erases whole sectors).  A line
 * error costs at most a sector (loader_write.c); a damaged command cannot
 * change flash outside the region unnoticed (loader_guard.c): the write
 * fails naming the area.  Unless o.no_diff, only the sectors the chip
 * does not hold already are sent (loader_diff), and the whole region's
 * MD5 is checked at the end (last_sent / last_skipped say how much). */
int loader_write(struct loader *l, uint32_t addr, const void *data, uint32_t len,
                 bool compress, struct err *e);
/* Read flash: the stub's READ_FLASH (acked, MD5-checked) or the ROM's
 * 64-byte READ_FLASH_SLOW.  Unless o.no_diff, a read of 64 KiB or more
 * skips the sectors the chip's MD5 says are erased (read_skipped). */
int loader_read(struct loader *l, uint32_t addr, void *buf, uint32_t len, struct err *e);
/* Erase a region (4 KiB aligned): stub ERASE_REGION, ROM FLASH_BEGIN;
 * guarded as a write, and checked by MD5 to be erased.  Unless o.no_diff,
 * only the sectors that are not erased already. */
int loader_erase_region(struct loader *l, uint32_t addr, uint32_t len, struct err *e);
/* Erase the whole chip: stub ERASE_FLASH; ROM: FLASH_BEGIN over the flash
 * size.  Unless o.no_diff, nothing when the chip's MD5 says it is erased. */
int loader_erase_all(struct loader *l, struct err *e);

/* Low level: send a command, wait for its reply.  `resp_len` is the payload
 * that precedes the status bytes (-1: whatever the reply carries).  On
 * success `*payload`/`*plen` (may be NULL) point into l->frame. */
int loader_command(struct loader *l, uint8_t op, const void *data, size_t len, uint32_t chk,
                   unsigned timeout_ms, int resp_len, const uint8_t **payload, size_t *plen,
                   const char *what, struct err *e);

/* The same with retries for commands that may be sent again (READ_REG,
 * WRITE_REG, SPI_FLASH_MD5, SPI_ATTACH, ...): when the reply is missing or
 * damaged, and, with `status_too`, when the chip rejected the request as
 * damaged (bad checksum, bad length): up to 10 tries while the chip
 * answers, and until it has been silent for LOADER_ATTEMPTS of esptool's
 * 3 s timeouts.  Before a resend the loader gets back in step.  Once the
 * line has damaged something (l->noisy) replies are waited for only as
 * long as the wire needs, and register values are read until two agree.
 * `timeout_ms` LOADER_QUICK: a command the chip answers at once (no flash
 * work): esptool's 3 s, on a noisy line the wire's time.  A command that
 * erases, writes or hashes passes loader_timeout() for its work, which
 * is used as it is (shortening it blindly made every erase on a noisy
 * line time out). */
#define LOADER_ATTEMPTS 3
#define LOADER_QUICK 0u
int loader_command_retry(struct loader *l, uint8_t op, const void *data, size_t len,
                         uint32_t chk, unsigned timeout_ms, int resp_len, bool status_too,
                         const uint8_t **payload, size_t *plen, const char *what,
                         struct err *e);
/* Whether the last failure is one a resend may cure: no reply, a damaged
 * reply, or (`status_too`) a status saying the request arrived damaged.
 * Never a closed port or a flash write/read error. */
bool loader_retryable(const struct loader *l, bool status_too);
/* The last failure was the flash itself failing (ROM 0x08/0x09, stub
 * 0xC4/0xC5): retrying the same data will not help. */
bool loader_flash_failed(const struct loader *l);
/* Get back in step with the chip after a failed exchange: end any half
 * frame it holds with a lone 0xC0, then drop whatever it still sends until
 * the line is quiet.  -1 only if the port fails. */
int loader_resync(struct loader *l, struct err *e);

/* ---- reset sequences (§3.2) ---- */
enum reset_op { RESET_DTR, RESET_RTS, RESET_BOTH, RESET_WAIT };
struct reset_step {
    enum reset_op op;
    bool dtr, rts;       /* values for DTR/RTS/BOTH */
    unsigned ms;         /* for WAIT */
};
#define RESET_MAX_STEPS 32
/* Parse "D0|R1|W0.1|D1|R0|W0.05|D0" (U takes "dtr,rts").  Returns the step
 * count or -1 with e filled. */
int loader_reset_parse(const char *seq, struct reset_step *steps, int max, struct err *e);
/* Run steps on the port.  `lines` = {dtr, rts} as last set (updated), so a
 * D or R step changes one line and keeps the other. */
int loader_reset_run(struct port *p, const struct reset_step *steps, int n, bool lines[2],
                     struct err *e);

/* ---- memory, registers, SPI flash commands, security (loader_mem.c,
 * loader_spi.c; ../shared/docs/esptool-commands.md §3-§5) ---- */

/* Load bytes into RAM at addr: MEM_BEGIN, then MEM_DATA blocks (resumed
 * from the failed block on a noisy line). */
int loader_mem_write(struct loader *l, uint32_t addr, const uint8_t *data, size_t len,
                     struct err *e);
/* MEM_END: jump to entry (0: stay).  The ROM may not answer (it is
 * running the code already): its reply is waited for briefly and not
 * required; a stub's is. */
int loader_mem_end(struct loader *l, uint32_t entry, struct err *e);
/* esptool's `run`: FLASH_BEGIN(0, 0) and FLASH_END(run user code). */
int loader_run(struct loader *l, struct err *e);
/* An SPI flash command through the controller's user-command registers:
 * opcode, up to 64 data bytes out, up to 32 bits back in *out. */
int loader_spi_command(struct loader *l, uint8_t cmd, const uint8_t *data, size_t dlen,
                       uint32_t read_bits, uint32_t *out, struct err *e);
/* The flash status register, `nbytes` (1-3) of RDSR/RDSR2/RDSR3. */
int loader_flash_status(struct loader *l, unsigned nbytes, uint32_t *status, struct err *e);
/* Write it as esptool does: WREN (non-volatile) or WEVSR (volatile) before
 * each of WRSR (16 bits when nbytes is 2), WRSR/WRSR2/WRSR3, then WRDI. */
int loader_flash_set_status(struct loader *l, uint32_t value, unsigned nbytes, bool non_volatile,
                            struct err *e);

/* GET_SECURITY_INFO: 20 bytes, or 12 (ESP32-S2: no chip id or API version). */
struct loader_secinfo {
    uint32_t flags;
    uint8_t flash_crypt_cnt;
    uint8_t key_purposes[7];
    bool has_chip_id;
    uint32_t chip_id, api_version;
};
/* -1 with e filled; l->last_unsupported when the chip does not know the
 * command (the ESP8266 and ESP32 ROMs). */
int loader_security_info(struct loader *l, struct loader_secinfo *out, struct err *e);

/* Text for a status pair, ROM or stub flavour (§1.6). */
const char *loader_error_text(bool stub, uint8_t st0, uint8_t st1);

#endif
