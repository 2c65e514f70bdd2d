/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * xz decoding (liblzma): the one decode loop, with a memory limit, fed
 * from a file descriptor (streamed: /sys/kernel/kheaders.tar.xz is about
 * 200 MB unpacked) or from memory (a btfhub .btf.tar.xz). Concatenated
 * streams are one stream, as xz -d sees them.
 */
#ifndef BPFPORT_UTIL_XZ_H
#define BPFPORT_UTIL_XZ_H

#include <stddef.h>
#include <stdint.h>

struct xz;

/*
 * A decoder of the xz data read from @fd (left open by xz_free()), or of
 * the @len bytes at @buf (not copied: keep them until xz_free()). liblzma
 * may use up to @memlimit bytes. NULL with errno ENOMEM on failure.
 */
struct xz *xz_from_fd(int fd, uint64_t memlimit);
struct xz *xz_from_mem(const void *buf, size_t len, uint64_t memlimit);
void xz_free(struct xz *x);

/*
 * Decodes the next @n bytes into @buf (NULL: decodes and drops them).
 * With @got, *got is how many came: fewer than @n only at the end of the
 * data. Without it, all @n or -ENODATA when the data ends first. Errors,
 * each named in err: -EBADMSG (not an xz file, corrupt, or truncated),
 * -EFBIG (it needs more than the memory limit), -ENOMEM, or the errno of
 * read(2).
 */
int xz_read(struct xz *x, void *buf, size_t n, size_t *got, char *err,
	    size_t errlen);

/*
 * Decodes all of the @len bytes at @in into *@out (malloc'ed, the caller
 * frees) and *@outlen. More than @max_out bytes of output is -EFBIG
 * (an xz bomb stops there); other errors as xz_read().
 */
int xz_decode_mem(const void *in, size_t len, uint64_t memlimit, size_t max_out,
		  void **out, size_t *outlen, char *err, size_t errlen);

#endif /* BPFPORT_UTIL_XZ_H */
