/* Windows: the clock, the sockets of port_sock.h (Winsock), serial ports
 * (COMn, through the Win32 communications API) and their discovery by USB
 * VID:PID (SetupAPI), in place of port_posix.c and port_serial.c.
 *
 * Serial ports, as the loader expects them (port.h):
 *   - names: COM4, com4, \\.\COM10 (COM10 and above need that prefix for
 *     CreateFile; it is added), and the c4 shorthand (port_expand_name);
 *   - any baud rate the driver takes (the DCB holds an integer);
 *   - DTR and RTS through EscapeCommFunction, one call per line that
 *     changes, RTS before DTR: usbser.sys (Espressif's USB-Serial/JTAG, CDC
 *     boards) sends both lines with every call, so the DTR call, last,
 *     carries the final state of both (esptool does the same);
 *   - a port whose modem lines cannot be read (wine's COM port on a pty, a
 *     virtual port) has none: has_lines false, resets skipped, as on Linux;
 *   - reads return what has arrived: they wait up to the timeout for the
 *     first byte (ReadTotalTimeoutConstant), then until the line pauses
 *     (ReadIntervalTimeout).  (The documented "return at the first byte"
 *     setting, both MAXDWORD, makes wine wait the whole timeout.)
 *   - opened exclusively (Windows gives a COM port to one program): a port
 *     in use is "busy". */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <setupapi.h>

#include "port.h"
#include "port_impl.h"
#include "port_serial.h"
#include "port_sock.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

/* ---- the clock ---- */

void port_sleep_ms(unsigned ms)
{
    Sleep(ms);
}

uint64_t port_now_ms(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;
    if (!freq.QuadPart)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (uint64_t)now.QuadPart / ((uint64_t)freq.QuadPart / 1000u);
}

/* ---- sockets ---- */

static int wsa_errno(int code)
{
    switch (code) {
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAEINPROGRESS: case WSAEALREADY: return EINPROGRESS;
    case WSAEINTR: return EINTR;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSAECONNRESET: return ECONNRESET;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAETIMEDOUT: return ETIMEDOUT;
    case WSAEHOSTUNREACH: case WSAEHOSTDOWN: return EHOSTUNREACH;
    case WSAENETUNREACH: case WSAENETDOWN: return ENETUNREACH;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAEAFNOSUPPORT: return EAFNOSUPPORT;
    case WSAEACCES: return EACCES;
    case WSAENOBUFS: return ENOBUFS;
    case WSAENOTSOCK: return EBADF;
    case WSAESHUTDOWN: return EPIPE;
    case WSAEINVAL: return EINVAL;
    default: return EIO;
    }
}

/* -1 with errno from the last Winsock error. */
static int sock_fail(void)
{
    errno = wsa_errno(WSAGetLastError());
    return -1;
}

int sock_startup(void)
{
    static bool started;
    WSADATA d;
    if (started)
        return 0;
    int rc = WSAStartup(MAKEWORD(2, 2), &d);
    if (rc != 0) {
        errno = wsa_errno(rc);
        return -1;
    }
    started = true;
    return 0;
}

/* Not inherited by child processes (as SOCK_CLOEXEC). */
static int own_socket(SOCKET s)
{
    if (s == INVALID_SOCKET)
        return sock_fail();
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    return (int)s;
}

int sock_open(const struct addrinfo *ai)
{
    return own_socket(socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol));
}

int sock_accept(int lfd)
{
    int fd = own_socket(accept((SOCKET)lfd, NULL, NULL));
    if (fd < 0)
        return -1;
    sock_set_nonblock(fd);
    sock_set_nodelay(fd);
    return fd;
}

int sock_close(int fd)
{
    return closesocket((SOCKET)fd) == 0 ? 0 : sock_fail();
}

int sock_set_nonblock(int fd)
{
    u_long one = 1;
    return ioctlsocket((SOCKET)fd, FIONBIO, &one) == 0 ? 0 : sock_fail();
}

