// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the btfhub data layer: test_btfhub read|validate|lookup|embedded;
 * test_btfhub write-crafted DIR writes the crafted BTFs of group validate
 * for the CLI tests.
 * Env: BPFPORT_FIXTURES (tests/fixtures); BPFPORT_EMBEDDED_SOURCE, the
 * btfhub-archive directory the embedded archive was made from (the BTF
 * fixtures' in test_btfhub: tests/CMakeLists.txt); BPFPORT_BTFHUB_ARCHIVE,
 * the shared btfhub-archive sample with KERNELS.txt: when it is there,
 * groups read and lookup read its real tarballs and paths too. Group
 * embedded-archive checks the product's archive (test_btfhub_archive).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "btfhub.h"
#include "util/arch.h"
#include "util/fsio.h"
#include "check.h"

static const char *fixtures;	/* .../tests/fixtures/btfhub */
static const char *archive;	/* the btfhub-archive sample, or NULL */

static const char *fx(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	return path;
}

static const char *arc(const char *rel)
{
	static char path[8192];

	snprintf(path, sizeof(path), "%s/%s", archive, rel);
	return path;
}

/* A whole file (NUL-terminated), or NULL. */
static void *slurp(const char *path, size_t *n)
{
	void *buf;

	return fsio_read_file(path, 1u << 30, &buf, n) ? NULL : buf;
}

/* Bit offset of @member in struct @sname, looking into anonymous members
 * (as CO-RE does); -1 when absent. */
static long member_bits(const struct btf *btf, int id, const char *member, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_composite(t) || depth > 8)
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		long sub;
		int tid;

		if (n && !strcmp(n, member))
			return btf_member_bit_offset(t, i);
		if (n && *n)
			continue;
		tid = m->type;
		for (t = btf__type_by_id(btf, tid); t && (btf_is_mod(t) || btf_is_typedef(t));
		     t = btf__type_by_id(btf, tid))
			tid = t->type;
		sub = member_bits(btf, tid, member, depth + 1);
		t = btf__type_by_id(btf, id);
		if (sub >= 0)
			return btf_member_bit_offset(t, i) + sub;
	}
	return -1;
}

/* Byte offset of @sname.@member in @btf; -1 when absent. */
static long field_off(const struct btf *btf, const char *sname, const char *member)
{
	int id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	long off = id > 0 ? member_bits(btf, id, member, 0) : -1;

	return off < 0 ? -1 : off / 8;
}

/* The same from raw BTF; -2 when libbpf rejects it. */
static long field_offset(const void *data, size_t size, const char *sname,
			 const char *member)
{
	struct btf *btf = btf__new(data, size);
	long off;

	if (!btf)
		return -2;
	off = field_off(btf, sname, member);
	btf__free(btf);
	return off;
}

/* ---------------------------------------------------------------- read */

static const struct bad_input {
	const char *file;
	int err;
	const char *msg;
} bad_inputs[] = {
	{ "empty.btf", -ENOEXEC, "empty (0 bytes)" },
	{ "random.bin", -ENOEXEC, "not BTF" },
	{ "gzip.btf.tar.gz", -ENOEXEC, "gzip" },
	{ "bigendian.btf", -ENOEXEC, "other byte order" },
	{ "notbtf-payload.btf.tar.xz", -ENOEXEC, "not BTF" },
	{ "badhdr.btf", -EBADMSG, "header length" },
	{ "badsec.btf", -EBADMSG, "sections" },
	{ "truncated-xz.btf.tar.xz", -EBADMSG, "xz data truncated" },
	{ "corrupt-xz.btf.tar.xz", -EBADMSG, "corrupt xz data" },
	{ "truncated-tar.btf.tar.xz", -EBADMSG, "truncated" },
	{ "badsum.btf.tar.xz", -EBADMSG, "checksum" },
	{ "dotdot.btf.tar.xz", -EPERM, "\"../evil.btf\" has a '..' component" },
	{ "pax-evil.btf.tar.xz", -EPERM, "\"../evil.btf\" has a '..' component" },
	{ "absolute.btf.tar.xz", -EPERM, "absolute path" },
	{ "symlink.btf.tar.xz", -EPERM, "symbolic link" },
	{ "hardlink.btf.tar.xz", -EPERM, "hard link" },
	{ "two.btf.tar.xz", -ENOTUNIQ, "two .btf entries" },
	{ "nobtf.btf.tar.xz", -ENODATA, "no *.btf file" },
	{ "hugesize.btf.tar.xz", -EFBIG, "over the 256 MiB limit" },
	{ "bomb.xz", -EFBIG, "decompresses to more than" },
	{ "no-such-file.btf.tar.xz", -ENOENT, "no such file" },
};

