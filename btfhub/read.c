// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reads kernel BTF: raw, or a btfhub tarball (.tar.xz or plain .tar) that
 * is decompressed and unpacked in memory. Nothing is written to disk, so
 * an entry name can never escape anywhere; unsafe entries are refused all
 * the same, so that we accept exactly what `tar x` would unpack safely.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btfhub_internal.h"
#include "util/fsio.h"
#include "util/tar.h"
#include "util/xz.h"

#define XZ_MEMLIMIT	(128u << 20)
/* a tarball is its entry plus headers and padding */
#define TAR_MAX		(BTFHUB_MAX_SIZE + (1u << 20))

/* The fix to add to a message of util/ (xz.c, tar.c), which name only
 * the cause. */
static const char *hint(int ret)
{
	switch (ret) {
	case -EBADMSG:
		return ": fetch the tarball again";
	case -EPERM:
		return "; use a tarball from btfhub-archive";
	case -EFBIG:
		return ": not a kernel BTF tarball";
	default:
		return "";
	}
}

/* ---- tar: util/tar.c, which refuses absolute names, "..", devices ---- */

struct btf_entry {
	char name[4096];	/* the .btf entry found, "" if none yet */
	uint64_t off, len;	/* its data in the tarball */
};

/* Takes the one regular *.btf entry; links are refused: a btfhub tarball
 * has none, and nothing here is ever extracted to follow them. */
static int find_btf(struct tar *t, const struct tar_entry *e, void *ctx,
		    char *err, size_t errlen)
{
	struct btf_entry *b = ctx;
	size_t l = strlen(e->name);

	(void)t;
	if (e->type == TAR_HARDLINK || e->type == TAR_SYMLINK)
		return fail(-EPERM, "entry \"%s\" is a %s: refused (an unsafe archive)",
			    e->name, e->type == TAR_HARDLINK ? "hard link" : "symbolic link");
	if (e->type != TAR_FILE || l <= 4 || strcmp(e->name + l - 4, ".btf"))
		return 0;
	if (b->name[0])
		return fail(-ENOTUNIQ, "two .btf entries (%s, %s): a btfhub tarball holds "
			    "one; repack it", b->name, e->name);
	snprintf(b->name, sizeof(b->name), "%s", e->name);
	b->off = e->offset;
	b->len = e->size;
	return 0;
}

/* ---- entry points ---- */

/* Takes ownership of @buf (malloc'ed, @n bytes). */
static int read_owned(unsigned char *buf, size_t n, const char *name,
		      void **data, size_t *size, char *err, size_t errlen)
{
	static const unsigned char xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	char why[512];
	void *plain;
	int ret;

	if (n >= sizeof(xz_magic) && !memcmp(buf, xz_magic, sizeof(xz_magic))) {
		ret = xz_decode_mem(buf, n, XZ_MEMLIMIT, TAR_MAX, &plain, &n, why, sizeof(why));
		free(buf);
		if (ret)
			return fail(ret, "%s: %s%s", name, why, hint(ret));
		buf = plain;
	} else if (n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
		ret = fail(-ENOEXEC, "%s: gzip data, not BTF: btfhub tarballs are "
			   ".tar.xz; recompress with xz", name);
		goto out;
	}
	if (tar_is_tar(buf, n)) {
		static const struct tar_limits lim = { .max_entry = BTFHUB_MAX_SIZE };
		struct btf_entry b = { "" };

		ret = tar_walk_mem(buf, n, &lim, find_btf, &b, why, sizeof(why));
		if (ret) {
			fail(ret, "%s: %s%s", name, why, hint(ret));
			goto out;
		}
		if (!b.name[0]) {
			ret = fail(-ENODATA, "%s: no *.btf file inside the tarball: use the "
				   "kernel's btfhub .btf.tar.xz", name);
			goto out;
		}
		memmove(buf, buf + b.off, b.len);
		n = b.len;
	}
	ret = btfhub_btf_validate(buf, n, name, err, errlen);
	if (ret)
		goto out;
	*data = buf;	/* a tarball's few KiB of tar framing stay allocated */
	*size = n;
	return 0;
out:
	free(buf);
	return ret;
}

int btfhub_read_mem(const void *mem, size_t len, const char *name, void **data,
		    size_t *size, char *err, size_t errlen)
{
	unsigned char *buf;

	if (!data || !size || (!mem && len))
		return fail(-EINVAL, "btfhub_read_mem: NULL argument");
	*data = NULL;
	*size = 0;
	if (len > BTFHUB_MAX_SIZE)
		return fail(-EFBIG, "%s: %zu bytes, over the %u MiB limit: not a kernel BTF",
			    name ? name : "BTF", len, BTFHUB_MAX_SIZE >> 20);
	buf = malloc(len ? len : 1);
	if (!buf)
		return fail(-ENOMEM, "out of memory");
	if (len)
		memcpy(buf, mem, len);
	return read_owned(buf, len, name ? name : "BTF", data, size, err, errlen);
}

int btfhub_read_file(const char *path, void **data, size_t *size, char *err,
		     size_t errlen)
{
	void *buf;
	size_t n;
	int ret;

	if (!path || !data || !size)
		return fail(-EINVAL, "btfhub_read_file: NULL argument");
	*data = NULL;
	*size = 0;
	ret = fsio_read_file(path, BTFHUB_MAX_SIZE, &buf, &n);
	switch (ret) {
	case 0:
		return read_owned(buf, n, path, data, size, err, errlen);
	case -ENOENT:
		return fail(ret, "%s: no such file: give the path of the kernel's .btf or "
			    ".btf.tar.xz", path);
	case -EISDIR:
	case -EINVAL:
		return fail(ret, "%s: not a regular file: give a .btf or .btf.tar.xz file",
			    path);
	case -EFBIG:
		return fail(ret, "%s: over the %u MiB limit: not a kernel BTF", path,
			    BTFHUB_MAX_SIZE >> 20);
	default:
		return fail(ret, "%s: cannot read: %s", path, strerror(-ret));
	}
}
