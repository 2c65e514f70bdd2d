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

#include "util/fsio.h"
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

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} groups[] = {
		{ "fsio", test_fsio },
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