static void read_fixtures(void)
{
	static const char *const good[] = {
		"good.btf.tar.xz", "good.tar", "longname.btf.tar.xz",
		"pax-longname.btf.tar.xz",
	};
	void *ref, *data = (void *)1, *buf;
	size_t refsize, size = 1, n, i, cut;
	char err[512];

	ref = slurp(fx("good.btf"), &refsize);
	CHECK(ref && refsize > 24);
	CHECK(btfhub_read_file(fx("good.btf"), &data, &size, err, sizeof(err)) == 0);
	CHECK(size == refsize && !memcmp(data, ref, size));
	CHECK(field_offset(data, size, "task_struct", "real_parent") == 8);
	free(data);
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		int ret = btfhub_read_file(fx(good[i]), &data, &size, err, sizeof(err));

		if (ret)
			fprintf(stderr, "%s: %s\n", good[i], err);
		CHECK(ret == 0 && size == refsize && !memcmp(data, ref, size));
		free(data);
	}

	for (i = 0; i < sizeof(bad_inputs) / sizeof(*bad_inputs); i++) {
		const struct bad_input *b = &bad_inputs[i];

		err[0] = '\0';
		data = (void *)1;
		size = 1;
		CHECK_ERR(btfhub_read_file(fx(b->file), &data, &size, err, sizeof(err)),
			  b->err, err, b->msg);
		CHECK(data == NULL && size == 0);
	}
	CHECK_ERR(btfhub_read_file(fixtures, &data, &size, err, sizeof(err)), -EISDIR,
		  err, "not a regular file");
	/* a FIFO: refused at once, never waited on (the alarm fails the test
	 * instead of hanging it) */
	{
		char dir[] = "/tmp/test_btfhub.XXXXXX", fifo[64];

		CHECK(mkdtemp(dir) != NULL);
		snprintf(fifo, sizeof(fifo), "%s/fifo.btf", dir);
		CHECK(!mkfifo(fifo, 0600));
		alarm(10);
		CHECK_ERR(btfhub_read_file(fifo, &data, &size, err, sizeof(err)), -EINVAL,
			  err, "fifo.btf: not a regular file");
		alarm(0);
		CHECK(!unlink(fifo) && !rmdir(dir));
	}
	/* no message buffer at all is fine */
	CHECK(btfhub_read_file(fx("empty.btf"), &data, &size, NULL, 0) == -ENOEXEC);
	/* a short message buffer truncates, never overflows */
	CHECK(btfhub_read_file(fx("dotdot.btf.tar.xz"), &data, &size, err, 8) == -EPERM);
	CHECK(strlen(err) == 7);

	/* every prefix of a good tarball, and bit flips: an error or the same
	 * BTF, never a crash (the sanitizer lane checks the "never") */
	buf = slurp(fx("good.btf.tar.xz"), &n);
	for (cut = 0; buf && cut < n; cut++) {
		CHECK(btfhub_read_mem(buf, cut, "cut", &data, &size, err, sizeof(err)) < 0);
		CHECK(data == NULL);
	}
	free(buf);
	buf = slurp(fx("good.tar"), &n);
	for (cut = 0; buf && cut < 2048; cut += 3) {
		int ret = btfhub_read_mem(buf, cut, "cut", &data, &size, err, sizeof(err));

		CHECK(ret < 0);
	}
	srand(7);
	for (i = 0; buf && i < 3000; i++) {
		unsigned char *p = buf;
		size_t at = (size_t)rand() % 2048;
		unsigned char bit = (unsigned char)(1u << (rand() % 8));
		int ret;

		p[at] ^= bit;
		ret = btfhub_read_mem(buf, n, "flip", &data, &size, err, sizeof(err));
		CHECK(ret < 0 || (size == refsize && data));
		free(data);
		p[at] ^= bit;
	}
	free(buf);
	free(ref);
}

static const struct real_kernel {
	const char *rel;
	size_t btf_size;
	long tgid, real_parent;	/* byte offsets, -1: not checked */
} real_kernels[] = {
	{ "amzn/2/x86_64/4.14.262-200.489.amzn2.x86_64.btf.tar.xz", 3116518, 2228, 2240 },
	{ "bclinux/21.10U3/x86_64/4.19.90-2107.6.0.0248.35.oe1.bclinux.x86_64.btf.tar.xz",
	  3712467, -1, -1 },
	{ "centos/8/arm64/4.18.0-147.5.1.el8_1.aarch64.btf.tar.xz", 27031815, 1860, 1872 },
	{ "ubuntu/18.04/x86_64/4.15.0-1054-aws.btf.tar.xz", 3835203, 2220, 2232 },
	{ "ubuntu/20.04/x86_64/5.4.0-1029-aws.btf.tar.xz", 4395872, -1, -1 },
};

static int test_read(void)
{
	char err[512];
	size_t i;

	read_fixtures();
	if (!archive) {
		printf("NOTE: no BPFPORT_BTFHUB_ARCHIVE: the real btfhub tarballs were not read\n");
		return 0;
	}
	for (i = 0; i < sizeof(real_kernels) / sizeof(*real_kernels); i++) {
		const struct real_kernel *r = &real_kernels[i];
		void *data = NULL;
		size_t size = 0;
		int ret = btfhub_read_file(arc(r->rel), &data, &size, err, sizeof(err));

		if (ret)
			fprintf(stderr, "%s: %s\n", r->rel, err);
		CHECK(ret == 0 && size == r->btf_size);
		if (!ret) {
			struct btf *btf = btf__new(data, size);
			long tgid = btf ? field_off(btf, "task_struct", "tgid") : -2;
			long rp = btf ? field_off(btf, "task_struct", "real_parent") : -2;

			CHECK(tgid > 0 && rp > tgid);
			CHECK(r->tgid < 0 || (tgid == r->tgid && rp == r->real_parent));
			CHECK(btf && field_off(btf, "tcp_sock", "bytes_acked") > 0);
			btf__free(btf);
		}
		free(data);
	}
	return 0;
}

/* ------------------------------------------------------------ validate */

/* A BTF assembled in memory as pahole lays it out: header, types, strings. */
struct bb {
	unsigned char types[1024];
	uint32_t tlen;
	char strs[256];
	uint32_t slen;
	uint32_t nr;
	uint32_t at[32];	/* at[id]: where type id starts in types */
};

static void bb_u32(struct bb *b, uint32_t v)
{
	memcpy(b->types + b->tlen, &v, sizeof(v));
	b->tlen += sizeof(v);
}

static uint32_t bb_str(struct bb *b, const char *str)
{
	uint32_t off = b->slen;

	memcpy(b->strs + off, str, strlen(str) + 1);
	b->slen += strlen(str) + 1;
	return off;
}

/* Starts type nr + 1 (struct btf_type); the caller appends what follows. */
static void bb_type(struct bb *b, const char *name, unsigned int kind,
		    unsigned int vlen, uint32_t size_or_type)
{
	b->at[++b->nr] = b->tlen;
	bb_u32(b, name ? bb_str(b, name) : 0);
	bb_u32(b, kind << 24 | vlen);
	bb_u32(b, size_or_type);
}

