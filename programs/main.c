/* One binary, three programs: the name it is invoked by picks the front end.
 *   mp-image-tool-esp32  firmware files, partition tables, filesystems, devices
 *   esptool              esptool.py's command lines
 *   espemu               an emulated ESP chip in ROM download mode
 * `mp-image-tool-esp32 --esptool ...` and `--espemu ...` reach the others
 * without a symlink. */
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "names.h"
#include "programs.h"

/* Whether the name we were invoked by, without its directory, starts with
 * `prefix` (esptool, esptool.exe, esptool-4); on Windows in any case
 * (ESPTOOL.EXE). */
static int personality(const char *argv0, const char *prefix)
{
    const char *name = host_base_name(argv0);
#ifdef _WIN32
    return strncasecmp(name, prefix, strlen(prefix)) == 0;
#else
    return strncmp(name, prefix, strlen(prefix)) == 0;
#endif
}

static int run(int argc, char **argv)
{
    const char *argv0 = argc > 0 ? argv[0] : "mp-image-tool-esp32";

    /* every personality writes output files: none leaves a temporary */
    file_io_init();

    if (argc > 1 && strcmp(argv[1], "--esptool") == 0)
        return esptool_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "--espemu") == 0)
        return espemu_main(argc - 1, argv + 1);
    if (personality(argv0, "esptool"))
        return esptool_main(argc, argv);
    if (personality(argv0, "espemu"))
        return espemu_main(argc, argv);
    return mpi_main(argc, argv);
}

#ifdef _WIN32
/* Windows hands the command line over as UTF-16: taken as such and made
 * UTF-8, the encoding of every path and name in the tree, so no argument
 * depends on the ANSI code page. */
int wmain(int argc, wchar_t **wargv)
{
    char **argv = compat_utf8_argv(argc, wargv);
    return argv ? run(argc, argv) : 1;
}
#else
int main(int argc, char **argv)
{
    return run(argc, argv);
}
#endif