void sock_set_nodelay(int fd)
{
    int one = 1;
    setsockopt((SOCKET)fd, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
}

/* No SO_REUSEADDR: on Windows it lets another program take the port too. */
int sock_listen(const struct addrinfo *ai, int backlog)
{
    int fd = sock_open(ai);
    if (fd < 0)
        return -1;
    if (bind((SOCKET)fd, ai->ai_addr, (int)ai->ai_addrlen) != 0 ||
        listen((SOCKET)fd, backlog) != 0 || sock_set_nonblock(fd) != 0) {
        int saved = wsa_errno(WSAGetLastError());
        closesocket((SOCKET)fd);
        errno = saved;
        return -1;
    }
    return fd;
}

void sock_quickack(int fd)
{
    (void)fd;
}

int sock_connect(int fd, const struct sockaddr *sa, size_t len)
{
    if (connect((SOCKET)fd, sa, (int)len) == 0)
        return 0;
    return WSAGetLastError() == WSAEWOULDBLOCK ? 1 : sock_fail();
}

int sock_error(int fd)
{
    int soerr = 0, sl = sizeof soerr;
    if (getsockopt((SOCKET)fd, SOL_SOCKET, SO_ERROR, (char *)&soerr, &sl) != 0)
        return wsa_errno(WSAGetLastError());
    return soerr ? wsa_errno(soerr) : 0;
}

/* select(), not WSAPoll: WSAPoll does not report a refused connect before
 * Windows 10 2004 (the connect would wait out its whole timeout); select
 * reports it in the exception set.  A closed connection is readable (the
 * read then returns 0), as POLLHUP is handled by our callers. */
int sock_poll(struct pollfd *p, unsigned n, int timeout_ms)
{
    fd_set rd, wr, ex;
    FD_ZERO(&rd), FD_ZERO(&wr), FD_ZERO(&ex);
    for (unsigned i = 0; i < n && i < FD_SETSIZE; i++) {
        if (p[i].events & POLLIN)
            FD_SET((SOCKET)p[i].fd, &rd);
        if (p[i].events & POLLOUT)
            FD_SET((SOCKET)p[i].fd, &wr);
        FD_SET((SOCKET)p[i].fd, &ex);
    }
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    int r = select(0, &rd, &wr, &ex, timeout_ms < 0 ? NULL : &tv);
    if (r == SOCKET_ERROR)
        return sock_fail();
    int ready = 0;
    for (unsigned i = 0; i < n && i < FD_SETSIZE; i++) {
        SOCKET s = (SOCKET)p[i].fd;
        p[i].revents = (short)((FD_ISSET(s, &rd) ? POLLIN : 0) | (FD_ISSET(s, &wr) ? POLLOUT : 0) |
                               (FD_ISSET(s, &ex) ? POLLERR : 0));
        ready += p[i].revents != 0;
    }
    return ready;
}

ssize_t sock_read(int fd, void *buf, size_t len)
{
    int n = recv((SOCKET)fd, buf, len > INT_MAX ? INT_MAX : (int)len, 0);
    return n == SOCKET_ERROR ? sock_fail() : n;
}

ssize_t sock_write(int fd, const void *buf, size_t len)
{
    int n = send((SOCKET)fd, buf, len > INT_MAX ? INT_MAX : (int)len, 0);
    return n == SOCKET_ERROR ? sock_fail() : n;
}

/* ---- serial ports ---- */

/* A pause on the line that ends a read: a reply arrives back to back (at
 * 115200 baud a byte takes 87 us; a USB bridge sends a packet every 1 ms). */
#define READ_GAP_MS 2

struct win_serial {
    struct port base;
    HANDLE h;
    bool dtr, rts;           /* the lines as last set */
    DWORD timeout;           /* the read timeout set, MAXDWORD: none yet */
};

/* "port: what Windows says" for the last error. */
static int win_fail(struct err *e, const char *what, const char *name)
{
    DWORD code = GetLastError();
    char msg[256] = "";
    FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0,
                   msg, sizeof msg, NULL);
    msg[strcspn(msg, "\r\n")] = '\0';
    return err_set(e, "%s: %s: %s (Windows error %lu)", name, what, msg, (unsigned long)code);
}

static int ser_set_timeout(struct win_serial *s, DWORD ms, struct err *e)
{
    if (s->timeout == ms)
        return 0;
    /* 0: return at once with what is there.  Else wait up to ms for the
     * first byte, then return once the line pauses for READ_GAP_MS. */
    COMMTIMEOUTS t = { ms ? READ_GAP_MS : MAXDWORD, 0, ms, 0, 10000 };
    if (!SetCommTimeouts(s->h, &t))
        return win_fail(e, "setting the timeouts", s->base.name);
    s->timeout = ms;
    return 0;
}

static int ser_read(struct port *p, void *buf, size_t len, int timeout_ms, struct err *e)
{
    struct win_serial *s = (struct win_serial *)p;
    DWORD got = 0;
    if (ser_set_timeout(s, timeout_ms < 0 ? 0 : (DWORD)timeout_ms, e))
        return -1;
    if (!ReadFile(s->h, buf, len > 0x10000 ? 0x10000 : (DWORD)len, &got, NULL))
        return win_fail(e, "read", p->name);
    return (int)got;
}