/* Every kind, each that can refer to another type doing so; 19 types. */
static void bb_base(struct bb *b)
{
	memset(b, 0, sizeof(*b));
	b->slen = 1;					/* "" */
	bb_type(b, "int", BTF_KIND_INT, 0, 4);		/* [1] */
	bb_u32(b, BTF_INT_SIGNED << 24 | 32);
	bb_type(b, "task_struct", BTF_KIND_STRUCT, 2, 16);	/* [2] */
	bb_u32(b, bb_str(b, "tgid"));
	bb_u32(b, 1);
	bb_u32(b, 0);
	bb_u32(b, bb_str(b, "real_parent"));
	bb_u32(b, 3);
	bb_u32(b, 64);
	bb_type(b, NULL, BTF_KIND_PTR, 0, 2);		/* [3] back to [2]: fine */
	bb_type(b, "pid_t", BTF_KIND_TYPEDEF, 0, 1);	/* [4] */
	bb_type(b, NULL, BTF_KIND_CONST, 0, 4);		/* [5] */
	bb_type(b, NULL, BTF_KIND_VOLATILE, 0, 5);	/* [6] */
	bb_type(b, NULL, BTF_KIND_RESTRICT, 0, 3);	/* [7] */
	bb_type(b, "user", BTF_KIND_TYPE_TAG, 0, 1);	/* [8] */
	bb_type(b, NULL, BTF_KIND_ARRAY, 0, 0);		/* [9] int[16] */
	bb_u32(b, 1);
	bb_u32(b, 1);
	bb_u32(b, 16);
	bb_type(b, NULL, BTF_KIND_FUNC_PROTO, 3, 1);	/* [10] int (int a, ptr b, ...) */
	bb_u32(b, bb_str(b, "a"));
	bb_u32(b, 1);
	bb_u32(b, bb_str(b, "b"));
	bb_u32(b, 3);
	bb_u32(b, 0);
	bb_u32(b, 0);
	bb_type(b, "f", BTF_KIND_FUNC, 0, 10);		/* [11] */
	bb_type(b, "v", BTF_KIND_VAR, 0, 1);		/* [12] */
	bb_u32(b, BTF_VAR_GLOBAL_ALLOCATED);
	bb_type(b, ".data", BTF_KIND_DATASEC, 1, 4);	/* [13] */
	bb_u32(b, 12);
	bb_u32(b, 0);
	bb_u32(b, 4);
	bb_type(b, "tag", BTF_KIND_DECL_TAG, 0, 2);	/* [14] */
	bb_u32(b, (uint32_t)-1);
	bb_type(b, "e", BTF_KIND_ENUM, 1, 4);		/* [15] */
	bb_u32(b, bb_str(b, "E0"));
	bb_u32(b, 0);
	bb_type(b, "e64", BTF_KIND_ENUM64, 1, 8);	/* [16] */
	bb_u32(b, bb_str(b, "E1"));
	bb_u32(b, 1);
	bb_u32(b, 0);
	bb_type(b, "fw", BTF_KIND_FWD, 0, 0);		/* [17] */
	bb_type(b, "float", BTF_KIND_FLOAT, 0, 4);	/* [18] */
	bb_type(b, "u", BTF_KIND_UNION, 1, 4);		/* [19] */
	bb_u32(b, bb_str(b, "x"));
	bb_u32(b, 6);
	bb_u32(b, 0);
}

#define BB_HDR	((uint32_t)sizeof(struct btf_header))

/* The raw BTF; returns its size. */
static size_t bb_blob(const struct bb *b, unsigned char *out)
{
	struct btf_header h = {
		.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = BB_HDR,
		.type_len = b->tlen, .str_off = b->tlen, .str_len = b->slen,
	};

	memcpy(out, &h, sizeof(h));
	memcpy(out + BB_HDR, b->types, b->tlen);
	memcpy(out + BB_HDR + b->tlen, b->strs, b->slen);
	return BB_HDR + b->tlen + b->slen;
}

/* The crafted BTFs: the base with one u32 changed, at byte @at of type
 * @id (id 0: @at is one of the header's fields, or, past it, a byte of
 * the string section counted from its end), and what the one-line error
 * must say. */
