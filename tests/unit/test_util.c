// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the shared helpers in loader/util: test_util GROUP (the
 * sanitizer lane runs it under ASan/UBSan). No privilege, no network.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzma.h>

#include "util/arch.h"
#include "util/bytes.h"
#include "util/esc.h"
#include "util/fsio.h"
#include "util/hash.h"
#include "util/jsonparse.h"
#include "util/msg.h"
#include "util/osrelease.h"
#include "util/tar.h"
#include "util/xz.h"
#include "check.h"
#include "tarb.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[] = "/tmp/bpfport-test-util-XXXXXX";

static const char *tmp(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int i;
	char *p = bufs[i++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

static void put_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(fsio_write_all(fd, data, len) == 0);
	CHECK(close(fd) == 0);
}

/* ---- bytes ---- */

static void test_bytes(void)
{
	uint8_t b[9] = { 0 };

	le32_put(b + 1, 0x04030201);	/* unaligned */
	CHECK(b[0] == 0 && b[1] == 1 && b[2] == 2 && b[3] == 3 && b[4] == 4 && b[5] == 0);
	CHECK(le32_get(b + 1) == 0x04030201);
	le64_put(b + 1, 0x0807060504030201ULL);
	for (int i = 1; i < 9; i++)
		CHECK(b[i] == i);
	CHECK(le64_get(b + 1) == 0x0807060504030201ULL);
	le64_put(b, UINT64_MAX);
	CHECK(le64_get(b) == UINT64_MAX && le32_get(b + 4) == UINT32_MAX);
}

/* ---- fsio ---- */

static void test_fsio(void)
{
	char small[8], *big = malloc(300000);
	struct stat st;
	void *data;
	size_t n, i;
	int fds[2], fd, dfd;

	for (i = 0; i < 300000; i++)
		big[i] = (char)('a' + i % 26);
	/* whole writes and reads through a file */
	put_file(tmp("big"), big, 300000);
	CHECK(!fsio_read_file(tmp("big"), 300000, &data, &n));
	CHECK(n == 300000 && data && !memcmp(data, big, n) && ((char *)data)[n] == '\0');
	free(data);
	CHECK(fsio_read_file(tmp("big"), 299999, &data, &n) == -EFBIG && !data && !n);
	CHECK(fsio_read_file(tmp("absent"), 10, &data, &n) == -ENOENT && !data);
	CHECK(fsio_read_file(tmpdir, 10, &data, &n) == -EISDIR);
	CHECK(fsio_read_file("/dev/null", 10, &data, &n) == -EINVAL);
	/* procfs says 0 bytes: read to the end anyway */
	CHECK(!fsio_read_file("/proc/self/stat", 1 << 16, &data, &n));
	CHECK(n > 10 && strlen(data) == n);
	free(data);
	put_file(tmp("empty"), "", 0);
	CHECK(!fsio_read_file(tmp("empty"), 0, &data, &n) && n == 0 && data);
	free(data);

	CHECK(fsio_read_small(tmp("big"), small, sizeof(small)) == 7);
	CHECK_STR(small, "abcdefg");
	CHECK(fsio_read_small(tmp("empty"), small, sizeof(small)) == 0 && !small[0]);
	CHECK(fsio_read_small(tmp("absent"), small, sizeof(small)) == -ENOENT);
	CHECK(fsio_read_small(tmp("big"), small, 0) == -EINVAL);

	/* exact reads: the end of the file is -ENODATA */
	fd = open(tmp("big"), O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && !fsio_read_full(fd, small, 4) && !memcmp(small, "abcd", 4));
	CHECK(lseek(fd, 299998, SEEK_SET) == 299998);
	CHECK(fsio_read_full(fd, small, 4) == -ENODATA);
	close(fd);
	fd = open(tmp("big"), O_RDONLY | O_CLOEXEC);
	CHECK(fsio_read_upto(fd, small, 4) == 4);
	CHECK(lseek(fd, 299998, SEEK_SET) == 299998);
	CHECK(fsio_read_upto(fd, small, 4) == 2 && fsio_read_upto(fd, small, 4) == 0);
	close(fd);
	CHECK(fsio_read_upto(-1, small, 1) == -EBADF);
	CHECK(fsio_read_full(-1, small, 1) == -EBADF);
	CHECK(fsio_is_file(tmp("big")) && !fsio_is_file(tmpdir) && !fsio_is_file(tmp("absent")));
	CHECK(fsio_is_dir(tmpdir) && !fsio_is_dir(tmp("big")) && !fsio_is_dir(tmp("absent")));
	CHECK(!symlink(tmp("big"), tmp("link")) && fsio_is_file(tmp("link")));	/* followed */
	CHECK(fsio_write_all(-1, small, 1) == -EBADF);

	/* file inputs: a FIFO (a device, a socket) is refused at once, never
	 * waited on; the alarm fails the test instead of hanging it */
	CHECK(!mkfifo(tmp("fifo"), 0600));
	alarm(10);
	CHECK(fsio_open_input(AT_FDCWD, tmp("fifo"), 0, SIZE_MAX, NULL) == -EINVAL);
	CHECK(fsio_read_file(tmp("fifo"), 10, &data, &n) == -EINVAL && !data);
	CHECK(fsio_read_small(tmp("fifo"), small, sizeof(small)) == -EINVAL);
	alarm(0);
	CHECK_HAS(fsio_strerror(-EINVAL), "not a regular file");
	CHECK_STR(fsio_strerror(-ENOENT), strerror(ENOENT));
	/* a regular file: its stat, close-on-exec, blocking reads; the cap */
	fd = fsio_open_input(AT_FDCWD, tmp("big"), 0, 300000, &st);
	CHECK(fd >= 0 && st.st_size == 300000 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) &&
	      !(fcntl(fd, F_GETFL) & O_NONBLOCK));
	close(fd);
	CHECK(fsio_open_input(AT_FDCWD, tmp("big"), 0, 299999, NULL) == -EFBIG);
	CHECK(fsio_open_input(AT_FDCWD, tmpdir, 0, SIZE_MAX, NULL) == -EISDIR);
	CHECK(fsio_open_input(AT_FDCWD, "/dev/null", 0, SIZE_MAX, NULL) == -EINVAL);
	CHECK(fsio_open_input(AT_FDCWD, tmp("absent"), 0, SIZE_MAX, NULL) == -ENOENT);
	/* relative to a directory; a symlink refused only with FSIO_NOFOLLOW */
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = fsio_open_input(dfd, "link", 0, SIZE_MAX, NULL);
	CHECK(fd >= 0);
	close(fd);
	CHECK(fsio_open_input(dfd, "link", FSIO_NOFOLLOW, SIZE_MAX, NULL) == -ELOOP);
	fd = fsio_open_input(dfd, "big", FSIO_NOFOLLOW, SIZE_MAX, NULL);
	CHECK(fd >= 0);
	close(fd);
	close(dfd);

	/* a pipe cuts writes short: all of it arrives, in order */
	CHECK(!pipe(fds));
	if (!fork()) {
		close(fds[0]);
		_exit(fsio_write_all(fds[1], big, 300000) ? 1 : 0);
	}
	close(fds[1]);
	data = malloc(300000);
	CHECK(!fsio_read_full(fds[0], data, 300000) && !memcmp(data, big, 300000));
	CHECK(fsio_read_full(fds[0], data, 1) == -ENODATA);
	close(fds[0]);
	free(data);
	free(big);

	/* the sysroot: no trailing slash, "" for the host */
	unsetenv(FSIO_SYSROOT_ENV);
	CHECK_STR(fsio_sysroot(), "");
	setenv(FSIO_SYSROOT_ENV, "/", 1);
	CHECK_STR(fsio_sysroot(), "");
	setenv(FSIO_SYSROOT_ENV, "///", 1);
	CHECK_STR(fsio_sysroot(), "");
	setenv(FSIO_SYSROOT_ENV, "/host//", 1);
	CHECK_STR(fsio_sysroot(), "/host");
	setenv(FSIO_SYSROOT_ENV, "", 1);
	CHECK_STR(fsio_sysroot(), "");
	unsetenv(FSIO_SYSROOT_ENV);
}

