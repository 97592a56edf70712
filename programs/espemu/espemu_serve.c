/* espemu's event loop: one emulated chip, one connection at a time.
 *
 *   host --(pty | tcp | telnet/rfc2217)--> [faults] -> [UART pacing] -> chip
 *   chip -> [faults] -> [UART pacing] -> (telnet escaping) --> host
 *
 * Sessions: on a pty a session is "some program has the slave open" (the
 * master reports POLLHUP otherwise); on TCP it is one accepted connection.
 * Over pty and TCP there are no modem lines, so each new session finds the
 * chip freshly in download mode (unless --keep-state).  Over RFC 2217 the
 * chip keeps running across connections and only DTR/RTS reset it.
 *
 * Pacing (--baud-limit): a UART moves one byte per 10 bit times.  Bytes
 * from the host are read in chunks of about 2 ms of line time and handed to
 * the chip when the last of them would have arrived; the chip's output is
 * written in the same sized chunks when the last byte would have left.
 * The line stays busy back to back while data keeps coming, so long
 * transfers run at the configured rate, not slower.
 *
 * Flash time (with pacing, unless --no-flash-timing): what the chip's
 * flash does takes the time a real one takes (emu_take_busy, emu_flash.c):
 * a reply waits for the flash work before it (the ROM's erase at
 * FLASH_BEGIN) and for the work still going on from earlier commands (a
 * stub writing the block it acknowledged), while the host's bytes keep
 * arriving as they would into the chip's UART buffer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifndef _WIN32
#include <termios.h>   /* --pty; Windows has no pseudo-terminals */
#endif

#include "emu_telnet.h"
#include "espemu.h"
#include "port.h"
#include "port_sock.h"

#define NS_PER_MS 1000000ull
#define BIG_CHUNK 65536
#define SLACK_NS (5 * NS_PER_MS)   /* gaps shorter than this keep the line busy */
#define WBUF_HIGH (256 * 1024)

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

struct serve {
    struct espemu_config *cfg;
    struct emu *emu;
    int master;                 /* pty master */
    bool linked;                /* made cfg->pty_link: removed at the end */
    int lfd;                    /* listening socket */
    int fd;                     /* the session's fd, -1 when none */
    bool session, deaf;
    unsigned sessions;
    struct emu_telnet tn;
    uint64_t byte_ns;           /* 0 = no pacing */
    size_t chunk;
    uint8_t rxq[BIG_CHUNK];     /* bytes on their way to the chip */
    size_t rxlen;
    uint64_t rx_due, rx_line;
    uint8_t txq[BIG_CHUNK];     /* chip bytes on their way to the host */
    size_t txlen;
    uint64_t tx_due, tx_line;
    uint8_t *wbuf;              /* ready to write to fd */
    size_t wlen, wcap;
    uint64_t stall_until;
    bool timing;                /* the flash takes its time */
    uint64_t flash_free;        /* when the flash finishes what it was given (ns) */
    uint64_t tx_hold;           /* no chip output leaves before this (ns) */
    uint64_t line_in, line_out;  /* bytes on the line this session */
    uint64_t t_first, t_last;   /* first and last byte of the session (ns) */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void logf_(struct serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct serve *s, const char *fmt, ...)
{
    if (!s->cfg->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "espemu: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static void chip_log(void *ctx, const char *line)
{
    struct serve *s = ctx;
    logf_(s, "[%s] %s", emu_chip_name(s->emu), line);
}

static void wbuf_put(struct serve *s, const uint8_t *p, size_t n)
{
    if (s->wlen + n > s->wcap) {
        size_t cap = s->wcap ? s->wcap : 65536;
        while (cap < s->wlen + n)
            cap *= 2;
        uint8_t *q = realloc(s->wbuf, cap);
        if (!q) {
            fprintf(stderr, "espemu: out of memory\n");
            g_stop = 1;
            return;
        }
        s->wbuf = q;
        s->wcap = cap;
    }
    memcpy(s->wbuf + s->wlen, p, n);
    s->wlen += n;
}

/* ---- transports ---------------------------------------------------------- */

#ifdef _WIN32
static int open_pty(struct serve *s, char *name, size_t cap)
{
    (void)s, (void)name, (void)cap;
    fprintf(stderr, "espemu: --pty: Windows has no pseudo-terminals; use --tcp PORT or "
                    "--rfc2217 PORT\n");
    return -1;
}
#else
static int open_pty(struct serve *s, char *name, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
        perror("espemu: cannot create a pty");
        return -1;
    }
    const char *pn = ptsname(m);
    if (!pn) {
        perror("espemu: ptsname");
        return -1;
    }
    snprintf(name, cap, "%s", pn);
    /* Raw mode, so the line discipline neither echoes nor translates the
     * binary protocol.  Set on the slave; it persists while we hold the
     * master. */
    int sl = open(pn, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (sl >= 0) {
        struct termios t;
        if (tcgetattr(sl, &t) == 0) {
            cfmakeraw(&t);
            cfsetispeed(&t, B115200);
            cfsetospeed(&t, B115200);
            tcsetattr(sl, TCSANOW, &t);
        }
        close(sl);
    }
    sock_set_nonblock(m);
    s->master = m;
    if (s->cfg->pty_link) {
        /* an older link is replaced; anything else may be the user's */
        struct stat st;
        if (lstat(s->cfg->pty_link, &st) == 0 && !S_ISLNK(st.st_mode)) {
            fprintf(stderr, "espemu: %s exists and is not a symbolic link: not replaced\n",
                    s->cfg->pty_link);
            return -1;
        }
        unlink(s->cfg->pty_link);
        if (symlink(pn, s->cfg->pty_link) != 0) {
            fprintf(stderr, "espemu: cannot link %s -> %s: %s\n", s->cfg->pty_link, pn,
                    strerror(errno));
            return -1;
        }
        s->linked = true;
    }
    return 0;
}
#endif

static int open_listener(struct serve *s, unsigned *port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res;
    char ps[16];
    snprintf(ps, sizeof ps, "%u", *port);
    int rc = sock_startup() ? EAI_FAIL : getaddrinfo(s->cfg->host, ps, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "espemu: %s: %s\n", s->cfg->host, gai_strerror(rc));
        return -1;
    }
    int fd = sock_listen(res, 4);
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "espemu: cannot listen on %s:%u: %s\n", s->cfg->host, *port,
                strerror(errno));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                : ((struct sockaddr_in *)&ss)->sin_port);
    s->lfd = fd;
    return 0;
}

