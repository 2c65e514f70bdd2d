/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Little-endian integers in byte buffers, whatever the host's byte order
 * and alignment: the on-disk formats (the runtime cache's entries, the
 * embedded BTF archive) are little endian.
 */
#ifndef BPFPORT_UTIL_BYTES_H
#define BPFPORT_UTIL_BYTES_H

#include <stdint.h>

static inline uint32_t le32_get(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t le64_get(const void *p)
{
	return le32_get(p) | (uint64_t)le32_get((const uint8_t *)p + 4) << 32;
}

static inline void le32_put(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void le64_put(void *p, uint64_t v)
{
	le32_put(p, (uint32_t)v);
	le32_put((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

#endif /* BPFPORT_UTIL_BYTES_H */
