// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The minimized BTF archive embedded by btfhub/CMakeLists.txt (made by
 * mkarchive.py; format in btfhub/README.md). Every access re-checks the
 * bounds it relies on, so a damaged binary yields -EBADMSG, not a crash.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "btfhub_internal.h"


#define ARC_MAGIC	"BPFPBTFA"
#define ARC_VERSION	1
#define ARC_HDR_SIZE	40
#define ARC_REC_SIZE	20

/* btfhub/embed.S: empty when built without BTFHUB_ARCHIVE */
extern const unsigned char bpfport_btfhub_archive_start[];
extern const unsigned char bpfport_btfhub_archive_end[];

struct arc {
	const unsigned char *base;
	size_t size;
	uint32_t count, index_off, strings_off, strings_size, blob_off, blob_size,
		 raw_size;
};

struct arc_rec {
	const char *key;
	uint32_t key_len, data_off, data_size, crc;
};

static int arc_open(struct arc *a)
{
	const unsigned char *h = bpfport_btfhub_archive_start;

	memset(a, 0, sizeof(*a));
	a->base = h;
	a->size = (size_t)(bpfport_btfhub_archive_end - bpfport_btfhub_archive_start);
	if (a->size == 0)
		return -ENODATA;
	if (a->size < ARC_HDR_SIZE || memcmp(h, ARC_MAGIC, 8))
		return -EBADMSG;
	if (le32_get(h + 8) != ARC_VERSION)
		return -EPROTO;
	a->count = le32_get(h + 12);
	a->index_off = le32_get(h + 16);
	a->strings_off = le32_get(h + 20);
	a->strings_size = le32_get(h + 24);
	a->blob_off = le32_get(h + 28);
	a->blob_size = le32_get(h + 32);
	a->raw_size = le32_get(h + 36);
	if ((uint64_t)a->index_off + (uint64_t)a->count * ARC_REC_SIZE > a->size ||
	    (uint64_t)a->strings_off + a->strings_size > a->size ||
	    (uint64_t)a->blob_off + a->blob_size > a->size)
		return -EBADMSG;
	return 0;
}

static int arc_rec(const struct arc *a, size_t i, struct arc_rec *r)
{
	const unsigned char *p;
	uint32_t key_off;

	if (i >= a->count)
		return -ERANGE;
	p = a->base + a->index_off + i * ARC_REC_SIZE;
	key_off = le32_get(p);
	r->key_len = le32_get(p + 4);
	r->data_off = le32_get(p + 8);
	r->data_size = le32_get(p + 12);
	r->crc = le32_get(p + 16);
	/* the key is NUL-terminated inside the string table */
	if ((uint64_t)key_off + r->key_len >= a->strings_size ||
	    a->base[a->strings_off + key_off + r->key_len] != '\0' ||
	    (uint64_t)r->data_off + r->data_size > a->raw_size ||
	    r->data_size > BTFHUB_MAX_SIZE)
		return -EBADMSG;
	r->key = (const char *)a->base + a->strings_off + key_off;
	return 0;
}

static const char *arc_strerror(int ret)
{
	switch (ret) {
	case -ENODATA:
		return "this bpfport was built without BTFHUB_ARCHIVE: rebuild with "
		       "-DBTFHUB_ARCHIVE=<btfhub-archive dir>, or give a BTF file";
	case -EPROTO:
		return "the embedded BTF archive has a newer format version: rebuild";
	default:
		return "the embedded BTF archive is corrupt: rebuild bpfport";
	}
}

int btfhub_embedded_count(void)
{
	struct arc a;
	int ret = arc_open(&a);

	if (ret)
		return ret;
	return a.count > (uint32_t)INT32_MAX ? -EBADMSG : (int)a.count;
}

int btfhub_embedded_entry(size_t i, const char **key, size_t *size)
{
	struct arc_rec r;
	struct arc a;
	int ret;

	ret = arc_open(&a);
	if (!ret)
		ret = arc_rec(&a, i, &r);
	if (ret == -ENODATA)
		ret = -ERANGE;
	if (ret)
		return ret;
	if (key)
		*key = r.key;
	if (size)
		*size = r.data_size;
	return 0;
}