/* ---- hash ---- */

static void check_sha(const char *data, size_t len, const char *want)
{
	uint8_t d[32];
	char hexd[65];
	int i;

	sha256(data, len, d);
	for (i = 0; i < 32; i++)
		sprintf(hexd + 2 * i, "%02x", d[i]);
	CHECK_STR(hexd, want);
	hash_hex(d, sizeof(d), hexd);
	CHECK_STR(hexd, want);
}

static void test_hash(void)
{
	struct sha256_ctx c;
	uint8_t a[32], b[32];
	char *mil = malloc(1000000);
	size_t off = 0, step = 1;
	static const struct { size_t n; const char *hex; } pads[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
	};

	check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(mil, 'a', 1000000);
	check_sha(mil, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* in odd pieces: the same */
	sha256(mil, 100000, a);
	sha256_init(&c);
	while (off < 100000) {
		size_t k = off + step > 100000 ? 100000 - off : step;

		sha256_update(&c, mil + off, k);
		off += k;
		step = step * 3 % 197 + 1;
	}
	sha256_final(&c, b);
	CHECK(!memcmp(a, b, 32));
	/* every padding case: the length field in this block or the next */
	for (size_t i = 0; i < ARRAY_SIZE(pads); i++)
		check_sha(mil, pads[i].n, pads[i].hex);
	free(mil);
	{
		static const uint8_t d[] = { 0x00, 0x0f, 0xa5, 0xff };
		char out[9];

		hash_hex(d, sizeof(d), out);
		CHECK_STR(out, "000fa5ff");
		hash_hex(d, 0, out);
		CHECK_STR(out, "");
	}
}

/* ---- esc ---- */

static void test_esc(void)
{
	char out[256];
	/* 0xC3 0x28: invalid 2-byte sequence; 0xED 0xA0 0x80: a surrogate;
	 * 0xC0 0xAF: overlong "/"; 0xC2 0x9B: U+009B, CSI on a terminal */
	static const char hostile[] = "a\"b\\c\nd\te\x01\x1b[31m\x7f"
				      "\xc3\x28" "\xed\xa0\x80" "\xc0\xaf" "\xff" "\xc2\x9b";
	static const char body[] = "\\\\c\\nd\\te\\u0001\\u001b[31m\\u007f"
				   "\\ufffd(" "\\ufffd\\ufffd\\ufffd" "\\ufffd\\ufffd"
				   "\\ufffd" "\\u009b";
	char want[256];
	size_t n;

	/* the same escapes for each output; only the double quote differs */
	n = esc_str(out, sizeof(out), hostile, sizeof(hostile), ESC_JSON);
	snprintf(want, sizeof(want), "a\\\"b%s", body);
	CHECK_STR(out, want);
	CHECK(n == strlen(out));
	esc_str(out, sizeof(out), hostile, sizeof(hostile), ESC_TEXT);
	snprintf(want, sizeof(want), "a\"b%s", body);
	CHECK_STR(out, want);
	esc_str(out, sizeof(out), hostile, sizeof(hostile), ESC_CSV);
	snprintf(want, sizeof(want), "a\"\"b%s", body);
	CHECK_STR(out, want);

	/* valid UTF-8 passes through: é, €, 😀; U+00A0 is no control */
	esc_str(out, sizeof(out), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc2\xa0", 11, ESC_TEXT);
	CHECK_STR(out, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc2\xa0");

	/* truncated multibyte at the end of the buffer is not read past */
	esc_str(out, sizeof(out), "ab\xe2\x82", 4, ESC_JSON);
	CHECK_STR(out, "ab\\ufffd\\ufffd");

	/* stops at NUL within len; reports the needed size when short, and
	 * never writes part of an escape */
	esc_str(out, sizeof(out), "abc\0def", 7, ESC_JSON);
	CHECK_STR(out, "abc");
	n = esc_str(out, 4, "abcdef", 6, ESC_JSON);
	CHECK(n == 6);
	CHECK_STR(out, "abc");
	memset(out, 'x', sizeof(out));
	n = esc_str(out, 6, "ab\x1b" "cd", 5, ESC_TEXT);
	CHECK(n == 10);
	CHECK_STR(out, "ab");
	CHECK(esc_str(NULL, 0, "\n", 1, ESC_TEXT) == 2);
}

/* ---- msg ---- */

static void test_msg(void)
{
	char err[16];
	size_t at = 0;

	CHECK(msg_set(err, sizeof(err), -EINVAL, "bad %s", "thing") == -EINVAL);
	CHECK_STR(err, "bad thing");
	CHECK(msg_set(NULL, 0, -ENOENT, "x") == -ENOENT);
	CHECK(msg_set(err, 8, 0, "%s", "a longer message") == 0);
	CHECK_STR(err, "a longe");	/* cut, terminated */
	msg_add(err, sizeof(err), &at, "one");
	msg_add(err, sizeof(err), &at, ", %d", 2);
	CHECK_STR(err, "one, 2");
	CHECK(at == 6);
	msg_add(err, sizeof(err), &at, ", and more than fits");
	CHECK(strlen(err) == sizeof(err) - 1 && at >= sizeof(err));
	msg_add(err, sizeof(err), &at, "x");	/* full: nothing */
	CHECK(strlen(err) == sizeof(err) - 1);
	at = 0;
	msg_add(NULL, 0, &at, "x");
	CHECK(at == 0);
}

/* ---- jsonparse ---- */

/* Parses @text (NUL-terminated) and expects @want_err ("" when it must
 * parse) in the message; returns the tree, or NULL. */
static struct json_value *parse(const char *text, const char *want_err)
{
	struct json_value *v = NULL;
	char err[256] = "";
	int ret = json_parse(text, strlen(text), &v, err, sizeof(err));

	if (!*want_err) {
		if (ret)
			fprintf(stderr, "json_parse(%s): %s\n", text, err);
		CHECK(ret == 0 && v);
	} else {
		CHECK_ERR(ret, -EINVAL, err, want_err);
		CHECK(!v);
	}
	return v;
}

static void test_jsonparse(void)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "", "line 1, column 1: expected a value, found the end" },
		{ "  \n ", "line 2, column 2: expected a value, found the end" },
		{ "{\"a\": 1,\n \"b\" 2}", "line 2, column 6: expected ':'" },
		{ "{\"a\": 1 \"b\": 2}", "expected ',' or '}'" },
		{ "[1, 2", "expected ',' or ']'" },
		{ "[1,]", "expected a value" },
		{ "{,}", "expected a member name" },
		{ "{1: 2}", "expected a member name" },
		{ "{\"a\": 1} {}", "line 1, column 10: text after the value" },
		{ "\"abc", "string not closed" },
		{ "\"a\\", "string not closed" },
		{ "\"a\nb\"", "control character in a string" },
		{ "\"a\x1b[31mb\"", "control character in a string" },
		{ "\"\\x\"", "unknown escape" },
		{ "\"\\u12\"", "four hex digits" },
		{ "\"\\u0000\"", "\\u0000 in a string" },
		{ "\"\\ud800\"", "high surrogate not followed" },
		{ "\"\\ud800\\u0041\"", "high surrogate not followed" },
		{ "\"\\udc00\"", "lone low surrogate" },
		{ "01", "text after the value" },
		{ "-", "bad number" },
		{ "1.", "a digit must follow '.'" },
		{ "1e", "a digit must follow the exponent" },
		{ "+1", "expected a value" },
		{ "tru", "expected a value" },
		{ "nul", "expected a value" },
		{ "NaN", "expected a value" },
	};
	static const char hostile_name[] = "{\"n\": \"a\\nb\\u001b[2J\\\"\\\\\"}";
	char deep[2 * JSON_MAX_DEPTH + 8], err[64];
	const struct json_value *m;
	struct json_value *v;
	size_t i;

	v = parse(" {\"s\": \"x\\u00e9\\u20ac\\ud83d\\ude00\\/\\t\", \"n\": -12.5e1, \"z\": 0,"
		  " \"t\": true, \"f\": false, \"0\": null, \"a\": [1, [], {}],"
		  " \"s\": \"second\"} \n", "");
	if (v) {
		CHECK(v->type == JSON_OBJECT && v->len == 8);
		CHECK_STR(json_str(json_get(v, "s")), "x\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\t");
		CHECK(json_get(v, "s")->len == 12);	/* the first of two "s" */
		CHECK(json_get(v, "n")->type == JSON_NUMBER && json_get(v, "n")->number == -125.0);
		CHECK(json_get(v, "z")->number == 0);
		CHECK(json_get(v, "t")->boolean && json_get(v, "t")->type == JSON_BOOL);
		CHECK(!json_get(v, "f")->boolean && json_get(v, "f")->type == JSON_BOOL);
		CHECK(json_get(v, "0")->type == JSON_NULL);
		m = json_get(v, "a");
		CHECK(m->type == JSON_ARRAY && m->len == 3 && m->items[0].number == 1 &&
		      m->items[1].type == JSON_ARRAY && m->items[1].len == 0 &&
		      m->items[2].type == JSON_OBJECT && m->items[2].len == 0);
		CHECK(!json_get(v, "missing") && !json_get(m, "s") && !json_get(NULL, "s"));
		CHECK(!json_str(json_get(v, "n")) && !json_str(NULL));
		CHECK_STR(json_type_name(m->type), "array");
		json_free(v);
	}
	/* escaped control characters decode to themselves: a printer must
	 * escape them again */
	v = parse(hostile_name, "");
	if (v) {
		CHECK_STR(json_str(json_get(v, "n")), "a\nb\x1b[2J\"\\");
		json_free(v);
	}
	/* bytes that are not UTF-8 are taken as they are */
	v = parse("\"\xff\xfe\"", "");
	if (v) {
		CHECK(v->len == 2 && (unsigned char)v->string[0] == 0xff);
		json_free(v);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		parse(bad[i].text, bad[i].err);
	/* a NUL byte is not JSON text, and the length is the caller's */
	CHECK(json_parse("1\0", 2, &v, err, sizeof(err)) == -EINVAL && !v);
	CHECK(json_parse("[1, 2] trailing", 6, &v, err, sizeof(err)) == 0 && v && v->len == 2);
	json_free(v);
	/* depth: JSON_MAX_DEPTH arrays parse, one more does not */
	memset(deep, '[', JSON_MAX_DEPTH);
	memset(deep + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	deep[2 * JSON_MAX_DEPTH] = '\0';
	json_free(parse(deep, ""));
	memset(deep, '[', JSON_MAX_DEPTH + 1);
	memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	deep[2 * JSON_MAX_DEPTH + 2] = '\0';
	parse(deep, "nested too deep");
	/* errors deep inside free what was built (ASan: no leak) */
	parse("{\"a\": [{\"b\": [1, {\"c\": \"d\"}, \"e\", tru]}]}", "expected a value");
	parse("[{\"a\": 1}, {\"b\": [\"x\"], \"c\": }]", "expected a value");
	json_free(NULL);
}

/* ---- osrelease ---- */

static void test_osrelease(void)
{
	struct os_release o;
	char text[2048], err[1024], *big;
	size_t i;

	/* blanks, comments, quotes, escapes, CRLF, the last line wins */
	CHECK(!os_release_parse("# c\n  ID=fedora \r\nVERSION_ID=\"3\\\"9\"  trailing\n"
				"ID_LIKE='rhel \\ centos'\nNAME=\"no end\nVERSION_ID=40\n"
				"ID =wrong\nBAD LINE\n=x\n", &o));
	CHECK_STR(o.id, "fedora");
	CHECK_STR(o.version_id, "40");
	CHECK_STR(o.id_like, "rhel \\ centos");
	CHECK_STR(o.name, "no end");
	CHECK(!os_release_parse("ID=x", &o) && !strcmp(o.id, "x") && !o.version_id[0]);
	/* ID is required, empty counts as absent */
	CHECK(os_release_parse("", &o) == -ENOENT);
	CHECK(os_release_parse("ID=\nNAME=n\n", &o) == -ENOENT);
	CHECK_STR(o.name, "n");	/* the rest is still there */
	CHECK(os_release_parse("ID=\"\"\n", &o) == -ENOENT);
	/* no line limit: a value past byte 511 of its line is read whole */
	memset(text, 0, sizeof(text));
	strcpy(text, "PRETTY_NAME=\"");
	memset(text + strlen(text), 'p', 600);
	strcat(text, "\"\nID=");
	memset(text + strlen(text), 'i', 63);
	strcat(text, "\n");
	CHECK(!os_release_parse(text, &o));
	CHECK(strlen(o.id) == 63);
	CHECK(strlen(o.pretty_name) == sizeof(o.pretty_name) - 1);	/* cut: it only describes */
	/* identifiers are never cut */
	strcat(text, "VERSION_ID=");
	memset(text + strlen(text), '1', 64);
	CHECK(os_release_parse(text, &o) == -ENAMETOOLONG);
	CHECK(!o.version_id[0] && strlen(o.id) == 63);
	CHECK(os_release_parse("ID=a\nVERSION_ID=1111111111111111111111111111111111111111111111111111111111111111\nVERSION_ID=2\n", &o) == 0);
	CHECK_STR(o.version_id, "2");

	/* files: messages name the file and the cause */
	put_file(tmp("osr-ok"), "ID=debian\nVERSION_ID=12\n", 24);
	CHECK(!os_release_read(tmp("osr-ok"), &o, err, sizeof(err)));
	CHECK_STR(o.id, "debian");
	put_file(tmp("osr-noid"), "NAME=x\n", 7);
	CHECK_ERR(os_release_read(tmp("osr-noid"), &o, err, sizeof(err)), -ENOENT, err,
		  "osr-noid has no ID= line: not an os-release file");
	CHECK_ERR(os_release_read(tmp("osr-absent"), &o, err, sizeof(err)), -ENOENT, err,
		  "osr-absent: No such file or directory");
	CHECK(!o.id[0]);
	CHECK_ERR(os_release_read(tmpdir, &o, err, sizeof(err)), -EISDIR, err, "Is a directory");
	CHECK(!mkfifo(tmp("osr-fifo"), 0600));
	alarm(10);	/* refused at once, never waited on */
	CHECK_ERR(os_release_read(tmp("osr-fifo"), &o, err, sizeof(err)), -EINVAL, err,
		  "osr-fifo: not a regular file");
	alarm(0);
	big = malloc(OS_RELEASE_MAX + 1);
	memset(big, '#', OS_RELEASE_MAX + 1);
	memcpy(big, "ID=x\n", 5);
	put_file(tmp("osr-big"), big, OS_RELEASE_MAX + 1);
	CHECK_ERR(os_release_read(tmp("osr-big"), &o, err, sizeof(err)), -EFBIG, err,
		  "larger than 64 KiB");
	put_file(tmp("osr-big"), big, OS_RELEASE_MAX);
	CHECK(!os_release_read(tmp("osr-big"), &o, err, sizeof(err)));
	free(big);
	CHECK(os_release_read(tmp("osr-noid"), &o, NULL, 0) == -ENOENT);

	/* below a root: /etc, else /usr/lib */
	CHECK(!mkdir(tmp("root"), 0755) && !mkdir(tmp("root/etc"), 0755) &&
	      !mkdir(tmp("root/usr"), 0755) && !mkdir(tmp("root/usr/lib"), 0755));
	CHECK_ERR(os_release_read_root(tmp("root"), &o, err, sizeof(err)), -ENOENT, err,
		  "no usable os-release: os-release ");
	CHECK_HAS(err, "root/etc/os-release: No such file or directory; os-release ");
	CHECK_HAS(err, "root/usr/lib/os-release: No such file or directory");
	put_file(tmp("root/usr/lib/os-release"), "ID=usr\n", 7);
	CHECK(!os_release_read_root(tmp("root"), &o, err, sizeof(err)));
	CHECK_STR(o.id, "usr");
	put_file(tmp("root/etc/os-release"), "NAME=no id\n", 11);	/* unusable */
	CHECK(!os_release_read_root(tmp("root"), &o, err, sizeof(err)));
	CHECK_STR(o.id, "usr");
	put_file(tmp("root/etc/os-release"), "ID=etc\n", 7);
	CHECK(!os_release_read_root(tmp("root"), &o, err, sizeof(err)));
	CHECK_STR(o.id, "etc");
	/* the host's, below $BPFPORT_SYSROOT (a container with the host at /host) */
	setenv("BPFPORT_SYSROOT", tmp("root"), 1);
	CHECK(!os_release_read(NULL, &o, err, sizeof(err)));
	CHECK_STR(o.id, "etc");
	unsetenv("BPFPORT_SYSROOT");
	/* this host */
	if (!access("/etc/os-release", R_OK) || !access("/usr/lib/os-release", R_OK)) {
		CHECK(!os_release_read(NULL, &o, err, sizeof(err)));
		CHECK(o.id[0]);
	}
	for (i = 0; i < sizeof(o.id); i++)	/* always terminated */
		if (!o.id[i])
			break;
	CHECK(i < sizeof(o.id));
}

/* ---- xz ---- */

/* @n bytes of @in, xz-compressed (malloc'ed) */
static uint8_t *xz_of(const void *in, size_t n, size_t *out_len)
{
	size_t cap = n + n / 2 + 65536;
	uint8_t *out = malloc(cap);

	*out_len = 0;
	if (!out || lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, in, n, out,
					     out_len, cap) != LZMA_OK) {
		fprintf(stderr, "xz encode failed\n");
		failures++;
	}
	return out;
}

static void test_xz(void)
{
	size_t n = 200000, zlen, zlen2, got, i;
	uint8_t *plain = malloc(n), *z, *z2, *both, buf[64];
	char err[256];
	struct xz *x;
	void *out;
	int fds[2], fd;

	for (i = 0; i < n; i++)
		plain[i] = (uint8_t)(i * 7 + i / 1000);
	z = xz_of(plain, n, &zlen);
	/* from memory: exact reads, skips, short reads at the end */
	x = xz_from_mem(z, zlen, 64u << 20);
	CHECK(x && !xz_read(x, buf, 10, NULL, err, sizeof(err)) && !memcmp(buf, plain, 10));
	CHECK(!xz_read(x, NULL, n - 20, NULL, err, sizeof(err)));	/* skipped */
	CHECK(!xz_read(x, buf, 64, &got, err, sizeof(err)) && got == 10);
	CHECK(!memcmp(buf, plain + n - 10, 10));
	CHECK(!xz_read(x, buf, 1, &got, err, sizeof(err)) && got == 0);
	CHECK(xz_read(x, buf, 1, NULL, err, sizeof(err)) == -ENODATA);
	xz_free(x);
	xz_free(NULL);

	/* whole buffers, the output limit exact and one byte short */
	CHECK(!xz_decode_mem(z, zlen, 64u << 20, n, &out, &got, err, sizeof(err)));
	CHECK(got == n && !memcmp(out, plain, n));
	free(out);
	CHECK_ERR(xz_decode_mem(z, zlen, 64u << 20, n - 1, &out, &got, err, sizeof(err)),
		  -EFBIG, err, "decompresses to more than the 0 MiB limit");
	CHECK(!out && !got);
	/* concatenated streams are one */
	z2 = xz_of("tail", 4, &zlen2);
	both = malloc(zlen + zlen2);
	memcpy(both, z, zlen);
	memcpy(both + zlen, z2, zlen2);
	CHECK(!xz_decode_mem(both, zlen + zlen2, 64u << 20, 1 << 20, &out, &got, err, sizeof(err)));
	CHECK(got == n + 4 && !memcmp((char *)out + n, "tail", 4));
	free(out);

	/* each failure says what it is */
	CHECK_ERR(xz_decode_mem("not xz at all", 13, 64u << 20, 1 << 20, &out, &got, err,
				sizeof(err)), -EBADMSG, err, "not an xz file");
	CHECK_ERR(xz_decode_mem(z, zlen / 2, 64u << 20, 1 << 20, &out, &got, err, sizeof(err)),
		  -EBADMSG, err, "xz data truncated");
	CHECK_ERR(xz_decode_mem(z, 0, 64u << 20, 1 << 20, &out, &got, err, sizeof(err)),
		  -EBADMSG, err, "xz data truncated (0 bytes)");
	memcpy(both, z, zlen);
	both[zlen / 2] ^= 0x55;
	CHECK_ERR(xz_decode_mem(both, zlen, 64u << 20, 1 << 20, &out, &got, err, sizeof(err)),
		  -EBADMSG, err, "corrupt xz data");
	CHECK_ERR(xz_decode_mem(z, zlen, 4096, 1 << 20, &out, &got, err, sizeof(err)),
		  -EFBIG, err, "MiB to decompress, over the 0 MiB limit");

	/* from a pipe, written in small pieces */
	CHECK(!pipe(fds));
	if (!fork()) {
		close(fds[0]);
		for (i = 0; i < zlen; i += 1000)
			if (fsio_write_all(fds[1], z + i, zlen - i < 1000 ? zlen - i : 1000))
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	x = xz_from_fd(fds[0], 64u << 20);
	out = malloc(n);
	CHECK(x && !xz_read(x, out, n, NULL, err, sizeof(err)) && !memcmp(out, plain, n));
	CHECK(!xz_read(x, buf, 1, &got, err, sizeof(err)) && !got);
	xz_free(x);
	close(fds[0]);
	free(out);
	/* a file cut short, and a read error */
	put_file(tmp("cut.xz"), z, zlen / 2);
	fd = open(tmp("cut.xz"), O_RDONLY | O_CLOEXEC);
	x = xz_from_fd(fd, 64u << 20);
	out = malloc(n);
	CHECK_ERR(xz_read(x, out, n, NULL, err, sizeof(err)), -EBADMSG, err, "xz data truncated");
	xz_free(x);
	close(fd);
	x = xz_from_fd(-1, 64u << 20);
	CHECK_ERR(xz_read(x, out, 1, NULL, err, sizeof(err)), -EBADF, err, "read: ");
	xz_free(x);
	free(out);
	free(both);
	free(z2);
	free(z);
	free(plain);
}

/* ---- tar ---- */

struct seen {
	char log[4096];		/* "TYPE name[->link] size;" per entry */
	int fail_at;		/* entry number whose callback fails, or -1 */
	int count;
	size_t read_some;	/* bytes of each file to read with tar_read_data */
	const unsigned char *base;	/* tar_walk_mem: check offsets against it */
};

static int record(struct tar *t, const struct tar_entry *e, void *ctx, char *err,
		  size_t errlen)
{
	struct seen *s = ctx;
	size_t l = strlen(s->log);
	char data[64] = "";

	if (s->count++ == s->fail_at) {
		snprintf(err, errlen, "stop at %s", e->name);
		return -ECANCELED;
	}
	if (e->type == TAR_FILE && s->read_some) {
		size_t k = e->size < s->read_some ? e->size : s->read_some;

		CHECK(!tar_read_data(t, data, k, err, errlen));
		data[k] = '\0';
		if (s->base)
			CHECK(!memcmp(s->base + e->offset, data, k));
		CHECK(tar_read_data(t, data, e->size - k + 1, err, errlen) == -EINVAL);
	}
	snprintf(s->log + l, sizeof(s->log) - l, "%c %s%s%s %llu%s%s;", (char)e->type,
		 e->name, e->link[0] ? "->" : "", e->link, (unsigned long long)e->size,
		 data[0] ? " " : "", data);
	return 0;
}

static int walk(struct tarb *t, const struct tar_limits *lim, struct seen *s,
		char *err, size_t errlen)
{
	s->log[0] = '\0';
	s->count = 0;
	s->base = t->buf;
	return tar_walk_mem(t->buf, t->len, lim, record, s, err, errlen);
}

/* one entry of a given raw name and type, after a good one */
static int walk_one(const char *name, char type, const char *link, char *err,
		    size_t errlen)
{
	struct seen s = { .fail_at = -1 };
	struct tarb t = { 0 };
	int ret;

	tb_add(&t, "ok.h", '0', NULL, "x");
	tb_add(&t, name, type, link, type == '0' ? "data" : NULL);
	tb_end(&t);
	ret = walk(&t, NULL, &s, err, errlen);
	free(t.buf);
	return ret;
}

static int xz_tar_src(void *x, void *buf, size_t n, char *err, size_t errlen)
{
	return xz_read(x, buf, n, NULL, err, errlen);
}

static void test_tar(void)
{
	struct tar_limits lim = { 0 };
	struct seen s = { .fail_at = -1, .read_some = 5 };
	struct tarb t = { 0 };
	char err[512], out[64], longname[300], longlink[300];
	size_t zlen, i;
	uint8_t *z;
	struct xz *x;

	/* every kind of entry and name */
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "./dir/", 6);
	longname[250] = '\0';
	memset(longlink, 'l', sizeof(longlink));
	longlink[200] = '\0';
	tb_add(&t, "./", '5', NULL, NULL);
	tb_add(&t, "./dir/", '5', NULL, NULL);
	tb_add(&t, ".//dir/./a.h", '0', NULL, "hello world");
	tb_add(&t, "dir/contig.h", '7', NULL, "c");
	tb_add(&t, "dir/old.h", '\0', NULL, "o");
	tb_add(&t, longname, '0', NULL, "long");
	tb_add(&t, "dir/sym", '2', "a.h", NULL);
	tb_add(&t, "dir/hard", '1', "dir/a.h", NULL);
	tb_header(&t, "././@LongLink", 'K', NULL, strlen(longlink) + 1);
	tb_append(&t, longlink, strlen(longlink) + 1);
	tb_pad(&t);
	tb_add(&t, "dir/longsym", '2', "x", NULL);
	tb_pax_path(&t, "dir/pax-named.h");
	tb_add(&t, "dir/short.h", '0', NULL, "pax");
	tb_header(&t, "pax_global_header", 'g', NULL, 0);
	tb_end(&t);
	CHECK(tar_is_tar(t.buf, t.len) && !tar_is_tar(t.buf, 511));
	CHECK(!walk(&t, NULL, &s, err, sizeof(err)));
	CHECK_HAS(s.log, "5  0;5 dir 0;0 dir/a.h 11 hello;0 dir/contig.h 1 c;0 dir/old.h 1 o;");
	CHECK_HAS(s.log, "nnnnnnnnnnnn 4 long;2 dir/sym->a.h 0;1 dir/hard->dir/a.h 0;");
	CHECK_HAS(s.log, "2 dir/longsym->llllllll");
	CHECK_HAS(s.log, "lll 0;0 dir/pax-named.h 3 pax;");
	CHECK(s.count == 10);
	/* the same archive streamed through xz */
	z = xz_of(t.buf, t.len, &zlen);
	x = xz_from_mem(z, zlen, 64u << 20);
	{
		char log[4096];

		memcpy(log, s.log, sizeof(log));
		s.log[0] = '\0';
		s.count = 0;
		s.base = NULL;
		CHECK(!tar_walk(xz_tar_src, x, NULL, record, &s, err, sizeof(err)));
		CHECK_STR(s.log, log);
	}
	xz_free(x);
	free(z);
	/* the callback stops the walk with its error */
	s.fail_at = 3;
	CHECK_ERR(walk(&t, NULL, &s, err, sizeof(err)), -ECANCELED, err, "stop at dir/contig.h");
	s.fail_at = -1;

	/* limits */
	lim.max_entries = 9;
	CHECK_ERR(walk(&t, &lim, &s, err, sizeof(err)), -EFBIG, err, "more than 9 entries");
	lim.max_entries = 0;
	lim.max_entry = 10;
	CHECK_ERR(walk(&t, &lim, &s, err, sizeof(err)), -EFBIG, err,
		  "entry \".//dir/./a.h\" is 11 bytes, over the 0 MiB limit");
	lim.max_entry = 0;
	lim.max_total = 20;
	CHECK_ERR(walk(&t, &lim, &s, err, sizeof(err)), -EFBIG, err, "limit of data");
	lim.max_total = 0;
	lim.max_depth = 1;
	CHECK_ERR(walk(&t, &lim, &s, err, sizeof(err)), -ENAMETOOLONG, err,
		  "entry \".//dir/./a.h\": name too long");
	/* every cut is an error, never a read past the end */
	s.base = t.buf;
	for (i = 0; i < t.len - 1024; i += 97)
		CHECK(tar_walk_mem(t.buf, i, NULL, record, &s, err, sizeof(err)) == -EBADMSG);
	s.read_some = 0;	/* the data of "dir/a.h" starts at 1536 */
	CHECK_ERR(tar_walk_mem(t.buf, 1536 + 5, NULL, record, &s, err, sizeof(err)),
		  -EBADMSG, err, "entry \"dir/a.h\" truncated: the archive ends inside its 11 bytes");
	s.read_some = 5;
	CHECK_ERR(tar_walk_mem(t.buf, t.len - 1024, NULL, record, &s, err, sizeof(err)),
		  -EBADMSG, err, "tar archive truncated at byte");
	free(t.buf);

	/* the safety rules */
	CHECK_ERR(walk_one("/etc/x", '0', NULL, err, sizeof(err)), -EPERM, err,
		  "entry \"/etc/x\" has an absolute path (absolute name or .. refused)");
	CHECK_ERR(walk_one("a/../../x", '0', NULL, err, sizeof(err)), -EPERM, err,
		  "entry \"a/../../x\" has a '..' component");
	CHECK_ERR(walk_one("..", '5', NULL, err, sizeof(err)), -EPERM, err, "'..' component");
	CHECK_ERR(walk_one("", '0', NULL, err, sizeof(err)), -EPERM, err,
		  "tar entry at byte 1024 has an empty name");
	CHECK_ERR(walk_one("dev", '3', NULL, err, sizeof(err)), -EPERM, err,
		  "entry \"dev\" is a device or fifo: refused (unsupported type '3')");
	CHECK_ERR(walk_one("fifo", '6', NULL, err, sizeof(err)), -EPERM, err, "device or fifo");
	CHECK_ERR(walk_one("sparse", 'S', NULL, err, sizeof(err)), -EBADMSG, err,
		  "entry \"sparse\" has unsupported type 'S'");
	CHECK_ERR(walk_one("ctl\n\x1b[0m", '0', "", err, sizeof(err)), 0, "", "");
	CHECK_ERR(walk_one("/ctl\n\x1b", '0', "", err, sizeof(err)), -EPERM, err,
		  "entry \"/ctl??\" has an absolute path");
	/* links are handed over, their targets as stored: the caller judges */
	CHECK_ERR(walk_one("l", '2', "/etc/passwd", err, sizeof(err)), 0, "", "");

	/* damaged headers and extended headers */
	{
		static const struct { size_t off; const char *bytes; size_t n; int ret;
				      const char *msg; } bad[] = {
			{ 148, "1", 1, -EBADMSG, "bad tar header at byte 1024: not a tar archive (bad header checksum or magic)" },
			{ 257, "xstar", 5, -EBADMSG, "not a tar archive" },
			{ 124, "0000000001x", 11, -EBADMSG, "bad size field in the tar header at byte 1024" },
			{ 124, "\x80\0\0\0\0\0\0\0\0\0\0\x02", 12, 0, "" },	/* base-256 size */
		};

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			unsigned int sum = 0;
			size_t k;

			memset(&t, 0, sizeof(t));
			tb_add(&t, "ok.h", '0', NULL, "x");
			tb_add(&t, "b.h", '0', NULL, "x");
			tb_end(&t);
			memcpy(t.buf + 1024 + bad[i].off, bad[i].bytes, bad[i].n);
			if (bad[i].off != 148) {	/* keep the checksum right */
				memset(t.buf + 1024 + 148, ' ', 8);
				for (k = 0; k < 512; k++)
					sum += t.buf[1024 + k];
				snprintf((char *)t.buf + 1024 + 148, 8, "%06o", sum);
			}
			err[0] = '\0';
			CHECK_ERR(walk(&t, NULL, &s, err, sizeof(err)), bad[i].ret, err, bad[i].msg);
			free(t.buf);
		}
	}
	memset(&t, 0, sizeof(t));
	tb_header(&t, "PaxHeaders/x", 'x', NULL, 12);
	tb_append(&t, "99 path=x\n\n\n", 12);
	tb_pad(&t);
	tb_add(&t, "b.h", '0', NULL, "x");
	tb_end(&t);
	CHECK_ERR(walk(&t, NULL, &s, err, sizeof(err)), -EBADMSG, err,
		  "bad pax extended header at byte 0");
	free(t.buf);
	memset(&t, 0, sizeof(t));
	tb_header(&t, "././@LongLink", 'L', NULL, 0);
	tb_add(&t, "b.h", '0', NULL, "x");
	tb_end(&t);
	CHECK_ERR(walk(&t, NULL, &s, err, sizeof(err)), -EBADMSG, err,
		  "bad GNU long name extended header at byte 0");
	free(t.buf);
	/* a pax size is the next entry's: here bigger than the header says */
	memset(&t, 0, sizeof(t));
	tb_header(&t, "PaxHeaders/x", 'x', NULL, 12);
	tb_append(&t, "12 size=11\n", 11);
	tb_append(&t, "", 1);	/* NUL padding inside the record area is an error */
	tb_pad(&t);
	tb_end(&t);
	CHECK(walk(&t, NULL, &s, err, sizeof(err)) == -EBADMSG);
	free(t.buf);
	memset(&t, 0, sizeof(t));
	tb_header(&t, "PaxHeaders/x", 'x', NULL, 11);
	tb_append(&t, "11 size=5\n\n", 11);
	tb_pad(&t);
	CHECK(walk(&t, NULL, &s, err, sizeof(err)) == -EBADMSG);	/* "11 size=5\n\n" is 11 */
	free(t.buf);
	memset(&t, 0, sizeof(t));
	tb_header(&t, "PaxHeaders/x", 'x', NULL, 10);
	tb_append(&t, "10 size=5\n", 10);
	tb_pad(&t);
	tb_header(&t, "five.h", '0', NULL, 2);	/* the pax size wins */
	tb_append(&t, "12345", 5);
	tb_pad(&t);
	tb_end(&t);
	s.read_some = 64;
	CHECK(!walk(&t, NULL, &s, err, sizeof(err)));
	CHECK_STR(s.log, "0 five.h 5 12345;");
	free(t.buf);

	/* clean names */
	CHECK(!tar_clean_name("./a//b/./c/", out, sizeof(out), 0));
	CHECK_STR(out, "a/b/c");
	CHECK(!tar_clean_name("./", out, sizeof(out), 0) && !out[0]);
	CHECK(tar_clean_name("/a", out, sizeof(out), 0) == -EPERM);
	CHECK(tar_clean_name("a/..", out, sizeof(out), 0) == -EPERM);
	CHECK(!tar_clean_name("a/..b/c..", out, sizeof(out), 0));
	CHECK(tar_clean_name("a/b/c", out, sizeof(out), 2) == -ENAMETOOLONG);
	CHECK(!tar_clean_name("a/b/c", out, 6, 3));
	CHECK(tar_clean_name("a/b/c", out, 5, 3) == -ENAMETOOLONG);
	memset(longname, 'x', 257);
	longname[257] = '\0';
	CHECK(tar_clean_name(longname, out, sizeof(out), 0) == -ENAMETOOLONG);

	/* bit flips of a good archive: an error or a walk, never a crash
	 * (the sanitizer lane checks the "never") */
	memset(&t, 0, sizeof(t));
	tb_add(&t, "./", '5', NULL, NULL);
	tb_add(&t, longname + 100, '0', NULL, "data");
	tb_pax_path(&t, "p/q.h");
	tb_add(&t, "x", '0', NULL, "pax");
	tb_add(&t, "s", '2', "q.h", NULL);
	tb_end(&t);
	s.base = t.buf;
	srand(11);
	for (i = 0; i < 20000; i++) {
		size_t at = (size_t)rand() % t.len;
		unsigned char bit = (unsigned char)(1u << (rand() % 8));

		t.buf[at] ^= bit;
		tar_walk_mem(t.buf, t.len, NULL, record, &s, err, sizeof(err));
		CHECK(!strchr(err, '\n'));
		t.buf[at] ^= bit;
	}
	free(t.buf);
}

