// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one copy of the loops around read(2) and write(2): a signal or a
 * pipe may cut any transfer short, so every caller loops the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"

int fsio_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t fsio_read_upto(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int fsio_read_full(int fd, void *buf, size_t len)
{
	ssize_t n = fsio_read_upto(fd, buf, len);

	if (n < 0)
		return (int)n;
	return (size_t)n < len ? -ENODATA : 0;
}

int fsio_open_input(int dirfd, const char *path, unsigned int flags, size_t max,
		    struct stat *st)
{
	struct stat sb;
	int fd, ret;

	if (!st)
		st = &sb;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		    (flags & FSIO_NOFOLLOW ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	if (fstat(fd, st))
		ret = -errno;
	else if (!S_ISREG(st->st_mode))
		ret = S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
	else if ((unsigned long long)st->st_size > max)
		ret = -EFBIG;
	else if (fcntl(fd, F_SETFL, 0))	/* clears O_NONBLOCK */
		ret = -errno;
	else
		return fd;
	close(fd);
	return ret;
}

const char *fsio_strerror(int err)
{
	return err == -EINVAL ? "not a regular file (a FIFO, a device or a socket)"
			      : strerror(-err);
}

int fsio_read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (!len)
		return -EINVAL;
	fd = fsio_open_input(AT_FDCWD, path, 0, SIZE_MAX, NULL);
	if (fd < 0)
		return fd;
	n = fsio_read_upto(fd, buf, len - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return (int)n;
}

int fsio_read_file(const char *path, size_t max, void **data, size_t *size)
{
	size_t cap, len = 0;
	struct stat st;
	char *buf;
	int fd, ret = 0;

	*data = NULL;
	*size = 0;
	fd = fsio_open_input(AT_FDCWD, path, 0, max, &st);
	if (fd < 0)
		return fd;
	/* st_size is a hint: the file may change, or report 0 (procfs) */
	cap = (size_t)st.st_size + 1 < 4096 ? 4096 : (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {	/* one byte past max tells a larger file */
		ssize_t n = fsio_read_upto(fd, buf + len, cap - 1 - len);
		char *nb;

		if (n < 0) {
			ret = (int)n;
			break;
		}
		len += (size_t)n;
		if (len > max) {
			ret = -EFBIG;
			break;
		}
		if (len < cap - 1)
			break;	/* the end of the file */
		cap = cap > max / 2 ? max + 2 : cap * 2;
		nb = realloc(buf, cap);
		if (!nb) {
			ret = -ENOMEM;
			break;
		}
		buf = nb;
	}
	if (ret) {
		free(buf);
		goto out;
	}
	buf[len] = '\0';
	*data = buf;
	*size = len;
out:
	close(fd);
	return ret;
}

bool fsio_is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

bool fsio_is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

const char *fsio_sysroot(void)
{
	static char root[PATH_MAX];
	const char *env = getenv(FSIO_SYSROOT_ENV);
	size_t n;

	if (!env || !*env)
		return "";
	n = strlen(env);
	while (n > 1 && env[n - 1] == '/')
		n--;
	if ((n == 1 && env[0] == '/') || n >= sizeof(root))
		return "";
	memcpy(root, env, n);
	root[n] = '\0';
	return root;
}

int fsio_exe_dir(char *buf, size_t len)
{
	char *slash;
	ssize_t n;

	if (!len)
		return -EINVAL;
	n = readlink("/proc/self/exe", buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	return 0;
}