enum { BB_STR_FIRST = 1000, BB_STR_LAST };
static const struct crafted {
	const char *name;
	uint32_t id, at, value;
	const char *msg;
} crafted[] = {
	/* type ids, one per kind of reference; 20 is one past the last */
	{ "ptr", 3, 8, 20, "type 3 (ptr) refers to type 20, beyond the 19 types" },
	{ "typedef", 4, 8, 20, "type 4 (typedef) refers to type 20, beyond the 19 types" },
	{ "const", 5, 8, 20, "type 5 (const) refers to type 20" },
	{ "volatile", 6, 8, 20, "type 6 (volatile) refers to type 20" },
	{ "restrict", 7, 8, 20, "type 7 (restrict) refers to type 20" },
	{ "type-tag", 8, 8, 20, "type 8 (type_tag) refers to type 20" },
	{ "array-elem", 9, 12, 20, "the element type of type 9 (array) refers to type 20" },
	{ "array-index", 9, 16, 20, "the index type of type 9 (array) refers to type 20" },
	{ "member", 2, 28, 9999, "member 1 of type 2 (struct) refers to type 9999, "
				  "beyond the 19 types" },
	{ "member-max", 2, 16, UINT32_MAX, "member 0 of type 2 (struct) refers to type "
					   "4294967295" },
	{ "union-member", 19, 16, 20, "member 0 of type 19 (union) refers to type 20" },
	{ "func-proto-return", 10, 8, 20, "type 10 (func_proto) refers to type 20" },
	{ "func-proto-param", 10, 24, 20, "parameter 1 of type 10 (func_proto) refers to "
					  "type 20" },
	{ "func", 11, 8, 20, "type 11 (func) refers to type 20" },
	{ "var", 12, 8, 20, "type 12 (var) refers to type 20" },
	{ "datasec-var", 13, 12, 20, "variable 0 of type 13 (datasec) refers to type 20" },
	{ "decl-tag", 14, 8, 20, "type 14 (decl_tag) refers to type 20" },
	/* string offsets; the section is 88 bytes */
	{ "type-name", 2, 0, 88, "type 2: name offset 88 is beyond the 88-byte string "
				 "section" },
	{ "member-name", 2, 24, 1000, "member 1 of type 2: name offset 1000 is beyond" },
	{ "enum-name", 15, 12, 88, "enumerator 0 of type 15: name offset 88" },
	{ "enum64-name", 16, 12, 88, "enumerator 0 of type 16: name offset 88" },
	{ "param-name", 10, 20, 88, "parameter 1 of type 10: name offset 88" },
	/* types containing themselves */
	{ "typedef-loop", 4, 8, 4, "type 4 (typedef) contains itself (through type 4)" },
	{ "const-loop", 5, 8, 6, "type 5 (const) contains itself (through type 6)" },
	{ "struct-loop", 2, 16, 2, "type 2 (struct) contains itself (through type 2)" },
	{ "array-loop", 9, 12, 9, "type 9 (array) contains itself (through type 9)" },
	/* lengths and kinds */
	{ "unknown-kind", 18, 4, 20u << 24, "type 18 has unknown kind 20" },
	{ "kind-0", 17, 4, 0, "type 17 has unknown kind 0" },
	{ "vlen", 19, 4, BTF_KIND_UNION << 24 | 3, "type 19 (union with 3 entries) needs "
						   "48 bytes, 24 are left" },
	/* the header and the string section */
	{ "types-cut", 0, offsetof(struct btf_header, type_len), 0, "type 19 is cut off: "
								   "8 bytes left" },
	{ "overlap", 0, offsetof(struct btf_header, str_off), 0, "the type section "
								"(0+344 bytes) overlaps" },
	{ "type-off", 0, offsetof(struct btf_header, type_off), 1, "the type section "
								  "starts at 1" },
	{ "hdr-len", 0, offsetof(struct btf_header, hdr_len), 1, "the header is 25 bytes "
								"long, not a multiple of 4" },
	{ "str-first", 0, BB_STR_FIRST, 'x', "the string section (88 bytes) does not "
					     "start and end with a NUL byte" },
	{ "str-last", 0, BB_STR_LAST, 'x', "does not start and end with a NUL byte" },
};

/* crafted[i] into @out (room for 2048 bytes); returns its size. */
static size_t crafted_blob(size_t i, unsigned char *out)
{
	const struct crafted *c = &crafted[i];
	struct bb b;
	size_t n;

	bb_base(&b);
	n = bb_blob(&b, out);
	if (c->id) {
		memcpy(out + BB_HDR + b.at[c->id] + c->at, &c->value, 4);
	} else if (c->at == BB_STR_FIRST || c->at == BB_STR_LAST) {
		out[c->at == BB_STR_FIRST ? BB_HDR + b.tlen : n - 1] = (unsigned char)c->value;
	} else if (c->at == offsetof(struct btf_header, type_len)) {
		uint32_t v = b.tlen - 16;	/* 8 bytes of the last type */

		memcpy(out + c->at, &v, 4);
	} else if (c->at == offsetof(struct btf_header, hdr_len)) {
		uint32_t v = BB_HDR + c->value;	/* zero bytes more of header */

		memmove(out + v, out + BB_HDR, n - BB_HDR);
		memset(out + BB_HDR, 0, c->value);
		memcpy(out + c->at, &v, 4);
		n += c->value;
	} else if (c->at == offsetof(struct btf_header, str_off)) {
		uint32_t v = b.tlen - 4;	/* into the types */

		memcpy(out + c->at, &v, 4);
	} else {
		uint32_t len = b.tlen - c->value;	/* the same end */

		memcpy(out + c->at, &c->value, 4);
		memcpy(out + offsetof(struct btf_header, type_len), &len, 4);
	}
	return n;
}

static void validate_crafted(void)
{
	unsigned char blob[2048];
	void *data = NULL;
	char err[512], name[64];
	struct btf *btf;
	struct bb b;
	size_t n, i, size;

	/* the base is valid, for libbpf too, with its edge cases (a pointer
	 * back to its struct, the last type id, a variadic parameter) */
	bb_base(&b);
	CHECK(b.nr == 19 && b.slen == 88 && b.tlen == 344);
	n = bb_blob(&b, blob);
	CHECK(btfhub_btf_validate(blob, n, "base", err, sizeof(err)) == 0);
	btf = btf__new(blob, n);
	CHECK(btf && btf__type_cnt(btf) == 20);
	btf__free(btf);
	CHECK(btfhub_read_mem(blob, n, "base", &data, &size, err, sizeof(err)) == 0 &&
	      size == n);
	free(data);

	for (i = 0; i < sizeof(crafted) / sizeof(*crafted); i++) {
		const struct crafted *c = &crafted[i];

		n = crafted_blob(i, blob);
		snprintf(name, sizeof(name), "crafted-%s.btf", c->name);
		err[0] = '\0';
		CHECK_ERR(btfhub_btf_validate(blob, n, name, err, sizeof(err)), -EBADMSG,
			  err, c->msg);
		CHECK_HAS(err, name);
		CHECK_HAS(err, ": invalid BTF: ");
		/* the reader refuses it the same way, raw or in a tarball */
		CHECK_ERR(btfhub_read_mem(blob, n, name, &data, &size, err, sizeof(err)),
			  -EBADMSG, err, c->msg);
		CHECK(data == NULL && size == 0);
		/* which of these libbpf 1.1 would have taken (and maybe
		 * crashed on later): for the record */
		btf = btf__new(blob, n);
		printf("%-18s libbpf btf__new: %s\n", c->name, btf ? "accepts" : "refuses");
		btf__free(btf);
	}
	/* no message buffer is fine too */
	n = crafted_blob(0, blob);
	CHECK(btfhub_btf_validate(blob, n, NULL, NULL, 0) == -EBADMSG);
	CHECK(btfhub_btf_validate(NULL, 0, NULL, NULL, 0) == -ENOEXEC);
}

