// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one tar reader (formats and rules in tar.h). Headers are checked
 * before anything in them is used; every length read from the archive is
 * bounded before it sizes a copy, so a hostile archive gets an error,
 * never a read or a write out of bounds.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "tar.h"

#define PAX_MAX		(64u << 10)	/* an extended header's size */

struct tar {
	tar_read_fn read;
	void *src;
	uint64_t pos;		/* bytes consumed */
	uint64_t left;		/* data of the current entry not yet read */
	uint64_t size;		/* of the current entry */
	const char *name;	/* the current entry, for messages */
};

/* A name fit for a one-line message: control bytes become '?'. */
static const char *shown(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
	buf[i] = '\0';
	return buf;
}

/* Reads from the source; the input ending is a truncated archive. */
static int t_read(struct tar *t, void *buf, size_t n, char *err, size_t errlen)
{
	int ret = t->read(t->src, buf, n, err, errlen);

	if (ret == -ENODATA)
		return msg_set(err, errlen, -EBADMSG,
			       "tar archive truncated at byte %llu (no end-of-archive block)",
			       (unsigned long long)t->pos);
	if (!ret)
		t->pos += n;
	return ret;
}

/* An octal field (blanks, digits, then blanks or NULs), or GNU base-256. */
static bool tar_num(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)	/* negative, or more than 2^56 */
			return false;
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return false;
			v = (v << 8) | f[i];
		}
		*out = v;
		return true;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return false;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return false;
	*out = v;
	return true;
}

bool tar_is_tar(const void *buf, size_t len)
{
	return len >= TAR_BLOCK && !memcmp((const char *)buf + 257, "ustar", 5);
}

/* Magic, and the checksum as unsigned or (old tars) signed bytes. */
static bool header_ok(const unsigned char *h)
{
	unsigned long sum = 0;
	long ssum = 0;
	uint64_t want;
	size_t i;

	if (!tar_is_tar(h, TAR_BLOCK) || !tar_num(h + 148, 8, &want))
		return false;
	for (i = 0; i < TAR_BLOCK; i++) {
		bool chk = i >= 148 && i < 156;

		sum += chk ? ' ' : h[i];
		ssum += chk ? ' ' : (signed char)h[i];
	}
	return want == sum || (long long)want == ssum;
}

int tar_clean_name(const char *in, char *out, size_t len, unsigned int max_depth)
{
	unsigned int depth = 0;
	size_t o = 0;

	if (!len)
		return -ENAMETOOLONG;
	if (in[0] == '/')
		return -EPERM;
	while (*in) {
		size_t n;

		in += strspn(in, "/");
		n = strcspn(in, "/");
		if (!n)
			break;
		if (n == 2 && in[0] == '.' && in[1] == '.')
			return -EPERM;
		if (!(n == 1 && in[0] == '.')) {
			if (n > NAME_MAX || o + n + 2 > len ||
			    (max_depth && ++depth > max_depth))
				return -ENAMETOOLONG;
			if (o)
				out[o++] = '/';
			memcpy(out + o, in, n);
			o += n;
		}
		in += n;
	}
	out[o] = '\0';
	return 0;
}

/* pax records "LEN key=value\n": path, linkpath and size. -1 if bad. */
static int pax_parse(const unsigned char *d, size_t n, char *path, char *link,
		     uint64_t *size, bool *has_size)
{
	size_t pos = 0;

	while (pos < n) {
		size_t len = 0, i = pos, klen, vl;
		const char *kv, *eq, *v, *end;

		for (; i < n && d[i] >= '0' && d[i] <= '9'; i++) {
			if (len > n)
				return -1;
			len = len * 10 + (size_t)(d[i] - '0');
		}
		if (i == pos || i >= n || d[i] != ' ' || len < i - pos + 3 ||
		    len > n - pos || d[pos + len - 1] != '\n')
			return -1;
		kv = (const char *)d + i + 1;
		end = (const char *)d + pos + len - 1;	/* the '\n' */
		eq = memchr(kv, '=', (size_t)(end - kv));
		if (!eq)
			return -1;
		klen = (size_t)(eq - kv);
		v = eq + 1;
		vl = (size_t)(end - v);
		if ((klen == 4 && !memcmp(kv, "path", 4)) ||
		    (klen == 8 && !memcmp(kv, "linkpath", 8))) {
			char *dst = klen == 4 ? path : link;

			if (vl >= PATH_MAX || memchr(v, '\0', vl))
				return -1;
			memcpy(dst, v, vl);
			dst[vl] = '\0';
		} else if (klen == 4 && !memcmp(kv, "size", 4)) {
			uint64_t s = 0;
			size_t k;

			if (!vl || vl > 20)
				return -1;
			for (k = 0; k < vl; k++) {
				if (v[k] < '0' || v[k] > '9' || s > (UINT64_MAX - 9) / 10)
					return -1;
				s = s * 10 + (uint64_t)(v[k] - '0');
			}
			*size = s;
			*has_size = true;
		}
		pos += len;
	}
	return 0;
}