/* ---- telnet callbacks ---------------------------------------------------- */

static void tn_lines(void *ctx, bool dtr, bool rts)
{
    struct serve *s = ctx;
    logf_(s, "DTR %s, RTS %s", dtr ? "on" : "off", rts ? "on" : "off");
    emu_set_lines(s->emu, dtr, rts, now_ns() / NS_PER_MS);
}

static void tn_baud(void *ctx, uint32_t baud)
{
    struct serve *s = ctx;
    logf_(s, "host baud %u", baud);
}

static void drop_chip_output(struct serve *s)
{
    uint8_t junk[4096];
    while (emu_tx_pending(s->emu) > 0)
        emu_tx(s->emu, junk, sizeof junk);
    s->txlen = 0;
}

static void tn_purge(void *ctx, int what)
{
    struct serve *s = ctx;
    if (what & 1)
        drop_chip_output(s);
    if (what & 2)
        s->rxlen = 0;
}

/* ---- sessions ------------------------------------------------------------ */

static void session_begin(struct serve *s, int fd)
{
    s->fd = fd;
    s->session = true;
    s->deaf = false;
    s->sessions++;
    s->rxlen = s->txlen = s->wlen = 0;
    s->stall_until = 0;
    s->rx_line = s->tx_line = 0;
    s->line_in = s->line_out = 0;
    s->t_first = s->t_last = 0;
    if (s->cfg->transport == ESPEMU_RFC2217) {
        emu_telnet_init(&s->tn, 115200);
        emu_telnet_greet(&s->tn);
        wbuf_put(s, s->tn.out, s->tn.outlen);
        s->tn.outlen = 0;
    } else {
        enum emu_state st = emu_state(s->emu);
        if (!s->cfg->keep_state || (st != EMU_ROM && st != EMU_STUB))
            emu_power_on(s->emu, true);
        /* A chip that is already waiting says nothing when a port opens. */
        drop_chip_output(s);
    }
    logf_(s, "session %u begins (chip: %s)", s->sessions, emu_state_name(emu_state(s->emu)));
}

