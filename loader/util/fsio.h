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
#include <sys/stat.h>
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

/* fsio_open_input() flags */
#define FSIO_NOFOLLOW	1u	/* refuse a symlink as the last component */

/*
 * The one way a file input is opened (BTF, archives, os-release, kernel
 * config and headers, tracefs, cache entries): @path (relative to @dirfd,
 * or AT_FDCWD) read-only, close-on-exec, never as a controlling terminal,
 * and O_NONBLOCK, so that a FIFO cannot block the open waiting for a
 * writer. Then only a regular file of at most @max bytes (st_size; SIZE_MAX:
 * any) is kept, with O_NONBLOCK cleared: reads block as usual. *@st (may be
 * NULL) gets its fstat(). Returns the fd, or -errno: -EISDIR, -EINVAL (not
 * a regular file: a FIFO, a device or a socket), -EFBIG (over @max), -ELOOP
 * (FSIO_NOFOLLOW and a symlink), or the errno of open. Async-signal-safe.
 */
int fsio_open_input(int dirfd, const char *path, unsigned int flags, size_t max,
		    struct stat *st);

/* The cause of an error of fsio_open_input(), fsio_read_file(): as
 * strerror(-@err), but -EINVAL is "not a regular file ..." */
const char *fsio_strerror(int err);

/* The start of a small file (a header, a Makefile): at most @len - 1
 * bytes into @buf, NUL-terminated. Returns the byte count or -errno (those
 * of fsio_open_input() too). Async-signal-safe (open, fstat, fcntl, read,
 * close only). */
int fsio_read_small(const char *path, char *buf, size_t len);

/*
 * A whole regular file into *@data (malloc'ed, the caller frees; one NUL
 * byte past *@size so text can be parsed in place), opened by
 * fsio_open_input(). Reads to the end, not to st_size: tracefs and procfs
 * report 0. Errors: those of fsio_open_input() (-EISDIR, -EINVAL: not a
 * regular file, -EFBIG), -EFBIG (more than @max bytes read), -ENOMEM, or
 * the errno of read. *@data is NULL then.
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

/* The directory of the running executable (/proc/self/exe) into @buf:
 * what an installed tree's relative paths start from (bin/ ->
 * libexec/bpfport/, share/bpfport/), so that a tree may be moved.
 * Returns 0 or -errno. */
int fsio_exe_dir(char *buf, size_t len);

#endif /* BPFPORT_UTIL_FSIO_H */
