/* hash.h on OpenSSL's libcrypto (every platform but Windows).
 *
 * Through EVP: OpenSSL 3 deprecates MD5() and the low-level MD5_* and
 * SHA256_* calls, and its SHA256() one-shot is itself EVP_Q_digest, so
 * none of them saves the provider start-up (~0.8 ms, paid once per run on
 * the first digest). */
#include "hash.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct hash_md5 {
    EVP_MD_CTX *ctx;
    int failed;
};

static int digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out, size_t olen)
{
    unsigned int n = (unsigned int)olen;
    if (md && EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == olen)
        return 0;
    memset(out, 0, olen);
    return -1;
}

int hash_md5(const void *data, size_t len, uint8_t out[HASH_MD5_LEN])
{
    return digest(EVP_md5(), data, len, out, HASH_MD5_LEN);
}

int hash_sha256(const void *data, size_t len, uint8_t out[HASH_SHA256_LEN])
{
    return digest(EVP_sha256(), data, len, out, HASH_SHA256_LEN);
}

struct hash_md5 *hash_md5_new(void)
{
    struct hash_md5 *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx) {
        free(h);
        return NULL;
    }
    h->failed = EVP_DigestInit_ex(h->ctx, EVP_md5(), NULL) != 1;
    return h;
}

void hash_md5_update(struct hash_md5 *h, const void *data, size_t len)
{
    if (!h->failed && EVP_DigestUpdate(h->ctx, data, len) != 1)
        h->failed = 1;
}

int hash_md5_end(struct hash_md5 *h, uint8_t out[HASH_MD5_LEN])
{
    unsigned int n = HASH_MD5_LEN;
    int rc = !h->failed && EVP_DigestFinal_ex(h->ctx, out, &n) == 1 && n == HASH_MD5_LEN ? 0 : -1;
    if (rc)
        memset(out, 0, HASH_MD5_LEN);
    hash_md5_free(h);
    return rc;
}

void hash_md5_free(struct hash_md5 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}