/* The extended headers (L, K, x, g): what they say about the next entry. */
struct pending {
	char name[PATH_MAX];	/* "": the header's own */
	char link[PATH_MAX];
	uint64_t size;
	bool has_size;
};

static int meta_entry(struct tar *t, char type, uint64_t size, uint64_t at,
		      struct pending *pd, char *err, size_t errlen)
{
	uint64_t padded = (size + TAR_BLOCK - 1) & ~(uint64_t)(TAR_BLOCK - 1);
	unsigned char *data;
	size_t l;
	int ret;

	if (type == 'g')	/* pax global header: nothing we use */
		return padded ? t_read(t, NULL, (size_t)padded, err, errlen) : 0;
	if (size >= (type == 'x' ? PAX_MAX : PATH_MAX) || (type != 'x' && !size))
		return msg_set(err, errlen, -EBADMSG,
			       "bad %s extended header at byte %llu (%llu bytes)",
			       type == 'x' ? "pax" : "GNU long name",
			       (unsigned long long)at, (unsigned long long)size);
	data = malloc((size_t)padded + 1);
	if (!data)
		return msg_set(err, errlen, -ENOMEM, "out of memory");
	ret = t_read(t, data, (size_t)padded, err, errlen);
	if (!ret && type == 'x') {
		if (pax_parse(data, (size_t)size, pd->name, pd->link, &pd->size,
			      &pd->has_size))
			ret = msg_set(err, errlen, -EBADMSG, "bad pax extended header at byte %llu",
				      (unsigned long long)at);
	} else if (!ret) {
		l = strnlen((const char *)data, (size_t)size);	/* < PATH_MAX */
		data[l] = '\0';
		if (!l)
			ret = msg_set(err, errlen, -EBADMSG,
				      "bad GNU long name extended header at byte %llu (empty)",
				      (unsigned long long)at);
		else
			memcpy(type == 'L' ? pd->name : pd->link, data, l + 1);
	}
	free(data);
	return ret;
}

/* Checks a regular header's name and type; fills @e. */
static int real_entry(const unsigned char *h, char type, uint64_t size, uint64_t at,
		      const struct pending *pd, const struct tar_limits *lim,
		      char *name, char *clean, char *link, struct tar_entry *e,
		      char *err, size_t errlen)
{
	char s[256];
	int ret;

	if (pd->name[0])
		snprintf(name, PATH_MAX, "%s", pd->name);
	else if (!memcmp(h + 257, "ustar\0", 6) && h[345])	/* POSIX prefix */
		snprintf(name, PATH_MAX, "%.155s/%.100s", (const char *)h + 345,
			 (const char *)h);
	else
		snprintf(name, PATH_MAX, "%.100s", (const char *)h);
	if (pd->link[0])
		snprintf(link, PATH_MAX, "%s", pd->link);
	else
		snprintf(link, PATH_MAX, "%.100s", (const char *)h + 157);
	if (!name[0])
		return msg_set(err, errlen, -EPERM, "tar entry at byte %llu has an empty name: refused",
			       (unsigned long long)at);
	ret = tar_clean_name(name, clean, PATH_MAX, lim->max_depth);
	if (ret == -EPERM)
		return msg_set(err, errlen, ret, "entry \"%s\" has %s (absolute name or .. refused)",
			       shown(name, s, sizeof(s)),
			       name[0] == '/' ? "an absolute path" : "a '..' component");
	if (ret)
		return msg_set(err, errlen, ret, "entry \"%s\": name too long", shown(name, s, sizeof(s)));
	switch (type) {
	case '\0': case '0': case '7':
		e->type = TAR_FILE;
		break;
	case '1': case '2':
		e->type = type;
		size = 0;	/* links carry no data */
		break;
	case '5':
		e->type = TAR_DIR;
		break;
	case '3': case '4': case '6':
		return msg_set(err, errlen, -EPERM, "entry \"%s\" is a device or fifo: refused (unsupported type '%c')",
			       shown(name, s, sizeof(s)), type);
	default:
		return msg_set(err, errlen, -EBADMSG, "entry \"%s\" has unsupported type '%c'",
			       shown(name, s, sizeof(s)),
			       type > ' ' && type < 127 ? type : '?');
	}
	e->name = clean;
	e->link = e->type == TAR_HARDLINK || e->type == TAR_SYMLINK ? link : "";
	e->size = size;
	return 0;
}

