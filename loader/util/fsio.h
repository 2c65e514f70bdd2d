/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * File I/O every room needs: whole writes and reads that survive EINTR
 * and short transfers, the bounded file readers, and the sysroot that
 * host paths are taken in. Returns 0 (or a count) or a negative errno;
 * nothing here prints.
 */
#ifndef BPFPORT_UTIL_FSIO_H
#define BPFPORT_UTIL_FSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes all @len bytes of @data to @fd, again after EINTR and short
 * writes (pipes, full disks that free up). 0 or -errno. */
int fsio_write_all(int fd, const void *data, size_t len);

/* Reads @len bytes from @fd into @buf, or up to the end of the file, again
 * after EINTR and short reads. Returns the count (less than @len only at
 * the end) or -errno. */
ssize_t fsio_read_upto(int fd, void *buf, size_t len);

/* Reads exactly @len bytes from @fd into @buf. 0; -ENODATA when the file
 * ends first (what was read is in buf); or -errno. */
int fsio_read_full(int fd, void *buf, size_t len);

/* The start of a small file (a header, a Makefile): at most @len - 1
 * bytes into @buf, NUL-terminated. Returns the byte count or -errno.
 * Async-signal-safe (open, read, close only). */
int fsio_read_small(const char *path, char *buf, size_t len);

/*
 * A whole regular file into *@data (malloc'ed, the caller frees; one NUL
 * byte past *@size so text can be parsed in place). Reads to the end, not
 * to st_size: tracefs and procfs report 0. Errors: -EISDIR, -EINVAL (not
 * a regular file: a device or fifo could be endless), -EFBIG (more than
 * @max bytes), -ENOMEM, or the errno of open/read. *@data is NULL then.
 */
int fsio_read_file(const char *path, size_t max, void **data, size_t *size);

/* Whether @path is (after symlinks) a regular file, a directory. */
bool fsio_is_file(const char *path);
bool fsio_is_dir(const char *path);

/* $BPFPORT_SYSROOT=DIR: the host's files are below DIR, as in a chroot
 * (a container with the host mounted at /host sets it to /host). */
#define FSIO_SYSROOT_ENV	"BPFPORT_SYSROOT"

/* The sysroot without its trailing slashes; "" for the host itself (unset,
 * empty, "/", or too long to use). */
const char *fsio_sysroot(void);

#endif /* BPFPORT_UTIL_FSIO_H */
