/* One binary, three programs: the name it is invoked by picks the front end.
 *   mp-image-tool-esp32  firmware files, partition tables, filesystems, devices
 *   esptool              esptool.py's command lines
 *   espemu               an emulated ESP chip in ROM download mode
 * `mp-image-tool-esp32 --esptool ...` and `--espemu ...` reach the others
 * without a symlink. */
#include <string.h>

#include "programs.h"

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int main(int argc, char **argv)
{
    const char *name = base_name(argc > 0 ? argv[0] : "mp-image-tool-esp32");

    if (argc > 1 && strcmp(argv[1], "--esptool") == 0)
        return esptool_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "--espemu") == 0)
        return espemu_main(argc - 1, argv + 1);
    if (starts_with(name, "esptool"))
        return esptool_main(argc, argv);
    if (starts_with(name, "espemu"))
        return espemu_main(argc, argv);
    return mpi_main(argc, argv);
}