int tar_walk(tar_read_fn read, void *src, const struct tar_limits *lim,
	     tar_entry_fn fn, void *ctx, char *err, size_t errlen)
{
	static const unsigned char zero[TAR_BLOCK];
	static const struct tar_limits none;
	struct tar t = { .read = read, .src = src };
	char *name = NULL, *clean = NULL, *link = NULL, s[256];
	struct pending *pd = calloc(1, sizeof(*pd));
	uint64_t total = 0;
	unsigned int entries = 0;
	unsigned char h[TAR_BLOCK];
	int ret;

	if (!lim)
		lim = &none;
	name = malloc(3 * PATH_MAX);
	if (!pd || !name) {
		ret = msg_set(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	clean = name + PATH_MAX;
	link = clean + PATH_MAX;
	for (;;) {
		struct tar_entry e = { 0 };
		uint64_t at = t.pos, size, pad;
		char type;

		ret = t_read(&t, h, TAR_BLOCK, err, errlen);
		if (ret)
			break;
		if (!memcmp(h, zero, TAR_BLOCK))
			break;		/* the end of the archive */
		if (lim->max_entries && ++entries > lim->max_entries) {
			ret = msg_set(err, errlen, -EFBIG, "more than %u entries in the tar archive",
				      lim->max_entries);
			break;
		}
		if (!header_ok(h)) {
			ret = msg_set(err, errlen, -EBADMSG, "bad tar header at byte %llu: not a tar archive (bad header checksum or magic)",
				      (unsigned long long)at);
			break;
		}
		if (!tar_num(h + 124, 12, &size)) {
			ret = msg_set(err, errlen, -EBADMSG, "bad size field in the tar header at byte %llu",
				      (unsigned long long)at);
			break;
		}
		type = (char)h[156];
		/* a pax size is the next real entry's, not an extended one's */
		if (pd->has_size && !strchr("LKxg", type ? type : '-'))
			size = pd->size;
		if (lim->max_entry && size > lim->max_entry) {
			/* the header's own name field is 100 bytes, maybe unterminated */
			ret = msg_set(err, errlen, -EFBIG, "entry \"%s\" is %llu bytes, over the %llu MiB limit",
				      shown(pd->name[0] ? pd->name : (const char *)h, s,
					    pd->name[0] ? sizeof(s) : 101),
				      (unsigned long long)size,
				      (unsigned long long)(lim->max_entry >> 20));
			break;
		}
		total += size;
		if (lim->max_total && total > lim->max_total) {
			ret = msg_set(err, errlen, -EFBIG, "more than the %llu MiB limit of data in the tar archive",
				      (unsigned long long)(lim->max_total >> 20));
			break;
		}
		if (strchr("LKxg", type ? type : '-')) {
			ret = meta_entry(&t, type, size, at, pd, err, errlen);
			if (ret)
				break;
			continue;
		}
		ret = real_entry(h, type, size, at, pd, lim, name, clean, link, &e, err, errlen);
		if (ret)
			break;
		pd->name[0] = pd->link[0] = '\0';	/* used up */
		pd->has_size = false;
		e.offset = t.pos;
		t.left = t.size = e.size;
		t.name = clean;
		ret = fn(&t, &e, ctx, err, errlen);
		if (!ret && t.left)
			ret = tar_read_data(&t, NULL, (size_t)t.left, err, errlen);
		pad = (TAR_BLOCK - e.size % TAR_BLOCK) % TAR_BLOCK;
		if (!ret && pad)
			ret = t_read(&t, NULL, (size_t)pad, err, errlen);
		if (ret)
			break;
	}
out:
	free(name);
	free(pd);
	return ret;
}

int tar_read_data(struct tar *t, void *buf, size_t n, char *err, size_t errlen)
{
	char s[256];
	int ret;

	if (n > t->left)
		return msg_set(err, errlen, -EINVAL, "read past the end of entry \"%s\"",
			       shown(t->name, s, sizeof(s)));
	ret = t->read(t->src, buf, n, err, errlen);
	if (ret == -ENODATA)
		return msg_set(err, errlen, -EBADMSG, "entry \"%s\" truncated: the archive ends inside its %llu bytes",
			       shown(t->name, s, sizeof(s)), (unsigned long long)t->size);
	if (ret)
		return ret;
	t->pos += n;
	t->left -= n;
	return 0;
}

struct mem_src {
	const unsigned char *p;
	size_t len, pos;
};

static int mem_read(void *src, void *buf, size_t n, char *err, size_t errlen)
{
	struct mem_src *m = src;

	(void)err;
	(void)errlen;
	if (n > m->len - m->pos) {
		m->pos = m->len;
		return -ENODATA;
	}
	if (buf)
		memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return 0;
}

int tar_walk_mem(const void *buf, size_t len, const struct tar_limits *lim,
		 tar_entry_fn fn, void *ctx, char *err, size_t errlen)
{
	struct mem_src m = { buf, len, 0 };

	return tar_walk(mem_read, &m, lim, fn, ctx, err, errlen);
}