/* Every crafted BTF written to @dir as <name>.btf, and crafted.tsv:
 * "<name>\t<message>" a line, for the CLI tests (btfhub_test.py). */
static int write_crafted(const char *dir)
{
	unsigned char blob[2048];
	char path[4096];
	FILE *f, *tsv;
	size_t i, n;

	snprintf(path, sizeof(path), "%s/crafted.tsv", dir);
	tsv = fopen(path, "we");
	if (!tsv)
		return 1;
	for (i = 0; i < sizeof(crafted) / sizeof(*crafted); i++) {
		n = crafted_blob(i, blob);
		snprintf(path, sizeof(path), "%s/%s.btf", dir, crafted[i].name);
		f = fopen(path, "we");
		if (!f || fwrite(blob, 1, n, f) != n || fclose(f))
			return 1;
		fprintf(tsv, "%s\t%s\n", crafted[i].name, crafted[i].msg);
	}
	return fclose(tsv) ? 1 : 0;
}

static int test_validate(void)
{
	validate_crafted();
	return 0;
}

/* -------------------------------------------------------------- lookup */

static struct btfhub_key mkkey(const char *id, const char *ver, const char *arch,
			       const char *rel)
{
	struct btfhub_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "%s", id);
	snprintf(k.version_id, sizeof(k.version_id), "%s", ver);
	snprintf(k.arch, sizeof(k.arch), "%s", arch);
	snprintf(k.release, sizeof(k.release), "%s", rel);
	return k;
}

/* From a path "<id>/<ver>/<arch>/<release>.btf". */
static struct btfhub_key key_of(const char *path)
{
	char id[64], ver[64], ar[32], rel[256];

	if (sscanf(path, "%63[^/]/%63[^/]/%31[^/]/%255s", id, ver, ar, rel) != 4)
		return mkkey("", "", "", "");
	rel[strlen(rel) - 4] = '\0';	/* .btf */
	return mkkey(id, ver, ar, rel);
}

static void lookup_rules(void)
{
	static const char *const list[] = {
		"ubuntu/18.04/x86_64/5.4.0-1.btf",
		"ubuntu/20.04/x86_64/5.4.0-1.btf.tar.xz",
		"ubuntu/20.04/x86_64/5.4.0-1.btf",	/* same key as above: once */
		"centos/7/x86_64/3.10.0-1.el7.btf",
		"ol/7/x86_64/3.10.0-1.el7.btf",
		"rhel/7/x86_64/3.10.0-1.el7.btf",
		"/abs/prefix/fedora/31/arm64/5.3.7-1.fc31.aarch64.btf",
		"bad/path.btf", "x/y/z/noext", "", "a//b/c.btf",
	};
	const size_t n = sizeof(list) / sizeof(*list);
	const char *many[8];
	char buf[8][64], err[1024];
	struct btfhub_key k;
	size_t m = 99, i;

	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1");
	CHECK(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)) == 0 && m == 1);
	k = mkkey("ubuntu", "22.04", "x86_64", "5.4.0-1");
	CHECK_ERR(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "under 2 IDs/versions, none ubuntu/22.04: ubuntu/18.04/x86_64/5.4.0-1.btf, "
		  "ubuntu/20.04/x86_64/5.4.0-1.btf.tar.xz;");
	/* rule 3: RHEL says VERSION_ID="7.9", btfhub says 7 */
	k = mkkey("rhel", "7.9", "x86_64", "3.10.0-1.el7");
	CHECK(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)) == 0 && m == 5);
	k = mkkey("almalinux", "8.5", "x86_64", "3.10.0-1.el7");
	CHECK_ERR(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "under 3 IDs/versions");
	/* rule 2 and the last four components of a longer path */
	k = mkkey("debian", "12", arch_btfhub("aarch64"), "5.3.7-1.fc31.aarch64");
	CHECK(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)) == 0 && m == 6);
	k = mkkey("fedora", "31", "aarch64", "5.3.7-1.fc31.aarch64");
	CHECK_ERR(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)), -ENOENT, err,
		  "neither fedora/31/aarch64/5.3.7-1.fc31.aarch64.btf[.tar.xz]");
	CHECK_ERR(btfhub_lookup_paths(NULL, 0, &k, &m, err, sizeof(err)), -ENOENT, err,
		  "no BTF for fedora 31 aarch64 kernel 5.3.7-1.fc31.aarch64");
	k = mkkey("ubuntu", "20.04", "x86_64", "");
	CHECK(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)) == -EINVAL);
	/* more than five candidates */
	for (i = 0; i < 8; i++) {
		snprintf(buf[i], sizeof(buf[i]), "sles/15.%zu/x86_64/5.3.18-1.btf", i);
		many[i] = buf[i];
	}
	k = mkkey("sles", "16", "x86_64", "5.3.18-1");
	CHECK_ERR(btfhub_lookup_paths(many, 8, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "sles/15.4/x86_64/5.3.18-1.btf and 3 more;");
	CHECK_ERR(btfhub_lookup_paths(many, 8, &k, &m, err, 40), -ENOTUNIQ, err, "");
	CHECK(strlen(err) == 39);
}

