// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one lzma_code() loop. Input is fed as it is read, with LZMA_RUN
 * until the input ends and LZMA_FINISH after: liblzma then tells a stream
 * cut short (LZMA_BUF_ERROR) from a corrupt one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>

#include "fsio.h"
#include "msg.h"
#include "xz.h"

#define XZ_IN_BUF	(1u << 16)

struct xz {
	lzma_stream s;
	uint64_t memlimit;
	int fd;			/* -1: all the input is in s.next_in */
	bool in_eof;		/* no more input */
	bool end;		/* the stream ended */
	uint8_t in[];		/* XZ_IN_BUF bytes when reading a fd */
};

static struct xz *xz_new(int fd, size_t inbuf, uint64_t memlimit)
{
	struct xz *x = calloc(1, sizeof(*x) + inbuf);

	if (!x)
		return NULL;
	x->s = (lzma_stream)LZMA_STREAM_INIT;
	x->fd = fd;
	x->memlimit = memlimit;
	if (lzma_stream_decoder(&x->s, memlimit, LZMA_CONCATENATED) != LZMA_OK) {
		free(x);
		errno = ENOMEM;
		return NULL;
	}
	return x;
}

struct xz *xz_from_fd(int fd, uint64_t memlimit)
{
	return xz_new(fd, XZ_IN_BUF, memlimit);
}

struct xz *xz_from_mem(const void *buf, size_t len, uint64_t memlimit)
{
	struct xz *x = xz_new(-1, 0, memlimit);

	if (x) {
		x->s.next_in = buf;
		x->s.avail_in = len;
		x->in_eof = true;
	}
	return x;
}

void xz_free(struct xz *x)
{
	if (!x)
		return;
	lzma_end(&x->s);
	free(x);
}

static int xz_fail(struct xz *x, lzma_ret r, char *err, size_t errlen)
{
	switch (r) {
	case LZMA_FORMAT_ERROR:
		return msg_set(err, errlen, -EBADMSG, "not an xz file");
	case LZMA_MEMLIMIT_ERROR:
		return msg_set(err, errlen, -EFBIG, "xz needs %llu MiB to decompress, over the %llu MiB limit",
			      (unsigned long long)(lzma_memusage(&x->s) >> 20),
			      (unsigned long long)(x->memlimit >> 20));
	case LZMA_MEM_ERROR:
		return msg_set(err, errlen, -ENOMEM, "out of memory decompressing");
	case LZMA_BUF_ERROR:	/* no progress with all the input given */
		return msg_set(err, errlen, -EBADMSG, "xz data truncated (%llu bytes)",
			      (unsigned long long)x->s.total_in);
	default:		/* LZMA_DATA_ERROR, LZMA_OPTIONS_ERROR, ... */
		return msg_set(err, errlen, -EBADMSG, "corrupt xz data (liblzma error %d)",
			      (int)r);
	}
}

/* Decodes into @buf up to @n bytes; *got of them came. */
static int xz_decode(struct xz *x, uint8_t *buf, size_t n, size_t *got, char *err,
		     size_t errlen)
{
	x->s.next_out = buf;
	x->s.avail_out = n;
	while (x->s.avail_out && !x->end) {
		lzma_ret r;

		if (!x->s.avail_in && !x->in_eof) {
			ssize_t k = fsio_read_upto(x->fd, x->in, XZ_IN_BUF);

			if (k < 0)
				return msg_set(err, errlen, (int)k, "read: %s", strerror((int)-k));
			x->in_eof = (size_t)k < XZ_IN_BUF;
			x->s.next_in = x->in;
			x->s.avail_in = (size_t)k;
		}
		r = lzma_code(&x->s, x->in_eof ? LZMA_FINISH : LZMA_RUN);
		if (r == LZMA_STREAM_END)
			x->end = true;
		else if (r != LZMA_OK)
			return xz_fail(x, r, err, errlen);
	}
	*got = n - x->s.avail_out;
	return 0;
}

int xz_read(struct xz *x, void *buf, size_t n, size_t *got, char *err,
	    size_t errlen)
{
	uint8_t scratch[4096];
	size_t done = 0, k = 0;
	int ret;

	while (done < n) {
		size_t want = buf ? n - done :
			      n - done < sizeof(scratch) ? n - done : sizeof(scratch);

		ret = xz_decode(x, buf ? (uint8_t *)buf + done : scratch, want, &k,
				err, errlen);
		if (ret)
			return ret;
		done += k;
		if (k < want)	/* the end of the data */
			break;
	}
	if (got)
		*got = done;
	else if (done < n)
		return msg_set(err, errlen, -ENODATA, "xz data ends %zu bytes early", n - done);
	return 0;
}

int xz_decode_mem(const void *in, size_t len, uint64_t memlimit, size_t max_out,
		  void **out, size_t *outlen, char *err, size_t errlen)
{
	/* a guess at the ratio saves most reallocs; doubling does the rest */
	size_t alloc = len < (64u << 10) ? (256u << 10) :
		       len > max_out / 8 ? max_out : len * 8;
	size_t total = 0, got;
	struct xz *x;
	uint8_t *buf, *nb, probe;
	int ret;

	*out = NULL;
	*outlen = 0;
	if (alloc > max_out)
		alloc = max_out;
	if (!alloc)
		alloc = 1;
	x = xz_from_mem(in, len, memlimit);
	buf = malloc(alloc);
	if (!x || !buf) {
		ret = msg_set(err, errlen, -ENOMEM, "out of memory decompressing");
		goto out;
	}
	for (;;) {
		ret = xz_read(x, buf + total, alloc - total, &got, err, errlen);
		if (ret)
			goto out;
		total += got;
		if (total < alloc)
			break;		/* the stream ended */
		if (alloc >= max_out) {	/* full: is there more? */
			ret = xz_read(x, &probe, 1, &got, err, errlen);
			if (ret)
				goto out;
			if (got) {
				ret = msg_set(err, errlen, -EFBIG, "decompresses to more than the %zu MiB limit",
					     max_out >> 20);
				goto out;
			}
			break;
		}
		alloc = alloc > max_out / 2 ? max_out : alloc * 2;
		nb = realloc(buf, alloc);
		if (!nb) {
			ret = msg_set(err, errlen, -ENOMEM, "out of memory decompressing");
			goto out;
		}
		buf = nb;
	}
	*out = buf;
	*outlen = total;
	buf = NULL;
out:
	free(buf);
	xz_free(x);
	return ret;
}
