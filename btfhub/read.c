// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reads kernel BTF: raw, or a btfhub tarball (.tar.xz or plain .tar) that
 * is decompressed and unpacked in memory. Nothing is written to disk, so
 * an entry name can never escape anywhere; unsafe entries are refused all
 * the same, so that we accept exactly what `tar x` would unpack safely.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "btfhub_internal.h"
#include "util/fsio.h"
#include "util/xz.h"

#define XZ_MEMLIMIT	(128u << 20)
/* a tarball is its entry plus headers and padding */
#define TAR_MAX		(BTFHUB_MAX_SIZE + (1u << 20))
#define TAR_BLOCK	512
#define TAR_NAME_MAX	4096

int btfhub_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
#define fail(ret, ...) btfhub_fail(err, errlen, ret, __VA_ARGS__)

/* ---- BTF ---- */

static int btf_check(const unsigned char *d, size_t n, const char *name,
		     char *err, size_t errlen)
{
	struct btf_header h;
	struct btf *btf;

	if (n == 0)
		return fail(-ENOEXEC, "%s: empty (0 bytes), not BTF: use the kernel's "
			    "vmlinux BTF or its btfhub .btf.tar.xz", name);
	if (n < sizeof(h))
		return fail(-ENOEXEC, "%s: %zu bytes, too short for BTF: use the "
			    "kernel's vmlinux BTF", name, n);
	memcpy(&h, d, sizeof(h));
	if (h.magic == __builtin_bswap16(BTF_MAGIC))
		return fail(-ENOEXEC, "%s: BTF of the other byte order (a kernel of "
			    "another architecture): use the BTF of this host's arch", name);
	if (h.magic != BTF_MAGIC)
		return fail(-ENOEXEC, "%s: not BTF (starts %02x %02x, BTF starts 9f eb): "
			    "use a .btf or .btf.tar.xz from btfhub-archive", name, d[0], d[1]);
	if (h.version != BTF_VERSION)
		return fail(-ENOEXEC, "%s: BTF version %u, only %u is known: use a "
			    "BTF made by pahole/bpftool", name, h.version, BTF_VERSION);
	if (h.hdr_len < sizeof(h) || h.hdr_len > n)
		return fail(-EBADMSG, "%s: BTF header length %u does not fit the %zu-byte "
			    "file: corrupt or truncated, fetch it again", name, h.hdr_len, n);
	if ((uint64_t)h.hdr_len + h.type_off + h.type_len > n ||
	    (uint64_t)h.hdr_len + h.str_off + h.str_len > n)
		return fail(-EBADMSG, "%s: BTF sections (types %u+%u, strings %u+%u bytes) "
			    "end past the %zu-byte file: truncated or corrupt, fetch it again",
			    name, h.type_off, h.type_len, h.str_off, h.str_len, n);
	btf = btf__new(d, (uint32_t)n);
	if (!btf) {
		int e = errno;

		return fail(-EBADMSG, "%s: libbpf rejects this BTF (%s): corrupt, fetch "
			    "it again", name, strerror(e));
	}
	btf__free(btf);
	return 0;
}

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

/* ---- tar (POSIX ustar, GNU long names, pax path/size) ---- */

/* Octal numeric field: blanks, digits, then blank or NUL. -1 if invalid. */
static long long tar_num(const unsigned char *f, size_t len)
{
	long long v = 0;
	size_t i = 0;

	if (f[0] & 0x80)	/* base-256: only ever used beyond 8 GiB */
		return (long long)BTFHUB_MAX_SIZE * 4;
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		v = v * 8 + (f[i] - '0');
		if (v > (1ll << 40))
			return -1;
	}
	if (i < len && f[i] != ' ' && f[i] != '\0')
		return -1;
	return v;
}