static void lookup_key(void)
{
	struct btfhub_key k;
	struct utsname u;
	char err[512];

	CHECK(uname(&u) == 0);
	CHECK(btfhub_key_from_system(fx("os-release-ubuntu"), &k, err, sizeof(err)) == 0);
	CHECK_STR(k.id, "ubuntu");
	CHECK_STR(k.version_id, "20.04");
	CHECK_STR(k.arch, arch_btfhub(u.machine));
	CHECK_STR(k.release, u.release);
	CHECK(btfhub_key_from_system(fx("os-release-rhel"), &k, err, sizeof(err)) == 0);
	CHECK_STR(k.id, "rhel");
	CHECK_STR(k.version_id, "8.2");
	/* no ID=: the wrong file, not a distribution (util/osrelease.h) */
	CHECK_ERR(btfhub_key_from_system(fx("os-release-noid"), &k, err, sizeof(err)),
		  -ENOENT, err, "has no ID= line");
	CHECK_ERR(btfhub_key_from_system(fx("os-release-long"), &k, err, sizeof(err)),
		  -ENAMETOOLONG, err, "longer than 63 bytes");
	CHECK_ERR(btfhub_key_from_system(fx("no-such-os-release"), &k, err, sizeof(err)),
		  -ENOENT, err, "name the host's os-release file");
	/* this host: /etc/os-release or /usr/lib/os-release */
	if (!access("/etc/os-release", R_OK) || !access("/usr/lib/os-release", R_OK)) {
		CHECK(btfhub_key_from_system(NULL, &k, err, sizeof(err)) == 0);
		CHECK(k.id[0] != '\0');
	}
}

static void mkfile(const char *root, const char *rel)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

static void mkdirs(const char *root, const char *rel)
{
	char path[4096], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void mklink(const char *root, const char *rel, const char *target)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	CHECK(symlink(target, path) == 0);
}

/* A directory with symlinks in, out and in circles. */
static void lookup_tree(void)
{
	char top[] = "/tmp/test_btfhub.XXXXXX", root[4096], path[4096], err[1024], cmd[4200];
	struct btfhub_key k;
	time_t t0;

	if (!mkdtemp(top)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(root, sizeof(root), "%s/archive", top);
	mkdirs(root, "ubuntu/20.04/x86_64");
	mkdirs(root, "rhel/8/x86_64");
	mkdirs(top, "outside/1/x86_64");
	mkdirs(root, "loop/1");
	mkfile(root, "ubuntu/20.04/x86_64/5.4.0-1.btf.tar.xz");
	mkfile(root, "rhel/8/x86_64/4.18.0-193.el8.x86_64.btf.tar.xz");
	mkfile(top, "outside/1/x86_64/6.6.6-out.btf");
	mklink(root, "rhel/8.2", "8");				/* in the tree: followed */
	mklink(root, "evil", "../outside");			/* out: never followed */
	mklink(root, "ubuntu/20.04/x86_64/6.6.6-out.btf",
	       "../../../../outside/1/x86_64/6.6.6-out.btf");	/* out, a file */
	mklink(root, "loop/1/x86_64", "..");			/* loops */
	mklink(root, "loop/2", "../loop");
	mklink(root, "self", ".");

	t0 = time(NULL);
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1");
	CHECK(btfhub_lookup_dir(root, &k, path, sizeof(path), err, sizeof(err)) == 0);
	CHECK(strstr(path, "/archive/ubuntu/20.04/x86_64/5.4.0-1.btf.tar.xz") != NULL);
	k = mkkey("rhel", "8.2", "x86_64", "4.18.0-193.el8.x86_64");
	CHECK(btfhub_lookup_dir(root, &k, path, sizeof(path), err, sizeof(err)) == 0);
	CHECK(strstr(path, "/archive/rhel/8.2/x86_64/") != NULL);
	k = mkkey("evil", "1", "x86_64", "6.6.6-out");
	CHECK_ERR(btfhub_lookup_dir(root, &k, path, sizeof(path), err, sizeof(err)),
		  -ENOENT, err, "evil/1/x86_64/6.6.6-out.btf");
	k = mkkey("loop", "1", "x86_64", "nothing");
	CHECK(btfhub_lookup_dir(root, &k, path, sizeof(path), err, sizeof(err)) == -ENOENT);
	CHECK(time(NULL) - t0 < 10);
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1");
	CHECK_ERR(btfhub_lookup_dir(root, &k, path, 10, err, sizeof(err)), -ENAMETOOLONG,
		  err, "too long");
	CHECK_ERR(btfhub_lookup_dir("/nonexistent/btfhub", &k, path, sizeof(path), err,
				    sizeof(err)), -ENOENT, err, "/nonexistent/btfhub");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	CHECK(system(cmd) == 0);
}

/* KERNELS.txt: 3,973 real btfhub paths. */
static void lookup_kernels(void)
{
	char *text, *line, *save = NULL, err[2048], path[4096];
	struct btfhub_key *keys;
	const char **paths = NULL;
	size_t n = 0, len, i, j, m, uniq = 0, ambig = 0, other = 0, tried = 0;
	struct btfhub_key k;
	int ret;

	text = slurp(arc("KERNELS.txt"), &len);
	CHECK(text != NULL);
	if (!text)
		return;
	text[len] = '\0';
	paths = calloc(len / 8 + 1, sizeof(*paths));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			paths[n++] = line;
	CHECK(n == 3973);

	keys = calloc(n, sizeof(*keys));
	for (i = 0; i < n; i++)
		keys[i] = key_of(paths[i]);
	/* every path is found by its own key, exactly */
	for (i = 0; i < n; i++) {
		k = keys[i];
		ret = btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err));
		if (ret || m != i) {
			fprintf(stderr, "exact %s: %d %s\n", paths[i], ret, ret ? err : paths[m]);
			failures++;
		}
	}
	/* a distro not in the archive: the release-only rule, once per
	 * (arch, release): unique ones resolve, shared ones are ambiguous */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(keys[i].release, keys[j].release) &&
			    !strcmp(keys[i].arch, keys[j].arch))
				break;
		if (j < i)
			continue;
		tried++;
		k = mkkey("nosuchos", "1", keys[i].arch, keys[i].release);
		ret = btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err));
		if (ret == 0 && m == i)
			uniq++;
		else if (ret == -ENOTUNIQ && strstr(err, paths[i]))
			ambig++;
		else
			other++;
	}
	printf("KERNELS.txt: %zu paths, %zu (arch, release) pairs: %zu unique, "
	       "%zu under several IDs/versions\n", n, tried, uniq, ambig);
	CHECK(tried == 3377 && uniq == 2838 && ambig == 539 && other == 0);

	/* Ubuntu HWE kernels: one release under 16.04 and 18.04 */
	k = mkkey("ubuntu", "22.04", "x86_64", "4.15.0-101-generic");
	CHECK_ERR(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "ubuntu/16.04/x86_64/4.15.0-101-generic.btf, "
		  "ubuntu/18.04/x86_64/4.15.0-101-generic.btf;");
	k = mkkey("ubuntu", "18.04", "x86_64", "4.15.0-101-generic");
	CHECK(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)) == 0);
	CHECK_STR(paths[m], "ubuntu/18.04/x86_64/4.15.0-101-generic.btf");
	/* RHEL 7.9 on a kernel CentOS, OL and RHEL 7 all have */
	k = mkkey("rhel", "7.9", "x86_64", "3.10.0-1160.el7.x86_64");
	ret = btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err));
	CHECK(ret == 0 && !strcmp(paths[m], "rhel/7/x86_64/3.10.0-1160.el7.x86_64.btf"));
	k = mkkey("rocky", "8.6", "x86_64", "3.10.0-1160.el7.x86_64");
	CHECK_ERR(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "centos/7/x86_64/3.10.0-1160.el7.x86_64.btf, ol/7/");
	/* arm64: uname says aarch64, btfhub says arm64 */
	k = mkkey("amzn", "2", arch_btfhub("aarch64"), "4.14.101-91.76.amzn2.aarch64");
	CHECK(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)) == 0);
	CHECK_STR(paths[m], "amzn/2/arm64/4.14.101-91.76.amzn2.aarch64.btf");
	k = mkkey("amzn", "2", "aarch64", "4.14.101-91.76.amzn2.aarch64");
	CHECK_ERR(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)), -ENOENT, err,
		  "amzn/2/aarch64/4.14.101-91.76.amzn2.aarch64.btf");
	/* the same release name on the other arch does not count */
	k = mkkey("ubuntu", "20.04", "arm64", "5.4.0-1018-gcp");
	CHECK(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)) == -ENOENT);
	/* unknown kernel */
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-9999-unknown");
	CHECK_ERR(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)), -ENOENT, err,
		  "neither ubuntu/20.04/x86_64/5.4.0-9999-unknown.btf[.tar.xz] nor");

	/* the sample directory itself */
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1029-aws");
	CHECK(btfhub_lookup_dir(archive, &k, path, sizeof(path), err, sizeof(err)) == 0);
	CHECK_STR(path, arc("ubuntu/20.04/x86_64/5.4.0-1029-aws.btf.tar.xz"));
	k = mkkey("rhel", "8.1", arch_btfhub("aarch64"), "4.18.0-147.5.1.el8_1.aarch64");
	CHECK(btfhub_lookup_dir(archive, &k, path, sizeof(path), err, sizeof(err)) == 0);
	CHECK_STR(path, arc("centos/8/arm64/4.18.0-147.5.1.el8_1.aarch64.btf.tar.xz"));
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-9999-unknown");
	CHECK(btfhub_lookup_dir(archive, &k, path, sizeof(path), err, sizeof(err)) == -ENOENT);
	free(keys);
	free(paths);
	free(text);
}

