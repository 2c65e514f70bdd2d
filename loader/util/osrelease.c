// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * os-release(5) parsing and reading; the rules are listed in osrelease.h.
 * The text is parsed in place, line by line, without a line buffer: a
 * long line costs nothing and cannot be cut into a wrong value.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "msg.h"
#include "osrelease.h"

/* Unquotes value @v (@n bytes) into @dst (@cap bytes, NUL-terminated, cut
 * to fit). Returns the full unquoted length: >= cap means it was cut. */
static size_t unquote(const char *v, size_t n, char *dst, size_t cap)
{
	size_t r = 0, w = 0;
	char q = 0;

	if (n && (v[0] == '"' || v[0] == '\''))
		q = v[r++];
	else
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
			n--;
	for (; r < n && !(q && v[r] == q); r++, w++) {
		if (q == '"' && v[r] == '\\' && r + 1 < n)
			r++;
		if (w + 1 < cap)
			dst[w] = v[r];
	}
	dst[w < cap ? w : cap - 1] = '\0';
	return w;
}

int os_release_parse(const char *text, struct os_release *out)
{
	struct {
		const char *key;
		char *dst;
		size_t cap;
		bool ident;	/* names a path: never cut */
		bool cut;
	} f[] = {
		{ "ID", out->id, sizeof(out->id), true },
		{ "VERSION_ID", out->version_id, sizeof(out->version_id), true },
		{ "NAME", out->name, sizeof(out->name), false },
		{ "PRETTY_NAME", out->pretty_name, sizeof(out->pretty_name), false },
		{ "ID_LIKE", out->id_like, sizeof(out->id_like), false },
	};
	const char *p, *nl;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (p = text; p && *p; p = nl ? nl + 1 : NULL) {
		const char *k = p + strspn(p, " \t"), *end, *eq;

		nl = strchr(p, '\n');
		end = nl ? nl : p + strlen(p);
		if (k >= end || *k == '#')
			continue;
		eq = memchr(k, '=', (size_t)(end - k));
		if (!eq)
			continue;
		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			if (strlen(f[i].key) != (size_t)(eq - k) ||
			    memcmp(k, f[i].key, (size_t)(eq - k)))
				continue;
			f[i].cut = unquote(eq + 1, (size_t)(end - eq - 1), f[i].dst,
					   f[i].cap) >= f[i].cap;
			if (f[i].cut && f[i].ident)
				f[i].dst[0] = '\0';
			break;
		}
	}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].cut && f[i].ident)
			return -ENAMETOOLONG;
	return out->id[0] ? 0 : -ENOENT;
}

int os_release_read(const char *path, struct os_release *out, char *err,
		    size_t errlen)
{
	void *text;
	size_t n;
	int ret;

	if (!path)	/* the host's: below $BPFPORT_SYSROOT when set */
		return os_release_read_root(fsio_sysroot(), out, err, errlen);
	ret = fsio_read_file(path, OS_RELEASE_MAX, &text, &n);
	if (ret) {
		memset(out, 0, sizeof(*out));
		if (ret == -EFBIG)
			msg_set(err, errlen, ret, "os-release %s: larger than %u KiB: not an os-release file",
				path, OS_RELEASE_MAX >> 10);
		else
			msg_set(err, errlen, ret, "os-release %s: %s", path, fsio_strerror(ret));
		return ret;
	}
	ret = os_release_parse(text, out);
	free(text);
	if (ret == -ENOENT)
		msg_set(err, errlen, ret, "os-release %s has no ID= line: not an os-release file",
			path);
	else if (ret)
		msg_set(err, errlen, ret, "os-release %s: ID or VERSION_ID longer than %zu bytes: not a real os-release",
			path, sizeof(out->id) - 1);
	return ret;
}

int os_release_read_root(const char *root, struct os_release *out, char *err,
			 size_t errlen)
{
	char etc[PATH_MAX], usr[PATH_MAX], why_etc[512], why_usr[512];
	int ret;

	if (!root)
		root = "";
	snprintf(etc, sizeof(etc), "%s/etc/os-release", root);
	snprintf(usr, sizeof(usr), "%s/usr/lib/os-release", root);
	if (!os_release_read(etc, out, why_etc, sizeof(why_etc)))
		return 0;
	ret = os_release_read(usr, out, why_usr, sizeof(why_usr));
	if (ret)
		msg_set(err, errlen, ret, "no usable os-release: %s; %s", why_etc, why_usr);
	return ret;
}
