/* The emulated chip: an ESP32-family (or ESP8266) chip sitting in its ROM
 * serial download mode, seen only through its UART byte stream and its two
 * strapping-relevant inputs (EN and GPIO0, driven from DTR/RTS through the
 * classic two-transistor auto-reset circuit).
 *
 * The model is pure: bytes in (emu_rx), bytes out (emu_tx), line changes and
 * the clock passed in by the caller.  It never sleeps and never touches a
 * file descriptor except the flash file.  espemu (programs/espemu_*.c) wraps
 * it in a pty, a TCP socket or an RFC 2217 server; unit tests drive it
 * directly, and emu_port_open() serves it to the loader in-process.
 *
 * What it models (facts: ../shared/docs/esp-loader-protocol.md, and the real
 * ROM transcripts in ../shared/fixtures/rom-transcripts/):
 *  - ROM: SLIP, 2 (ESP8266) or 4 status bytes, the ROM's shared reply buffer
 *    (stale "reserved" status bytes, an error byte that successful download
 *    commands leave as it was, stale `value` except after READ_REG/SYNC),
 *    8 SYNC replies to any SYNC, error 05 for unknown commands in a copy of
 *    the previous reply (8 frames right after SYNC), FLASH_BEGIN 16 bytes on
 *    ESP32/ESP8266 and 20 elsewhere, sector-aligned, erase at BEGIN (with
 *    the ESP8266 erase-size bug), DATA seq counted also for blocks that fail
 *    their checksum (a resend gets 05), blocks written one after the other
 *    and read back (08), FLASH_END(1) starting the app even after an
 *    error, 2 MB default flash size until SPI_SET_PARAMS,
 *    READ_FLASH_SLOW (always 64 bytes), MD5 as 32 hex chars, deflate writes,
 *    GET_SECURITY_INFO (20 bytes, 12 on S2, none on ESP32/ESP8266),
 *    READ_REG for the magic register, eFuses/MAC, UART divider, and the SPI
 *    user-command registers (RDID, SFDP, status registers).
 *  - Stub: once MEM_END(0, entry) jumps into RAM that MEM_DATA filled, the
 *    chip behaves like esp-flasher-stub: "OHAI", 2 status bytes, SYNC value
 *    0, ERASE_FLASH, ERASE_REGION, READ_FLASH (acks, 1 packet in flight,
 *    final binary MD5), binary SPI_FLASH_MD5, 16 KiB blocks written after the
 *    ACK with errors reported on the next command (which is not executed).
 *  - NOR flash: erase sets 0xFF per 4 KiB sector, programming can only clear
 *    bits (new = old & data), so a write without erase shows up.
 *  - Boot: banner on every reset ("rst:0x1 (...),boot:0x.. (DOWNLOAD...)",
 *    "waiting for download"); with GPIO0 high the "app" boots instead, prints
 *    a boot log and ignores everything it receives. */
#ifndef MPI_EMU_H
#define MPI_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct port;

enum emu_state {
    EMU_RESET,      /* EN held low (or released, waiting for the RC delay) */
    EMU_APP,        /* running "the application": deaf to the loader */
    EMU_ROM,        /* ROM serial download mode */
    EMU_STUB,       /* flasher stub running */
};

struct emu_options {
    const char *chip;        /* "esp32", "esp32s3", ..., "esp8266" */
    const char *flash_path;  /* flash file, written through; NULL = in memory */
    uint32_t flash_size;     /* bytes, power of two; 0 = 4 MB */
    bool boot_app;           /* power on running the app (GPIO0 high)
                              * instead of in download mode */
    unsigned en_delay_ms;    /* EN RC delay: the chip leaves reset this long
                              * after EN rises; 0 = 20 ms */
};

struct emu;

struct emu *emu_open(const struct emu_options *o, struct err *e);
void emu_close(struct emu *emu);

/* Bytes from the host to the chip's UART. */
void emu_rx(struct emu *emu, const void *buf, size_t len);
/* Bytes the chip has sent and the host has not taken yet. */
size_t emu_tx_pending(const struct emu *emu);
/* Take up to `cap` bytes.  Stops at a baud-rate switch (after the
 * CHANGE_BAUDRATE reply), so the caller can pace the bytes that follow at the
 * new rate; emu_baud() changes once the bytes before the switch are taken. */
size_t emu_tx(struct emu *emu, void *buf, size_t cap);

/* DTR/RTS as the host asserted them (true = asserted), at time now_ms.
 * EN is low while RTS is asserted and DTR is not; GPIO0 is low while DTR is
 * asserted and RTS is not.  en_delay_ms after EN rises the chip samples
 * GPIO0 and boots: download mode if low, the app if high. */
void emu_set_lines(struct emu *emu, bool dtr, bool rts, uint64_t now_ms);
/* Run timed events (the boot after the EN delay) due at now_ms. */
void emu_tick(struct emu *emu, uint64_t now_ms);
/* Milliseconds from now_ms until the next timed event, or -1 for none. */
int emu_next_event_ms(const struct emu *emu, uint64_t now_ms);

/* Power-on (or a button reset): fresh chip state, banner, then download
 * mode or the app.  The flash keeps its contents. */
void emu_power_on(struct emu *emu, bool download);

enum emu_state emu_state(const struct emu *emu);
const char *emu_state_name(enum emu_state s);
const char *emu_chip_name(const struct emu *emu);
/* The chip's UART baud rate: 115200 after reset, then CHANGE_BAUDRATE's. */
uint32_t emu_baud(const struct emu *emu);
/* The flash contents (live view) and its size. */
const uint8_t *emu_flash(const struct emu *emu, uint32_t *size);

/* Fault injection: the first flash program operation that touches `addr`
 * fails once (half the data lands, the rest stays as it was).  The ROM
 * answers that FLASH_DATA with failed=1 error=0x08; the stub reports 0xC4 in
 * the reply to the next command, which it does not execute. */
void emu_fail_write_at(struct emu *emu, uint32_t addr);

/* The flash's own time (typical SPI NOR figures, emu_flash.c) of what the
 * chip did since the last call: `before_ns` precedes the replies it sent
 * (the ROM erases before it answers FLASH_BEGIN), `after_ns` follows them
 * (a stub writes a block after acknowledging it) and delays only what
 * comes next.  The model does not wait itself; a server may. */
void emu_take_busy(struct emu *emu, uint64_t *before_ns, uint64_t *after_ns);

/* Optional log of what the chip does ("ROM FLASH_BEGIN 0x1000 +0x4000"),
 * one line per call, no newline. */
void emu_set_log(struct emu *emu, void (*fn)(void *ctx, const char *line), void *ctx);

/* Counters, for tests and the espemu summary. */
struct emu_stats {
    uint64_t frames_in, frames_out, bytes_written, bytes_read, resets, stub_starts;
};
void emu_get_stats(const struct emu *emu, struct emu_stats *st);

/* "4MB", "4M", "512KB", "0x400000", "4194304" -> bytes; -1 if malformed. */
int emu_parse_size(const char *s, uint32_t *out);

/* The MAC address the emulated chip reports (eFuse/OTP words), so tests can
 * check read_mac output. */
int emu_chip_mac(const char *chip, uint8_t mac[6]);

/* The emulator as a port (port.h) for in-process tests of the loader: writes
 * feed emu_rx, reads drain emu_tx, set_lines drives the reset circuit with
 * port_now_ms() as the clock.  has_lines is `with_lines`.  Closing the port
 * does not close the emulator. */
struct port *emu_port_open(struct emu *emu, bool with_lines, struct err *e);

#endif