/* Inflates the blob up to the end of @r and keeps its bytes. */
static int arc_extract(const struct arc *a, const struct arc_rec *r, void **data,
		       char *err, size_t errlen)
{
	unsigned char chunk[16384];
	unsigned char *out;
	char name[4200];
	uint64_t pos = 0, end = (uint64_t)r->data_off + r->data_size;
	z_stream z = { 0 };
	int zr = Z_OK, ret;

	out = malloc(r->data_size ? r->data_size : 1);
	if (!out)
		return fail(-ENOMEM, "out of memory");
	if (inflateInit(&z) != Z_OK) {
		free(out);
		return fail(-ENOMEM, "cannot start zlib: out of memory");
	}
	z.next_in = (unsigned char *)a->base + a->blob_off;
	z.avail_in = a->blob_size;
	while (pos < end && zr != Z_STREAM_END) {
		uint64_t got, lo, hi;

		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			break;
		got = sizeof(chunk) - z.avail_out;
		if (got == 0 && zr == Z_OK && z.avail_in == 0)
			break;	/* input ends early */
		/* the part of [pos, pos+got) inside [data_off, end) */
		lo = pos > r->data_off ? pos : r->data_off;
		hi = pos + got < end ? pos + got : end;
		if (lo < hi)
			memcpy(out + (lo - r->data_off), chunk + (lo - pos), hi - lo);
		pos += got;
	}
	inflateEnd(&z);
	if (pos < end) {
		free(out);
		return fail(-EBADMSG, "embedded %s: compressed data damaged (%s): rebuild "
			    "bpfport", r->key, zr == Z_OK ? "truncated" : "zlib error");
	}
	if (crc32(0, out, r->data_size) != r->crc) {
		free(out);
		return fail(-EBADMSG, "embedded %s: CRC-32 mismatch: rebuild bpfport", r->key);
	}
	snprintf(name, sizeof(name), "embedded %s", r->key);
	ret = btfhub_btf_validate(out, r->data_size, name, err, errlen);
	if (ret) {
		free(out);
		return ret;
	}
	*data = out;
	return 0;
}

int btfhub_embedded_get(size_t i, void **data, size_t *size, char *err,
			size_t errlen)
{
	struct arc_rec r;
	struct arc a;
	int ret;

	if (!data || !size)
		return fail(-EINVAL, "btfhub_embedded_get: NULL argument");
	*data = NULL;
	*size = 0;
	ret = arc_open(&a);
	if (ret)
		return fail(ret, "%s", arc_strerror(ret));
	ret = arc_rec(&a, i, &r);
	if (ret == -ERANGE)
		return fail(ret, "embedded BTF entry %zu: only %u entries", i, a.count);
	if (ret)
		return fail(ret, "%s", arc_strerror(ret));
	ret = arc_extract(&a, &r, data, err, errlen);
	if (!ret)
		*size = r.data_size;
	return ret;
}

int btfhub_embedded_find(const struct btfhub_key *k, void **data, size_t *size,
			 char *keyout, size_t keylen, char *err, size_t errlen)
{
	const char **keys = NULL;
	struct arc_rec r;
	struct arc a;
	size_t i, m;
	int ret;

	if (!k || !data || !size)
		return fail(-EINVAL, "btfhub_embedded_find: NULL argument");
	*data = NULL;
	*size = 0;
	if (keyout && keylen)
		keyout[0] = '\0';
	ret = arc_open(&a);
	if (ret)
		return fail(ret, "%s", arc_strerror(ret));
	keys = calloc(a.count ? a.count : 1, sizeof(*keys));
	if (!keys)
		return fail(-ENOMEM, "out of memory");
	for (i = 0; i < a.count; i++) {
		ret = arc_rec(&a, i, &r);
		if (ret) {
			ret = fail(ret, "%s", arc_strerror(ret));
			goto out;
		}
		keys[i] = r.key;
	}
	ret = btfhub_lookup_paths(keys, a.count, k, &m, err, errlen);
	if (ret)
		goto out;
	arc_rec(&a, m, &r);
	ret = arc_extract(&a, &r, data, err, errlen);
	if (ret)
		goto out;
	*size = r.data_size;
	if (keyout && keylen)
		snprintf(keyout, keylen, "%s", r.key);
out:
	free(keys);
	return ret;
}