static void session_end(struct serve *s, const char *why)
{
    struct emu_stats st;
    emu_get_stats(s->emu, &st);
    logf_(s, "session %u ends (%s); frames in %llu out %llu, flash written %llu read %llu",
          s->sessions, why, (unsigned long long)st.frames_in, (unsigned long long)st.frames_out,
          (unsigned long long)st.bytes_written, (unsigned long long)st.bytes_read);
    double secs = s->t_last > s->t_first ? (double)(s->t_last - s->t_first) / 1e9 : 0;
    logf_(s, "line: %llu bytes in, %llu bytes out, %.3f s from first to last byte",
          (unsigned long long)s->line_in, (unsigned long long)s->line_out, secs);
    const struct emu_faults *f = &s->cfg->faults;
    if (f->dropped || f->corrupted)
        logf_(s, "line faults so far: %llu dropped, %llu corrupted",
              (unsigned long long)f->dropped, (unsigned long long)f->corrupted);
    if (s->cfg->transport == ESPEMU_PTY) {
#ifndef _WIN32
        tcflush(s->master, TCIOFLUSH);
#endif
    } else {
        sock_close(s->fd);
        if (s->cfg->transport == ESPEMU_RFC2217)
            emu_set_lines(s->emu, false, false, now_ns() / NS_PER_MS); /* port closed */
    }
    s->fd = -1;
    s->session = false;
    s->rxlen = s->txlen = s->wlen = 0;
    if (s->cfg->once)
        g_stop = 1;
}

/* A read or write on the connection failed: a transient error is tried
 * again on the next poll; anything else ends the session (EIO is how a pty
 * says its other side was closed). */
static void io_failed(struct serve *s)
{
    if (errno == EAGAIN || errno == EINTR)
        return;
    session_end(s, s->cfg->transport == ESPEMU_PTY && errno == EIO ? "pty closed"
                                                                   : strerror(errno));
}

/* pty: is a program holding the slave open? */
static bool pty_peer_open(struct serve *s)
{
    struct pollfd p = { .fd = s->master, .events = POLLIN };
    if (sock_poll(&p, 1, 0) < 0)
        return false;
    return !(p.revents & POLLHUP);
}

static void try_begin(struct serve *s)
{
    if (s->cfg->transport == ESPEMU_PTY) {
        if (pty_peer_open(s))
            session_begin(s, s->master);
        return;
    }
    int fd = sock_accept(s->lfd);
    if (fd < 0)
        return;
    session_begin(s, fd);
}

/* ---- the line ------------------------------------------------------------ */

/* When a chunk of n bytes that is ready at `now` finishes on the line. */
static uint64_t line_slot(struct serve *s, uint64_t *line, uint64_t now, size_t n)
{
    if (!s->byte_ns)
        return now;
    /* back to back while the line was busy until (almost) now */
    uint64_t start = *line > 0 && *line + SLACK_NS >= now ? *line : now;
    uint64_t due = start + (uint64_t)n * s->byte_ns;
    *line = due;
    return due;
}

/* After the chip took input: its replies wait for the flash (see the top). */
static void flash_time(struct serve *s, uint64_t now)
{
    uint64_t before, after;
    emu_take_busy(s->emu, &before, &after);
    if (!s->timing || (!before && !after && s->flash_free <= now))
        return;
    uint64_t start = s->flash_free > now ? s->flash_free : now;
    if (start + before > s->tx_hold)
        s->tx_hold = start + before;
    s->flash_free = start + before + after;
}

/* Apply the configured faults to bytes entering the line. */
static size_t through_faults(struct serve *s, int dir, const uint8_t *in, size_t n, uint8_t *out,
                             bool *disconnect)
{
    struct emu_faults *f = &s->cfg->faults;
    if (!emu_faults_active(f)) {
        memcpy(out, in, n);
        return n;
    }
    size_t done = 0, o = 0;
    while (done < n) {
        size_t got;
        struct emu_fault_event ev;
        done += emu_faults_apply(f, dir, in + done, n - done, out + o, &got, &ev);
        o += got;
        if (ev.stall_ms) {
            logf_(s, "fault: line stalls for %u ms", ev.stall_ms);
            uint64_t until = now_ns() + ev.stall_ms * NS_PER_MS;
            if (until > s->stall_until)
                s->stall_until = until;
        }
        if (ev.disconnect) {
            logf_(s, "fault: disconnect after %llu bytes", (unsigned long long)f->bytes);
            *disconnect = true;
            break;
        }
    }
    return o;
}