static int ser_write(struct port *p, const void *buf, size_t len, struct err *e)
{
    struct win_serial *s = (struct win_serial *)p;
    const uint8_t *b = buf;
    while (len) {
        DWORD put = 0, n = len > 0x10000 ? 0x10000 : (DWORD)len;
        if (!WriteFile(s->h, b, n, &put, NULL))
            return win_fail(e, "write", p->name);
        if (put == 0)
            return err_set(e, "%s: write timed out after 10 s", p->name);
        b += put;
        len -= put;
    }
    return 0;
}

/* The port's settings: raw 8N1, no flow control, DTR and RTS as s has
 * them, at `baud`. */
static int ser_configure(struct win_serial *s, uint32_t baud, struct err *e)
{
    DCB d = { .DCBlength = sizeof d };
    if (!GetCommState(s->h, &d))
        return win_fail(e, "reading the port's settings", s->base.name);
    d.BaudRate = baud;
    d.ByteSize = 8;
    d.Parity = NOPARITY;
    d.StopBits = ONESTOPBIT;
    d.fBinary = TRUE;
    d.fParity = FALSE;
    d.fOutxCtsFlow = d.fOutxDsrFlow = d.fDsrSensitivity = FALSE;
    d.fOutX = d.fInX = d.fErrorChar = d.fNull = d.fAbortOnError = FALSE;
    d.fTXContinueOnXoff = TRUE;
    d.fDtrControl = s->dtr ? DTR_CONTROL_ENABLE : DTR_CONTROL_DISABLE;
    d.fRtsControl = s->rts ? RTS_CONTROL_ENABLE : RTS_CONTROL_DISABLE;
    if (!SetCommState(s->h, &d))
        return win_fail(e, "cannot set the baud rate", s->base.name);
    return 0;
}

static int ser_set_baud(struct port *p, uint32_t baud, struct err *e)
{
    if (ser_configure((struct win_serial *)p, baud, e))
        return err_prefix(e, "%u baud: ", (unsigned)baud);
    p->baud = baud;
    return 0;
}

static int ser_set_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    struct win_serial *s = (struct win_serial *)p;
    if (!p->has_lines)
        return 0;
    if (rts != s->rts && !EscapeCommFunction(s->h, rts ? SETRTS : CLRRTS))
        return win_fail(e, "setting RTS", p->name);
    s->rts = rts;
    if (dtr != s->dtr && !EscapeCommFunction(s->h, dtr ? SETDTR : CLRDTR))
        return win_fail(e, "setting DTR", p->name);
    s->dtr = dtr;
    return 0;
}

static void ser_close(struct port *p)
{
    CloseHandle(((struct win_serial *)p)->h);
    free(p);
}

static const struct port_ops serial_ops = {
    ser_read, ser_write, ser_set_baud, ser_set_lines, ser_close,
};

/* "COM4" and "COM10" as CreateFile needs them: \\.\COM4; any other name
 * (\\.\COM4 already, a device path) as given. */
static wchar_t *device_path(const char *name)
{
    char path[300];
    bool com = !strncasecmp(name, "COM", 3) && name[3] &&
               strspn(name + 3, "0123456789") == strlen(name + 3);
    snprintf(path, sizeof path, "%s%s", com ? "\\\\.\\" : "", name);
    return compat_wpath(path);
}

static HANDLE open_device(const char *path, struct err *e)
{
    wchar_t *w = device_path(path);
    HANDLE h = w ? CreateFileW(w, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL)
                 : INVALID_HANDLE_VALUE;
    free(w);
    DWORD code = GetLastError();
    if (h != INVALID_HANDLE_VALUE)
        return h;
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND)
        err_set(e, "%s: no such serial port", path);
    else if (code == ERROR_ACCESS_DENIED || code == ERROR_SHARING_VIOLATION)
        err_set(e, "%s: port is busy (another program has it open)", path);
    else
        win_fail(e, "cannot open", path);
    return INVALID_HANDLE_VALUE;
}

