/* A run stopped by SIGINT, SIGTERM, SIGHUP or SIGXFSZ removes the temporary
 * it was writing (fileio.h, file_io_init), then dies of the signal. */
#include "fileio.h"
#include "fileio_tmp.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* unlinkat, signal and raise are async-signal-safe; the default action
 * then ends the process as the signal would have. */
static void on_signal(int sig)
{
    if (tmp_armed)
        unlinkat(tmp_armed_dirfd, tmp_armed_name, 0);
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int SIGNALS[] = { SIGINT, SIGTERM, SIGHUP, SIGXFSZ };
#define NSIGNALS (sizeof SIGNALS / sizeof SIGNALS[0])

void file_io_init(void)
{
    tmp_note_start();
    for (size_t i = 0; i < NSIGNALS; i++) {
        struct sigaction old, sa;
        if (sigaction(SIGNALS[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue;   /* ignored (nohup) or someone else's: leave it */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGNALS[i], &sa, NULL);
    }
}

/* The file's existence and its registration change together: with the
 * signals held off, none can come between them. */
void tmp_hold(bool hold)
{
    static sigset_t old;
    if (hold) {
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < NSIGNALS; i++)
            sigaddset(&set, SIGNALS[i]);
        sigprocmask(SIG_BLOCK, &set, &old);
    } else {
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
}
