/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tar archives built in memory for the tests (test_util, test_runtime_
 * support): ustar headers with a valid checksum, GNU long names, pax path
 * records, the end-of-archive blocks. Good archives and, by editing the
 * bytes, hostile ones.
 */
#ifndef BPFPORT_TEST_TARB_H
#define BPFPORT_TEST_TARB_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tarb {
	unsigned char *buf;
	size_t len, cap;
};

static void tb_append(struct tarb *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 4096;
		t->buf = realloc(t->buf, t->cap);
		if (!t->buf)
			abort();
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static void tb_pad(struct tarb *t)
{
	static const unsigned char zero[512];

	if (t->len % 512)
		tb_append(t, zero, 512 - t->len % 512);
}

static void tb_header(struct tarb *t, const char *name, char type, const char *link,
		      size_t size)
{
	unsigned char h[512] = { 0 };
	unsigned int sum = 0;
	size_t i;

	strncpy((char *)h, name, 100);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011zo", size);
	snprintf((char *)h + 136, 12, "%011o", 1700000000);
	h[156] = type;
	if (link)
		strncpy((char *)h + 157, link, 100);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	tb_append(t, h, 512);
}

/* type '0' (file, data), '5' (dir), '2' (symlink), '1' (hard link) ... */
static void tb_add(struct tarb *t, const char *name, char type, const char *link,
		   const char *data)
{
	size_t size = data ? strlen(data) : 0;

	if (strlen(name) >= 100) {	/* GNU long name */
		tb_header(t, "././@LongLink", 'L', NULL, strlen(name) + 1);
		tb_append(t, name, strlen(name) + 1);
		tb_pad(t);
	}
	tb_header(t, name, type, link, size);
	if (size) {
		tb_append(t, data, size);
		tb_pad(t);
	}
}

/* a pax extended header naming the next entry */
static void tb_pax_path(struct tarb *t, const char *path)
{
	char rec[PATH_MAX + 32];
	int len = (int)strlen(path) + 8, n;

	for (;;) {	/* the length counts its own digits */
		n = snprintf(rec, sizeof(rec), "%d path=%s\n", len, path);
		if (n == len)
			break;
		len = n;
	}
	tb_header(t, "PaxHeaders/x", 'x', NULL, n);
	tb_append(t, rec, n);
	tb_pad(t);
}

static void tb_end(struct tarb *t)
{
	static const unsigned char zero[1024];

	tb_append(t, zero, sizeof(zero));
}

#endif
