/* PLACEHOLDER: replaced by the espemu front end (issue 4). */
#include <stdio.h>
#include "programs.h"
int espemu_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "espemu: not available in this build\n");
    return 1;
}
