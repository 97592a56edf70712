#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

const char *shared_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("MPI_SHARED");
    struct stat st;
    if (!root)
        root = "../shared";
    snprintf(buf, sizeof buf, "%s/%s", root, rel);
    return stat(buf, &st) == 0 ? buf : NULL;
}

void require_shared(const char *rel)
{
    if (!shared_path(rel)) {
        printf("SKIP: ../shared/%s not found (set MPI_SHARED); conformance tests skipped\n", rel);
        exit(TEST_SKIP);
    }
}

uint8_t *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    fclose(f);
    *len = (size_t)n;
    return buf;
}

const char *test_tmpdir(void)
{
    static char path[256];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/mpi-test-XXXXXX");
        if (!mkdtemp(path))
            abort();
    }
    return path;
}

size_t test_unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (s[0] && s[1] && n < cap) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}