static int test_lookup(void)
{
	lookup_rules();
	lookup_key();
	lookup_tree();
	if (!archive) {
		printf("NOTE: no BPFPORT_BTFHUB_ARCHIVE: the KERNELS.txt lookups were not run\n");
		return 0;
	}
	lookup_kernels();
	return 0;
}

/* ------------------------------------------------------------ embedded */

/* A lookup in the embedded archive and what it must give: the entry's key
 * and its task_struct.real_parent, or an error and words of its message. */
struct emb_lookup {
	const char *id, *ver, *arch, *release;
	int ret;
	const char *want;	/* the key found, or words of the error */
	long real_parent;
};

/* The fixtures' archive (tests/CMakeLists.txt): the rules of
 * btfhub_lookup_paths() over four entries. */
static const struct emb_lookup fixture_lookups[] = {
	{ "fixture", "1", "x86_64", "5.4.0-alt", 0, "fixture/1/x86_64/5.4.0-alt.btf", 1000 },
	/* rule 2: the release under one id/version only */
	{ "rhel", "8.1", "x86_64", "5.4.0-missing", 0, "fixture/2/x86_64/5.4.0-missing.btf",
	  1000 },
	{ "rhel", "8.1", "arm64", "5.4.0-arm64", 0, "fixture/2/arm64/5.4.0-arm64.btf", 1000 },
	/* one release under two versions: ambiguous, also under our id */
	{ "rhel", "8.1", "x86_64", "5.4.0-alt", -ENOTUNIQ, "under 2 IDs/versions, none "
	  "rhel/8.1: fixture/1/x86_64/5.4.0-alt.btf, fixture/2/x86_64/5.4.0-alt.btf;", 0 },
	{ "fixture", "3", "x86_64", "5.4.0-alt", -ENOTUNIQ, "under 2 IDs/versions", 0 },
	{ "fixture", "2", "arm64", "5.4.0-alt", -ENOENT, "neither fixture/2/arm64/5.4.0-alt.btf", 0 },
};

/* The product's archive, made from ../shared/btfhub-archive. */
static const struct emb_lookup archive_lookups[] = {
	{ "ubuntu", "20.04", "x86_64", "5.4.0-1029-aws", 0,
	  "ubuntu/20.04/x86_64/5.4.0-1029-aws.btf", 2256 },
	/* rule 2 through the embedded index: a host that calls itself rhel */
	{ "rhel", "8.1", "arm64", "4.18.0-147.5.1.el8_1.aarch64", 0,
	  "centos/8/arm64/4.18.0-147.5.1.el8_1.aarch64.btf", -1 },
	{ "ubuntu", "20.04", "x86_64", "5.4.0-9999-unknown", -ENOENT, "5.4.0-9999-unknown", 0 },
};

