/* hash.h on Windows' own cryptography (CNG, bcrypt.dll).
 *
 * Why CNG and not a library: it ships with every Windows since Vista, is
 * kept patched by Windows Update and is FIPS-validated, and the .exe then
 * carries no crypto code of its own.  The only Debian mingw package that
 * could do it instead, libgcrypt, is LGPL (a static .exe would have to be
 * relinkable) and adds ~1 MB for two digests.  Wine implements the same
 * calls, so the tests exercise this file.
 *
 * The algorithm providers are opened once and kept for the run (opening
 * one is the expensive part); BCryptCreateHash/HashData/FinishHash work on
 * every Windows CNG exists on (BCryptHash, the one-shot, needs Windows 10). */
#include "hash.h"

#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <bcrypt.h>

struct hash_md5 {
    BCRYPT_HASH_HANDLE h;
    int failed;
};

/* The provider for `which` (BCRYPT_MD5_ALGORITHM or BCRYPT_SHA256_ALGORITHM),
 * opened on first use; NULL when CNG refuses it. */
static BCRYPT_ALG_HANDLE provider(LPCWSTR which, BCRYPT_ALG_HANDLE *slot)
{
    if (!*slot && BCryptOpenAlgorithmProvider(slot, which, NULL, 0) < 0)
        *slot = NULL;
    return *slot;
}

static BCRYPT_ALG_HANDLE md5_alg(void)
{
    static BCRYPT_ALG_HANDLE alg;
    return provider(BCRYPT_MD5_ALGORITHM, &alg);
}

static BCRYPT_ALG_HANDLE sha256_alg(void)
{
    static BCRYPT_ALG_HANDLE alg;
    return provider(BCRYPT_SHA256_ALGORITHM, &alg);
}

/* BCryptHashData takes a ULONG length: larger inputs go in pieces. */
static int feed(BCRYPT_HASH_HANDLE h, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ULONG n = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (BCryptHashData(h, (PUCHAR)p, n, 0) < 0)
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

static int digest(BCRYPT_ALG_HANDLE alg, const void *data, size_t len, uint8_t *out,
                  ULONG olen)
{
    BCRYPT_HASH_HANDLE h = NULL;
    int rc = alg && BCryptCreateHash(alg, &h, NULL, 0, NULL, 0, 0) >= 0 &&
             feed(h, data, len) == 0 && BCryptFinishHash(h, out, olen, 0) >= 0 ? 0 : -1;
    if (h)
        BCryptDestroyHash(h);
    if (rc)
        memset(out, 0, olen);
    return rc;
}

int hash_md5(const void *data, size_t len, uint8_t out[HASH_MD5_LEN])
{
    return digest(md5_alg(), data, len, out, HASH_MD5_LEN);
}

int hash_sha256(const void *data, size_t len, uint8_t out[HASH_SHA256_LEN])
{
    return digest(sha256_alg(), data, len, out, HASH_SHA256_LEN);
}

struct hash_md5 *hash_md5_new(void)
{
    struct hash_md5 *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    BCRYPT_ALG_HANDLE alg = md5_alg();
    h->failed = !alg || BCryptCreateHash(alg, &h->h, NULL, 0, NULL, 0, 0) < 0;
    return h;
}

void hash_md5_update(struct hash_md5 *h, const void *data, size_t len)
{
    if (!h->failed && feed(h->h, data, len) != 0)
        h->failed = 1;
}

int hash_md5_end(struct hash_md5 *h, uint8_t out[HASH_MD5_LEN])
{
    int rc = !h->failed && BCryptFinishHash(h->h, out, HASH_MD5_LEN, 0) >= 0 ? 0 : -1;
    if (rc)
        memset(out, 0, HASH_MD5_LEN);
    hash_md5_free(h);
    return rc;
}

void hash_md5_free(struct hash_md5 *h)
{
    if (!h)
        return;
    if (h->h)
        BCryptDestroyHash(h->h);
    free(h);
}
