/* The two digests the tree needs, behind one small interface so that the
 * crypto library is chosen by the build, not by every caller: MD5 (the
 * partition table's MD5 row, the chip's SPI_FLASH_MD5 and READ_FLASH
 * checks, UF2 blocks) and SHA-256 (app and bootloader images).
 *
 * hash.c uses OpenSSL's libcrypto, hash_win32.c Windows' own CNG (BCrypt),
 * so the .exe needs no crypto DLL and no library of ours to keep patched.
 *
 * A digest cannot fail in practice (both libraries compute them in
 * process); when one does (out of memory, MD5 disabled by a FIPS policy)
 * the result is all zeros and the call returns -1, so a caller that does
 * not check still compares unequal to any real digest rather than trusting
 * garbage. */
#ifndef MPI_HASH_H
#define MPI_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_MD5_LEN 16
#define HASH_SHA256_LEN 32

/* One-shot digests of len bytes: 0, or -1 (out zeroed). */
int hash_md5(const void *data, size_t len, uint8_t out[HASH_MD5_LEN]);
int hash_sha256(const void *data, size_t len, uint8_t out[HASH_SHA256_LEN]);

/* An MD5 over data that arrives in pieces (flash read a sector at a time,
 * a READ_FLASH stream).  hash_md5_new returns NULL when out of memory;
 * hash_md5_end writes the digest (zeros after a failure) and frees the
 * context; hash_md5_free drops one without a result (NULL is fine). */
struct hash_md5;
struct hash_md5 *hash_md5_new(void);
void hash_md5_update(struct hash_md5 *h, const void *data, size_t len);
int hash_md5_end(struct hash_md5 *h, uint8_t out[HASH_MD5_LEN]);
void hash_md5_free(struct hash_md5 *h);

#endif