static void fault_disconnect(struct serve *s)
{
    if (s->cfg->transport == ESPEMU_PTY) {
        s->deaf = true;                         /* "unplugged" until reopened */
        s->rxlen = s->txlen = 0;
    } else {
        session_end(s, "injected disconnect");
    }
}

/* Read what the host sent, when the chip may take more. */
static void read_host(struct serve *s, uint64_t now)
{
    static uint8_t raw[BIG_CHUNK], data[BIG_CHUNK];
    size_t want = s->chunk;
    ssize_t r = sock_read(s->fd, raw, want);
    if (r == 0) {
        if (s->cfg->transport != ESPEMU_PTY)
            session_end(s, "closed by the host");
        return;
    }
    if (r < 0) {
        io_failed(s);
        return;
    }
    size_t n = (size_t)r;
    if (s->cfg->transport == ESPEMU_RFC2217) {
        struct emu_telnet_cb cb = { tn_lines, tn_baud, tn_purge, s };
        n = emu_telnet_rx(&s->tn, raw, n, data, &cb);
        if (s->tn.outlen) {
            wbuf_put(s, s->tn.out, s->tn.outlen);
            s->tn.outlen = 0;
        }
    } else {
        memcpy(data, raw, n);
    }
    if (s->deaf || n == 0)
        return;
    bool disc = false;
    s->line_in += n;
    if (!s->t_first)
        s->t_first = now;
    s->t_last = now;
    n = through_faults(s, EMU_FAULT_RX, data, n, s->rxq, &disc);
    s->rxlen = n;
    s->rx_due = line_slot(s, &s->rx_line, now, n);
    if (disc)
        fault_disconnect(s);
}

/* Take the chip's next chunk of output onto the line. */
static void take_chip_output(struct serve *s, uint64_t now)
{
    static uint8_t raw[BIG_CHUNK];
    size_t n = emu_tx(s->emu, raw, s->chunk);
    if (n == 0)
        return;
    if (s->deaf)
        return;
    bool disc = false;
    s->line_out += n;
    s->txlen = through_faults(s, EMU_FAULT_TX, raw, n, s->txq, &disc);
    s->tx_due = line_slot(s, &s->tx_line, now, n);
    if (s->t_first && s->tx_due > s->t_last)
        s->t_last = s->tx_due;
    if (disc)
        fault_disconnect(s);
}

static void deliver_to_host(struct serve *s)
{
    if (s->cfg->transport == ESPEMU_RFC2217) {
        static uint8_t esc[2 * BIG_CHUNK];
        size_t m = emu_telnet_escape(s->txq, s->txlen, esc);
        wbuf_put(s, esc, m);
    } else {
        wbuf_put(s, s->txq, s->txlen);
    }
    s->txlen = 0;
}

static void flush_wbuf(struct serve *s)
{
    while (s->wlen > 0) {
        ssize_t w = sock_write(s->fd, s->wbuf, s->wlen);
        if (w < 0) {
            io_failed(s);
            return;
        }
        memmove(s->wbuf, s->wbuf + w, s->wlen - (size_t)w);
        s->wlen -= (size_t)w;
    }
}

static int ms_until(uint64_t t, uint64_t now)
{
    if (t <= now)
        return 0;
    uint64_t ms = (t - now + NS_PER_MS - 1) / NS_PER_MS;
    return ms > 1000 ? 1000 : (int)ms;
}

