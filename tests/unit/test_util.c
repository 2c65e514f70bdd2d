// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the shared helpers in loader/util: test_util GROUP, also built
 * under ASan/UBSan (test_util_asan). No privilege, no network.
 * Env: BPFPORT_FIXTURES (tests/fixtures).
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

#include "util/arch.h"
#include "util/fsio.h"
#include "util/hash.h"
#include "util/osrelease.h"
#include "check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *fixtures;	/* tests/fixtures */
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

/* ---- fsio ---- */

static void test_fsio(void)
{
	char small[8], *big = malloc(300000);
	void *data;
	size_t n, i;
	int fds[2], fd;

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
	CHECK(fsio_read_full(-1, small, 1) == -EBADF);
	CHECK(fsio_write_all(-1, small, 1) == -EBADF);

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
	static const struct {
		const char *name;
		void (*fn)(void);
	} groups[] = {
		{ "arch", test_arch }, { "fsio", test_fsio }, { "hash", test_hash },
		{ "osrelease", test_osrelease },
	};
	size_t i;
	int ran = 0;

	fixtures = getenv("BPFPORT_FIXTURES") ? getenv("BPFPORT_FIXTURES")
					      : "tests/fixtures";
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		if (argc > 1 && strcmp(argv[1], groups[i].name))
			continue;
		groups[i].fn();
		ran++;
	}
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "warning: %s failed\n", cmd);
	}
	if (!ran) {
		fprintf(stderr, "unknown test group '%s'\n", argv[1]);
		return 2;
	}
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
