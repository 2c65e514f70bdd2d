// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one copy of the loops around read(2) and write(2): a signal or a
 * pipe may cut any transfer short, so every caller loops the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

int fsio_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fsio_read_small(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	int fd, ret = 0;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return ret ? ret : (int)got;
}

int fsio_read_file(const char *path, size_t max, void **data, size_t *size)
{
	size_t cap, len = 0;
	struct stat st;
	char *buf;
	int fd, ret = 0;

	*data = NULL;
	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	/* st_size is a hint: the file may change, or report 0 */
	cap = (size_t)st.st_size + 1 < 4096 ? 4096 : (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			size_t ncap = cap > max / 2 ? max + 2 : cap * 2;
			char *nb;

			if (len > max) {
				ret = -EFBIG;
				break;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (!ret && len > max)
		ret = -EFBIG;
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