/* ---- arch ---- */

static void test_arch(void)
{
	static const struct { const char *m, *kernel, *btfhub; } cases[] = {
		{ "x86_64", "x86", "x86_64" }, { "i686", "x86", "i686" },
		{ "amd64", "x86", "amd64" }, { "aarch64", "arm64", "arm64" },
		{ "arm64", "arm64", "arm64" }, { "armv7l", "arm", "armv7l" },
		{ "ppc64le", "powerpc", "ppc64le" }, { "s390x", "s390", "s390x" },
		{ "riscv64", "riscv", "riscv64" }, { "mips64", "mips", "mips64" },
		{ "loongarch64", "loongarch", "loongarch64" },
		{ "sparc64", "sparc", "sparc64" }, { "m68k", "m68k", "m68k" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK_STR(arch_kernel_dir(cases[i].m), cases[i].kernel);
		CHECK_STR(arch_btfhub(cases[i].m), cases[i].btfhub);
	}
	/* NULL: this machine */
	CHECK_STR(arch_kernel_dir(NULL), arch_kernel_dir(arch_machine()));
	CHECK_STR(arch_btfhub(NULL), arch_btfhub(arch_machine()));
#if defined(__x86_64__)
	CHECK_STR(arch_machine(), "x86_64");
	CHECK_STR(arch_kernel_dir(NULL), "x86");
#elif defined(__aarch64__)
	CHECK_STR(arch_btfhub(NULL), "arm64");
#endif
}

int main(int argc, char **argv)
{
	static const struct test_group groups[] = {
		{ "arch", test_arch }, { "bytes", test_bytes }, { "esc", test_esc },
		{ "fsio", test_fsio }, { "hash", test_hash }, { "jsonparse", test_jsonparse },
		{ "msg", test_msg }, { "osrelease", test_osrelease }, { "tar", test_tar },
		{ "xz", test_xz },
	};
	char cmd[PATH_MAX + 16];
	int ret;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	ret = run_groups(groups, ARRAY_SIZE(groups), argc, argv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "warning: %s failed\n", cmd);
	return ret;
}