struct port *port_serial_open(const char *path, uint32_t baud, struct err *e)
{
    HANDLE h = open_device(path, e);
    if (h == INVALID_HANDLE_VALUE)
        return NULL;
    DCB probe = { .DCBlength = sizeof probe };
    if (GetFileType(h) != FILE_TYPE_CHAR || !GetCommState(h, &probe)) {
        CloseHandle(h);
        err_set(e, "%s: not a serial port", path);
        return NULL;
    }
    struct win_serial *s = calloc(1, sizeof *s);
    if (!s) {
        CloseHandle(h);
        err_set(e, "%s: out of memory", path);
        return NULL;
    }
    *s = (struct win_serial){ .h = h, .dtr = true, .rts = true, .timeout = MAXDWORD };
    s->base.ops = &serial_ops;
    snprintf(s->base.name, sizeof s->base.name, "%s", path);
    DWORD modem;
    s->base.has_lines = GetCommModemStatus(h, &modem) != 0;
    SetupComm(h, 65536, 65536);
    if (ser_set_baud(&s->base, baud, e) != 0) {
        ser_close(&s->base);
        return NULL;
    }
    PurgeComm(h, PURGE_RXCLEAR | PURGE_TXCLEAR);
    return &s->base;
}

/* ---- discovery ---- */

/* The Ports (COM & LPT) device class. */
static const GUID PORTS_CLASS = { 0x4d36e978, 0xe325, 0x11ce,
                                  { 0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18 } };

/* The hex number after `key` ("VID_", "PID_") in a device instance id
 * such as USB\VID_10C4&PID_EA60\0001 or FTDIBUS\VID_0403+PID_6001+A1\0000. */
static int id_field(const wchar_t *id, const wchar_t *key, uint16_t *out)
{
    const wchar_t *p = wcsstr(id, key);
    if (!p)
        return -1;
    *out = (uint16_t)wcstoul(p + wcslen(key), NULL, 16);
    return 0;
}

/* One present port of the Ports class: its name (COMn) and USB ids. */
static int port_entry(HDEVINFO devs, SP_DEVINFO_DATA *info, struct port_candidate *c)
{
    wchar_t id[512], name[64];
    memset(c, 0, sizeof *c);
    if (!SetupDiGetDeviceInstanceIdW(devs, info, id, 512, NULL) ||
        id_field(id, L"VID_", &c->vid) || id_field(id, L"PID_", &c->pid))
        return -1;
    HKEY k = SetupDiOpenDevRegKey(devs, info, DICS_FLAG_GLOBAL, 0, DIREG_DEV, KEY_READ);
    if (k == INVALID_HANDLE_VALUE)
        return -1;
    DWORD type, size = sizeof name - sizeof name[0];
    LONG rc = RegQueryValueExW(k, L"PortName", NULL, &type, (BYTE *)name, &size);
    RegCloseKey(k);
    if (rc != ERROR_SUCCESS || type != REG_SZ)
        return -1;
    name[size / sizeof name[0]] = L'\0';
    return WideCharToMultiByte(CP_UTF8, 0, name, -1, c->path, sizeof c->path, NULL, NULL) ? 0
                                                                                           : -1;
}

/* Every present USB serial port, into out[max]: how many. */
static int list_ports(struct port_candidate *out, int max)
{
    HDEVINFO devs = SetupDiGetClassDevsW(&PORTS_CLASS, NULL, NULL, DIGCF_PRESENT);
    if (devs == INVALID_HANDLE_VALUE)
        return 0;
    int n = 0;
    SP_DEVINFO_DATA info = { .cbSize = sizeof info };
    for (DWORD i = 0; n < max && SetupDiEnumDeviceInfo(devs, i, &info); i++)
        if (port_entry(devs, &info, &out[n]) == 0)
            n++;
    SetupDiDestroyDeviceInfoList(devs);
    return n;
}

int port_find_candidates(struct port_candidate *out, int max)
{
    struct port_candidate all[64];
    int n = list_ports(all, 64), k = 0;
    for (int i = 0; i < n && k < max; i++) {
        const char *what = port_known_bridge(all[i].vid, all[i].pid);
        if (what) {
            out[k] = all[i];
            snprintf(out[k++].what, sizeof out[0].what, "%s", what);
        }
    }
    port_sort_candidates(out, k);
    return k;
}

int port_usb_ids(const char *path, uint16_t *vid, uint16_t *pid)
{
    if (!strncmp(path, "\\\\.\\", 4))
        path += 4;
    struct port_candidate all[64];
    int n = list_ports(all, 64);
    for (int i = 0; i < n; i++) {
        if (!strcasecmp(all[i].path, path)) {
            *vid = all[i].vid;
            *pid = all[i].pid;
            return 0;
        }
    }
    return -1;
}
