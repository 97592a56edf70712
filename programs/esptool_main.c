/* PLACEHOLDER: replaced by the esptool front end (issue 4). */
#include <stdio.h>
#include "programs.h"
int esptool_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "esptool: not available in this build\n");
    return 1;
}