/* The full BTF an entry was minimized from: @key (a .btf), or its
 * .btf.tar.xz, under @src; NULL when absent. */
static struct btf *full_btf(const char *src, const char *key)
{
	char path[4096], err[512];
	struct btf *btf = NULL;
	void *full = NULL;
	size_t size;

	snprintf(path, sizeof(path), "%s/%s", src, key);
	if (access(path, R_OK))
		snprintf(path, sizeof(path), "%s/%s.tar.xz", src, key);
	if (!btfhub_read_file(path, &full, &size, err, sizeof(err)))
		btf = btf__new(full, size);
	free(full);
	return btf;
}

/* Every entry: sorted, decompressed, valid, and minimizing kept the
 * layout of the full BTF in @src (BPFPORT_EMBEDDED_SOURCE). */
static void embedded_entries(const char *src, int want_count)
{
	static const char *const fields[][2] = {
		{ "task_struct", "tgid" }, { "task_struct", "real_parent" },
		{ "tcp_sock", "bytes_acked" },
	};
	const char *key, *prev = "";
	char err[1024];
	void *data = NULL;
	size_t size, esize, f;
	int count, i, ret;

	count = btfhub_embedded_count();
	printf("embedded: %d kernels, from %s\n", count, src ? src : "(unknown)");
	CHECK(count == want_count || (want_count < 0 && count > 0));
	CHECK(src != NULL);
	for (i = 0; i < count; i++) {
		struct btf *min, *big;

		CHECK(btfhub_embedded_entry(i, &key, &esize) == 0);
		CHECK(strcmp(prev, key) < 0);	/* sorted, unique */
		prev = key;
		ret = btfhub_embedded_get(i, &data, &size, err, sizeof(err));
		if (ret)
			fprintf(stderr, "%s: %s\n", key, err);
		CHECK(ret == 0 && size == esize);
		/* every entry passed the build-time check */
		CHECK(!ret && field_offset(data, size, "task_struct", "real_parent") > 0);
		min = ret ? NULL : btf__new(data, size);
		big = src ? full_btf(src, key) : NULL;
		CHECK(min && big);
		for (f = 0; min && big && f < sizeof(fields) / sizeof(*fields); f++)
			CHECK(field_off(min, fields[f][0], fields[f][1]) ==
			      field_off(big, fields[f][0], fields[f][1]));
		btf__free(min);
		btf__free(big);
		free(data);
	}
	CHECK(btfhub_embedded_entry(count, &key, &esize) == -ERANGE);
	CHECK_ERR(btfhub_embedded_get(count, &data, &size, err, sizeof(err)), -ERANGE, err,
		  "only");
}

static void embedded_lookups(const struct emb_lookup *l, size_t n)
{
	char err[1024], keyout[512];
	struct btfhub_key k;
	void *data;
	size_t size, i;
	int ret;

	for (i = 0; i < n; i++, l++) {
		k = mkkey(l->id, l->ver, l->arch, l->release);
		data = (void *)1;
		err[0] = '\0';
		ret = btfhub_embedded_find(&k, &data, &size, keyout, sizeof(keyout), err,
					   sizeof(err));
		if (l->ret) {
			CHECK_ERR(ret, l->ret, err, l->want);
			CHECK(data == NULL && keyout[0] == '\0');
			continue;
		}
		if (ret)
			fprintf(stderr, "embedded %s/%s/%s/%s: %s\n", l->id, l->ver, l->arch,
				l->release, err);
		CHECK(ret == 0);
		CHECK_STR(keyout, l->want);
		CHECK(!ret && (l->real_parent < 0 ||
			       field_offset(data, size, "task_struct", "real_parent") ==
			       l->real_parent));
		free(ret ? NULL : data);
	}
}

/* The fixtures' archive, which test_btfhub embeds. */
static int test_embedded(void)
{
	embedded_entries(getenv("BPFPORT_EMBEDDED_SOURCE"), 4);
	embedded_lookups(fixture_lookups, sizeof(fixture_lookups) / sizeof(*fixture_lookups));
	return 0;
}

/* The product's, which test_btfhub_archive embeds. */
static int test_embedded_archive(void)
{
	embedded_entries(getenv("BPFPORT_EMBEDDED_SOURCE"), -1);
	embedded_lookups(archive_lookups, sizeof(archive_lookups) / sizeof(*archive_lookups));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} groups[] = {
		{ "read", test_read }, { "validate", test_validate },
		{ "lookup", test_lookup }, { "embedded", test_embedded },
		{ "embedded-archive", test_embedded_archive },
	};
	static char fxdir[4096];
	const char *env = getenv("BPFPORT_FIXTURES");
	struct stat st;
	size_t i;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "write-crafted"))
		return write_crafted(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: test_btfhub read|validate|lookup|embedded|"
			"embedded-archive, or write-crafted DIR\n");
		return 2;
	}
	snprintf(fxdir, sizeof(fxdir), "%s/btfhub", env ? env : "tests/fixtures");
	fixtures = fxdir;
	archive = getenv("BPFPORT_BTFHUB_ARCHIVE");
	if (archive && (stat(archive, &st) || !S_ISDIR(st.st_mode)))
		archive = NULL;
	for (i = 0; i < sizeof(groups) / sizeof(*groups); i++) {
		if (strcmp(argv[1], groups[i].name))
			continue;
		ret = groups[i].fn();
		if (failures) {
			printf("FAIL: %d check(s) failed\n", failures);
			return 1;
		}
		return ret;
	}
	fprintf(stderr, "unknown group %s\n", argv[1]);
	return 2;
}
