/* <sys/mman.h> on Windows: mmap, munmap and msync are in compat_win32.h
 * (included first in every file of a Windows build). */
#include "compat_win32.h"