static bool tar_zero(const unsigned char *h)
{
	for (int i = 0; i < TAR_BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

/* The "..": refused, like an absolute path or an empty name. */
static const char *tar_unsafe(const char *name)
{
	const char *p = name;

	if (!*name)
		return "an empty name";
	if (*name == '/')
		return "an absolute path";
	while (*p) {
		size_t l = strcspn(p, "/");

		if (l == 2 && p[0] == '.' && p[1] == '.')
			return "a '..' component";
		p += l;
		p += *p == '/';
	}
	return NULL;
}

/* pax extended header records "LEN key=value\n": takes path and size. */
static int pax_parse(const unsigned char *d, size_t n, char *path,
		     long long *size)
{
	size_t pos = 0;

	while (pos < n) {
		size_t len = 0, i = pos;
		const char *kv, *eq;

		while (i < n && d[i] >= '0' && d[i] <= '9' && len <= n)
			len = len * 10 + (d[i++] - '0');
		if (i >= n || d[i] != ' ' || len < i - pos + 3 || len > n - pos ||
		    d[pos + len - 1] != '\n')
			return -1;
		kv = (const char *)d + i + 1;
		eq = memchr(kv, '=', (const char *)d + pos + len - 1 - kv);
		if (!eq)
			return -1;
		if (eq - kv == 4 && !memcmp(kv, "path", 4)) {
			size_t vl = (const char *)d + pos + len - 1 - (eq + 1);

			if (vl >= TAR_NAME_MAX || memchr(eq + 1, '\0', vl))
				return -1;
			memcpy(path, eq + 1, vl);
			path[vl] = '\0';
		} else if (eq - kv == 4 && !memcmp(kv, "size", 4)) {
			char num[24];
			size_t vl = (const char *)d + pos + len - 1 - (eq + 1);
			char *end;

			if (vl == 0 || vl >= sizeof(num))
				return -1;
			memcpy(num, eq + 1, vl);
			num[vl] = '\0';
			*size = strtoll(num, &end, 10);
			if (*end || *size < 0)
				return -1;
		}
		pos += len;
	}
	return 0;
}

/* Finds the one regular .btf entry: its data is @t[*off, *off + *len). */
static int tar_find_btf(const unsigned char *t, size_t n, const char *name,
			size_t *off, size_t *len, char *err, size_t errlen)
{
	char ename[TAR_NAME_MAX], pending[TAR_NAME_MAX] = "", found[TAR_NAME_MAX] = "";
	long long pax_size = -1;
	size_t pos = 0;

	for (;;) {
		const unsigned char *h = t + pos;
		unsigned sum = 0, i;
		int ssum = 0;	/* some old tars sum signed chars */
		long long size, chk;
		const char *why;
		size_t data, l;
		bool meta;
		char type;

		if (n - pos < TAR_BLOCK)
			return fail(-EBADMSG, "%s: tar truncated at byte %zu (no end-of-archive "
				    "block): fetch the tarball again", name, pos);
		if (tar_zero(h))
			break;
		for (i = 0; i < TAR_BLOCK; i++) {
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
			ssum += (i >= 148 && i < 156) ? ' ' : (signed char)h[i];
		}
		chk = tar_num(h + 148, 8);
		if (memcmp(h + 257, "ustar", 5))
			return fail(-EBADMSG, "%s: not a ustar/GNU tar header at byte %zu: "
				    "corrupt, fetch the tarball again", name, pos);
		if (chk != (long long)sum && chk != (long long)ssum)
			return fail(-EBADMSG, "%s: bad tar header checksum at byte %zu: corrupt, "
				    "fetch the tarball again", name, pos);
		type = (char)h[156];
		/* a pax size is the next real entry's, not a meta entry's */
		meta = type && strchr("LxgK", type);
		size = pax_size >= 0 && !meta ? pax_size : tar_num(h + 124, 12);
		if (pending[0]) {
			snprintf(ename, sizeof(ename), "%s", pending);
		} else if (!memcmp(h + 257, "ustar\0", 6) && h[345]) {
			/* POSIX: prefix "/" name (GNU tar uses that area otherwise) */
			snprintf(ename, sizeof(ename), "%.155s/%.100s",
				 (const char *)h + 345, (const char *)h);
		} else {
			snprintf(ename, sizeof(ename), "%.100s", (const char *)h);
		}
		if (size < 0)
			return fail(-EBADMSG, "%s: entry %s: bad size field: corrupt, fetch "
				    "the tarball again", name, ename);
		if (size > BTFHUB_MAX_SIZE)
			return fail(-EFBIG, "%s: entry %s is %lld bytes, over the %u MiB limit: "
				    "not a kernel BTF", name, ename, size, BTFHUB_MAX_SIZE >> 20);
		data = pos + TAR_BLOCK;
		if ((size_t)size > n - data)
			return fail(-EBADMSG, "%s: entry %s truncated (%zu of %lld bytes): "
				    "fetch the tarball again", name, ename, n - data, size);
		pos = data + (((size_t)size + TAR_BLOCK - 1) & ~(size_t)(TAR_BLOCK - 1));
		if (pos > n)	/* last entry without its padding */
			pos = n;

		switch (type) {
		case 'L':	/* GNU long name of the next entry */
			l = strnlen((const char *)t + data, (size_t)size);
			if (l == 0 || l >= sizeof(pending))
				return fail(-EBADMSG, "%s: bad GNU long name (%zu bytes): "
					    "corrupt tarball", name, l);
			memcpy(pending, t + data, l);
			pending[l] = '\0';
			continue;
		case 'x':	/* pax header of the next entry */
			if (pax_parse(t + data, (size_t)size, pending, &pax_size))
				return fail(-EBADMSG, "%s: bad pax header at byte %zu: corrupt "
					    "tarball", name, data - TAR_BLOCK);
			continue;
		case 'g':	/* pax global header: nothing we use */
		case 'K':	/* GNU long link name: links are refused below */
			continue;
		}
		why = tar_unsafe(ename);
		if (why)
			return fail(-EPERM, "%s: entry \"%s\" has %s: refused (an unsafe "
				    "archive); use a tarball from btfhub-archive", name, ename, why);
		switch (type) {
		case '0': case '\0': case '7':
			l = strlen(ename);
			if (l > 4 && !strcmp(ename + l - 4, ".btf")) {
				if (found[0])
					return fail(-ENOTUNIQ, "%s: two .btf entries (%s, %s): "
						    "a btfhub tarball holds one; repack it", name,
						    found, ename);
				memcpy(found, ename, l + 1);
				*off = data;
				*len = (size_t)size;
			}
			break;
		case '5':	/* directory */
			break;
		case '1': case '2':
			return fail(-EPERM, "%s: entry \"%s\" is a %s: refused (an unsafe "
				    "archive); use a tarball from btfhub-archive", name, ename,
				    type == '1' ? "hard link" : "symbolic link");
		case '3': case '4': case '6':
			return fail(-EPERM, "%s: entry \"%s\" is a device or fifo: refused "
				    "(an unsafe archive)", name, ename);
		default:
			return fail(-EBADMSG, "%s: entry \"%s\" has unsupported tar type '%c': "
				    "repack it as a plain ustar tarball", name, ename,
				    type > ' ' && type < 127 ? type : '?');
		}
		pending[0] = '\0';
		pax_size = -1;
	}
	if (!found[0])
		return fail(-ENODATA, "%s: no *.btf file inside the tarball: use the "
			    "kernel's btfhub .btf.tar.xz", name);
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
	size_t off, len;
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
	if (n >= TAR_BLOCK && !memcmp(buf + 257, "ustar", 5)) {
		ret = tar_find_btf(buf, n, name, &off, &len, err, errlen);
		if (ret)
			goto out;
		memmove(buf, buf + off, len);
		n = len;
	}
	ret = btf_check(buf, n, name, err, errlen);
	if (ret)
		goto out;
	*data = realloc(buf, n);	/* only shrinks */
	if (!*data)
		*data = buf;
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
