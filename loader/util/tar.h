/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one tar reader: POSIX ustar (with its prefix field), GNU long names
 * and link names (L, K), pax path/linkpath/size records (x; g is
 * skipped). It walks an archive from any byte source -- a stream (an xz
 * decoder over a file) or memory -- and calls back once per entry.
 *
 * The safety rules are its own, so that every caller gets them: an
 * absolute name, a ".." component or an empty name refuses the whole
 * archive (-EPERM), as do device and fifo entries; names are handed over
 * clean ("./a//b/" is "a/b"); the caller's limits bound the bytes, the
 * entries and the depth of names. What to do with links is the caller's:
 * refuse them, or check their targets (tar_clean_name()).
 */
#ifndef BPFPORT_UTIL_TAR_H
#define BPFPORT_UTIL_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK	512

/* 0 in a field: no limit. */
struct tar_limits {
	uint64_t max_entry;	/* bytes of one entry's data */
	uint64_t max_total;	/* bytes of data of all entries together */
	unsigned int max_entries;	/* headers, extended ones included */
	unsigned int max_depth;	/* components of a name */
};

enum tar_type {
	TAR_FILE = '0',		/* also '\0' and '7' (contiguous) */
	TAR_HARDLINK = '1',
	TAR_SYMLINK = '2',
	TAR_DIR = '5',
};

struct tar_entry {
	enum tar_type type;
	const char *name;	/* clean and relative: "a/b"; "" is "./" itself */
	const char *link;	/* links: the target as stored; else "" */
	uint64_t size;		/* bytes of data; links have none */
	uint64_t offset;	/* where the data starts in the tar stream */
};

/* A byte source: the next @n bytes into @buf (NULL: read and drop them).
 * 0; -ENODATA when the input ends first; or -errno with err set. */
typedef int (*tar_read_fn)(void *src, void *buf, size_t n, char *err,
			   size_t errlen);

struct tar;

/* Called once per entry. It may read the entry's data with
 * tar_read_data(); what it leaves is skipped. 0 goes on; a negative errno
 * (err set) stops the walk, which returns it. */
typedef int (*tar_entry_fn)(struct tar *t, const struct tar_entry *e, void *ctx,
			    char *err, size_t errlen);

/*
 * Walks the archive read from @src up to its end-of-archive block (what
 * follows is not read). @lim may be NULL. Returns 0, what @fn or the
 * source returned, or (err naming the entry or the byte offset):
 *  -EBADMSG  not a tar (header checksum or magic), a bad field, a bad
 *            GNU or pax extended header, an unsupported entry type, or
 *            truncated (no end-of-archive block, an entry cut short)
 *  -EPERM    an absolute name, a ".." component, an empty name, a device
 *            or a fifo
 *  -EFBIG    over a limit of @lim;  -ENAMETOOLONG  over PATH_MAX, a
 *            component over NAME_MAX, or deeper than max_depth
 *  -ENOMEM
 */
int tar_walk(tar_read_fn read, void *src, const struct tar_limits *lim,
	     tar_entry_fn fn, void *ctx, char *err, size_t errlen);

/* tar_walk() over the @len bytes at @buf; an entry's data is then at
 * @buf + e->offset, for callers that would rather not copy it. */
int tar_walk_mem(const void *buf, size_t len, const struct tar_limits *lim,
		 tar_entry_fn fn, void *ctx, char *err, size_t errlen);

/* From an entry callback: the next @n bytes of the entry's data. -EINVAL
 * past its end; -EBADMSG when the archive ends inside it. */
int tar_read_data(struct tar *t, void *buf, size_t n, char *err, size_t errlen);

/*
 * A name as tar_walk() hands it over: "./a//b/" -> "a/b", "." components
 * dropped, "" for the root. -EPERM for an absolute name or a ".."
 * component; -ENAMETOOLONG when it does not fit @len, has a component
 * over NAME_MAX, or more than @max_depth components (0: any).
 */
int tar_clean_name(const char *in, char *out, size_t len, unsigned int max_depth);

/* Whether @buf starts with a ustar or GNU tar header (by its magic). */
bool tar_is_tar(const void *buf, size_t len);

#endif /* BPFPORT_UTIL_TAR_H */
