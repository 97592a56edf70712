/* A run stopped by Ctrl-C, Ctrl-Break or its console closing removes the
 * temporary it was writing (fileio.h, file_io_init), then ends as it would
 * have.  Windows calls the handler on a thread of its own, so a critical
 * section, not a signal mask, keeps it from running while the temporary
 * and its registration change (tmp_hold).  The temporary is open, but
 * shared for deletion (compat_win32.c), so it can be removed: it goes when
 * the process ends and closes it. */
#include "fileio.h"
#include "fileio_tmp.h"

#include <unistd.h>
#include <windows.h>

static CRITICAL_SECTION lock;

static BOOL WINAPI on_console_event(DWORD event)
{
    (void)event;
    EnterCriticalSection(&lock);
    if (tmp_armed)
        unlinkat(tmp_armed_dirfd, tmp_armed_name, 0);
    tmp_armed = 0;
    LeaveCriticalSection(&lock);
    return FALSE;   /* the next handler (the default one) ends the process */
}

void file_io_init(void)
{
    tmp_note_start();
    InitializeCriticalSection(&lock);
    SetConsoleCtrlHandler(on_console_event, TRUE);
}

void tmp_hold(bool hold)
{
    if (hold)
        EnterCriticalSection(&lock);
    else
        LeaveCriticalSection(&lock);
}
