/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SHA-256 (FIPS 180-4): the one hash, for content keys (the runtime
 * cache's key and entry names, the kernel config's hash). Not a MAC and
 * not constant time: it names contents, it guards no secret.
 */
#ifndef BPFPORT_UTIL_HASH_H
#define BPFPORT_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32

struct sha256_ctx {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed */
	uint8_t buf[64];	/* a partial block */
	size_t used;
};

void sha256_init(struct sha256_ctx *c);
/* Any split of the input gives the same digest. */
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* The digest; @c must be initialized again before another use. */
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN]);
/* All three at once. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* @n bytes as 2n lowercase hex digits and a NUL into @out. */
void hash_hex(const uint8_t *d, size_t n, char *out);

#endif /* BPFPORT_UTIL_HASH_H */
