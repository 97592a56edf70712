/* espemu: an emulated ESP chip in ROM download mode behind a pty, a TCP
 * socket or an RFC 2217 server, for testing flashing tools without
 * hardware.  The chip model is lib/emu*.c; the serving is espemu_serve.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "espemu.h"
#include "programs.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: espemu --chip CHIP --flash FILE [--flash-size SIZE]\n"
        "              (--pty | --tcp PORT | --rfc2217 PORT)\n"
        "              [--baud-limit BAUD] [--faults SPEC] [options]\n"
        "\n"
        "An emulated ESP chip in ROM serial download mode.  The first line of\n"
        "output says where to connect:\n"
        "  espemu: esp32 on /dev/pts/5            (--pty)\n"
        "  espemu: esp32 on socket://127.0.0.1:PORT   (--tcp)\n"
        "  espemu: esp32 on rfc2217://127.0.0.1:PORT  (--rfc2217)\n"
        "then it serves until SIGTERM or SIGINT.\n"
        "\n"
        "  --chip CHIP        esp32 esp32s2 esp32s3 esp32c2 esp32c3 esp32c5 esp32c6\n"
        "                     esp32c61 esp32h2 esp32p4 esp8266\n"
        "  --flash FILE       the flash contents, written through; created erased\n"
        "                     (0xFF) if missing, extended with 0xFF if shorter\n"
        "  --flash-size SIZE  4MB (default), 2MB, 16MB, 512KB, 0x400000 ...\n"
        "  --pty              serve on a new pseudo-terminal (no modem lines: the\n"
        "                     chip is in download mode whenever a program opens it;\n"
        "                     not on Windows, which has none: use --tcp or --rfc2217)\n"
        "  --tcp PORT         raw TCP (socket://); 0 picks a free port\n"
        "  --rfc2217 PORT     Telnet + RFC 2217: baud, DTR and RTS drive the classic\n"
        "                     auto-reset circuit (EN low while RTS and not DTR,\n"
        "                     GPIO0 low while DTR and not RTS); the chip powers on\n"
        "                     running its app, so a reset into download mode is needed\n"
        "  --host ADDR        listen address for --tcp/--rfc2217 (default 127.0.0.1)\n"
        "  --pty-link PATH    also make PATH a symlink to the pty\n"
        "  --baud-limit BAUD  pace bytes in both directions like a UART at BAUD\n"
        "                     (10 bits per byte); the flash then takes the time a\n"
        "                     typical SPI NOR chip does to erase and program\n"
        "                     (W25Q32JV: 45 ms a 4 KiB sector, 150 ms a 64 KiB block,\n"
        "                     0.4 ms a 256-byte page, 10 s the whole 4 MB chip)\n"
        "  --no-flash-timing  with --baud-limit: erase and program take no time\n"
        "  --faults SPEC      inject line faults, e.g.\n"
        "                     drop=0.001,corrupt=0.001,limit=20,stall=200@50000,\n"
        "                     disconnect=100000,flashfail=0x10000,seed=1\n"
        "                     (keys: drop corrupt dir=rx|tx|both limit stall=MS@N\n"
        "                     disconnect=N flashfail=ADDR seed)\n"
        "  --boot download|app  state at power-on (default: download for --pty and\n"
        "                     --tcp, app for --rfc2217)\n"
        "  --en-delay MS      reset circuit RC delay (default 20)\n"
        "  --keep-state       --pty/--tcp: a new connection finds the chip as the last\n"
        "                     one left it (e.g. the stub still running) instead of\n"
        "                     freshly in download mode\n"
        "  --once             exit when the first connection ends\n"
        "  -v, --verbose      log what the chip does on stderr\n");
}

static int fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "espemu: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 2;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long v = strtoul(s, &end, 0);
    if (*end || v > max)
        return -1;
    *out = v;
    return 0;
}

int espemu_main(int argc, char **argv)
{
    struct espemu_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.host = "127.0.0.1";
    struct emu_options eo = { 0 };
    const char *faults = NULL, *boot = NULL;
    int transports = 0;
    struct err e;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n;
#define NEED_ARG() do { if (!v) return fail("%s needs an argument", a); i++; } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--chip")) {
            NEED_ARG();
            eo.chip = v;
        } else if (!strcmp(a, "--flash")) {
            NEED_ARG();
            eo.flash_path = v;
        } else if (!strcmp(a, "--flash-size") || !strcmp(a, "--flash_size")) {
            NEED_ARG();
            if (emu_parse_size(v, &eo.flash_size) != 0)
                return fail("--flash-size %s: expected a size like 4MB", v);
        } else if (!strcmp(a, "--pty")) {
            cfg.transport = ESPEMU_PTY;
            transports++;
        } else if (!strcmp(a, "--tcp") || !strcmp(a, "--rfc2217")) {
            NEED_ARG();
            if (parse_uint(v, 65535, &n) != 0)
                return fail("bad port '%s'", v);
            cfg.transport = !strcmp(a, "--tcp") ? ESPEMU_TCP : ESPEMU_RFC2217;
            cfg.port = (unsigned)n;
            transports++;
        } else if (!strcmp(a, "--host")) {
            NEED_ARG();
            cfg.host = v;
        } else if (!strcmp(a, "--pty-link")) {
            NEED_ARG();
            cfg.pty_link = v;
        } else if (!strcmp(a, "--baud-limit")) {
            NEED_ARG();
            if (parse_uint(v, 100000000, &n) != 0 || n < 300)
                return fail("--baud-limit %s: expected a baud rate", v);
            cfg.baud_limit = (uint32_t)n;
        } else if (!strcmp(a, "--no-flash-timing")) {
            cfg.no_flash_timing = true;
        } else if (!strcmp(a, "--faults")) {
            NEED_ARG();
            faults = v;
        } else if (!strcmp(a, "--boot")) {
            NEED_ARG();
            if (strcmp(v, "download") && strcmp(v, "app"))
                return fail("--boot %s: expected download or app", v);
            boot = v;
        } else if (!strcmp(a, "--en-delay")) {
            NEED_ARG();
            if (parse_uint(v, 10000, &n) != 0 || n == 0)
                return fail("--en-delay %s: expected milliseconds", v);
            eo.en_delay_ms = (unsigned)n;
        } else if (!strcmp(a, "--keep-state")) {
            cfg.keep_state = true;
        } else if (!strcmp(a, "--once")) {
            cfg.once = true;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            cfg.verbose = true;
        } else {
            usage(stderr);
            return fail("unknown argument '%s'", a);
        }
#undef NEED_ARG
    }
    if (!eo.chip)
        return fail("%s", "--chip is required");
    if (!eo.flash_path)
        return fail("%s", "--flash FILE is required");
    if (transports != 1)
        return fail("%s", "choose one of --pty, --tcp PORT, --rfc2217 PORT");
    if (faults && emu_faults_parse(faults, &cfg.faults, &e) != 0)
        return fail("%s", e.msg);
    if (!faults)
        emu_faults_parse("", &cfg.faults, &e);
    eo.boot_app = boot ? !strcmp(boot, "app") : cfg.transport == ESPEMU_RFC2217;

    cfg.emu = emu_open(&eo, &e);
    if (!cfg.emu)
        return fail("%s", e.msg);
    if (cfg.faults.flashfail)
        emu_fail_write_at(cfg.emu, cfg.faults.flashfail_addr);
    int rc = espemu_serve(&cfg);
    emu_close(cfg.emu);
    return rc;
}