static void loop_once(struct serve *s)
{
    uint64_t now = now_ns();
    emu_tick(s->emu, now / NS_PER_MS);

    if (!s->session) {
        try_begin(s);
        if (!s->session) {
            drop_chip_output(s);                /* nobody is listening */
            struct pollfd p = { .fd = s->lfd, .events = POLLIN };
            int timeout = s->cfg->transport == ESPEMU_PTY ? 10 : 200;
            int ev = emu_next_event_ms(s->emu, now / NS_PER_MS);
            if (ev >= 0 && ev < timeout)
                timeout = ev;
            if (s->cfg->transport == ESPEMU_PTY)
                port_sleep_ms((unsigned)timeout);
            else
                sock_poll(&p, 1, timeout);
            return;
        }
    }

    bool stalled = now < s->stall_until;
    if (!stalled && s->rxlen && now >= s->rx_due) {
        emu_rx(s->emu, s->rxq, s->rxlen);
        s->rxlen = 0;
        flash_time(s, now);
    }
    if (s->deaf)
        drop_chip_output(s);
    bool held = now < s->tx_hold;
    if (!stalled && !held && s->session && !s->txlen && s->wlen < WBUF_HIGH &&
        emu_tx_pending(s->emu))
        take_chip_output(s, now);
    if (s->session && s->txlen && now >= s->tx_due && !stalled)
        deliver_to_host(s);
    if (s->session && s->wlen)
        flush_wbuf(s);
    if (!s->session)
        return;

    /* Sleep until something can happen. */
    int timeout = 1000;
    int ev = emu_next_event_ms(s->emu, now / NS_PER_MS);
    if (ev >= 0 && ev < timeout)
        timeout = ev;
    if (stalled) {
        int t = ms_until(s->stall_until, now);
        if (t < timeout)
            timeout = t;
    } else {
        if (s->rxlen) {
            int t = ms_until(s->rx_due, now);
            if (t < timeout)
                timeout = t;
        }
        if (s->txlen) {
            int t = ms_until(s->tx_due, now);
            if (t < timeout)
                timeout = t;
        } else if (emu_tx_pending(s->emu) && s->wlen < WBUF_HIGH) {
            int t = held ? ms_until(s->tx_hold, now) : 0;
            if (t < timeout)
                timeout = t;
        }
    }
    struct pollfd p = { .fd = s->fd, .events = 0 };
    if (!s->rxlen && !stalled)
        p.events |= POLLIN;
    if (s->wlen)
        p.events |= POLLOUT;
    if (timeout == 0 && !p.events)
        return;
    int r = sock_poll(&p, 1, timeout);
    if (r <= 0)
        return;
    if (s->cfg->transport == ESPEMU_PTY && (p.revents & POLLHUP) && !(p.revents & POLLIN)) {
        session_end(s, "pty closed");
        return;
    }
    /* Read what arrived before looking at errors: a host that closes with
     * unread replies resets the connection, but its last bytes (the hard
     * reset's RTS release) are still in our queue; read() reports the
     * reset once they are taken. */
    bool can_read = !s->rxlen && !stalled;
    if (can_read && (p.revents & (POLLIN | POLLHUP | POLLERR)))
        read_host(s, now_ns());
    else if (!can_read && (p.revents & (POLLHUP | POLLERR)))
        port_sleep_ms((unsigned)timeout);       /* poll reports these at once: wait */
    if (s->session && (p.revents & POLLNVAL))
        session_end(s, "socket error");
}

int espemu_serve(struct espemu_config *cfg)
{
    struct serve *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    s->cfg = cfg;
    s->emu = cfg->emu;
    s->master = s->lfd = s->fd = -1;
    if (cfg->baud_limit) {
        s->timing = !cfg->no_flash_timing;
        s->byte_ns = 10ull * 1000000000ull / cfg->baud_limit;
        s->chunk = cfg->baud_limit / 10 / 500;  /* about 2 ms of line time */
        if (s->chunk < 1)
            s->chunk = 1;
        if (s->chunk > BIG_CHUNK)
            s->chunk = BIG_CHUNK;
    } else {
        s->chunk = BIG_CHUNK;
    }
    emu_set_log(s->emu, chip_log, s);

#ifdef _WIN32
    signal(SIGINT, on_signal);   /* Ctrl-C; Windows runs it on a thread of its own */
#else
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
#endif

    char where[300];
    unsigned port = cfg->port;
    int rc = 0;
    if (cfg->transport == ESPEMU_PTY) {
        char name[256];
        if (open_pty(s, name, sizeof name) != 0)
            rc = 1;
        snprintf(where, sizeof where, "%s", name);
    } else {
        if (open_listener(s, &port) != 0)
            rc = 1;
        const char *h = cfg->host;
        bool v6 = strchr(h, ':') != NULL;
        snprintf(where, sizeof where, "%s://%s%s%s:%u",
                 cfg->transport == ESPEMU_TCP ? "socket" : "rfc2217", v6 ? "[" : "", h,
                 v6 ? "]" : "", port);
    }
    if (rc == 0) {
        printf("espemu: %s on %s\n", emu_chip_name(s->emu), where);
        fflush(stdout);
        while (!g_stop)
            loop_once(s);
        if (s->session)
            session_end(s, "espemu stopping");
    }
    if (s->master >= 0)
        close(s->master);
    if (s->lfd >= 0)
        sock_close(s->lfd);
    if (s->linked)
        unlink(cfg->pty_link);
    free(s->wbuf);
    free(s);
    return rc;
}
