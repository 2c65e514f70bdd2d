/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The on-disk cache of runtime-compiled BPF objects. An entry is keyed by
 * everything that changes the compiler's output; its file name is a 64-bit
 * hash of the key, and the file holds the whole key, so a hash collision
 * or a forged file is a miss, never the wrong object.
 *
 * A loader running as root must never load an object someone else could
 * have planted: the directory (and each of its ancestors) must be owned by
 * root (the effective uid) and not writable by group or other.
 */
#ifndef BPFPORT_RTCACHE_H
#define BPFPORT_RTCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RTCACHE_DEFAULT_DIR	"/var/cache/bpfport"
#define RTCACHE_MAX_OBJ		(64u << 20)

/* ---- the key ---- */
struct rtcache_blob {
	const char *name;	/* e.g. "exec.bpf.c"; part of the hash */
	const void *data;
	size_t size;
};

struct rtcache_key_parts {
	const char *kernel_release;	/* uname -r */
	const char *kernel_version;	/* uname -v */
	const char *config_hash;	/* rtcache_config_hash(); NULL: "no-config" */
	const char *headers_release;	/* struct kheaders .release */
	unsigned int headers_version_code;
	const char *headers_tree;	/* kheaders_describe(); NULL: "" */
	const char *arch;		/* uname -m; NULL: the running machine */
	const struct rtcache_blob *sources;	/* the sources and headers */
	size_t source_cnt;
	/* The compile flags, except the header include paths: those change
	 * from run to run for extracted kheaders, and the headers are already
	 * named by headers_release, headers_version_code and headers_tree. */
	const char *const *flags;
	size_t flag_cnt;
	const char *compiler;		/* the compiler's version string */
};

/*
 * Writes the stable one-line key text of p into key:
 * "bpfport-rtcache-v1;release=...;uname-v=...;config=...;headers=R/CODE;
 *  tree=...;arch=...;source=sha256:...;flags=sha256:...;compiler=...".
 * Returns 0, -EINVAL (kernel_release, headers_release or compiler missing)
 * or -ENAMETOOLONG (len too small).
 */
int rtcache_key(const struct rtcache_key_parts *p, char *key, size_t len);

/* The 64-bit hash of a key (the first 8 bytes of its SHA-256), and the
 * entry's file name: 16 hex digits + ".obj". */
uint64_t rtcache_key_hash(const char *key);
void rtcache_entry_name(const char *key, char name[24]);

/*
 * "sha256:<hex>" of the kernel config at @path (plain or gzip), or when
 * path is NULL of the one kconfig_find() finds for @release (NULL: uname
 * -r): $BPFPORT_SYSROOT/boot/config-R, else /proc/config.gz; "no-config"
 * (and 0) when there is none.
 * Returns 0 or -errno (a config that exists but cannot be read).
 */
int rtcache_config_hash(const char *path, const char *release, char *out,
			size_t len);

/* ---- the directory ---- */

/*
 * Opens (creating it 0700 if missing, its missing parents 0755) the cache
 * directory and checks it: not a symlink, owned by the effective uid, not
 * writable by group/other, and every ancestor owned by root or the
 * effective uid and not writable by group/other unless sticky (/tmp).
 * Returns 0 with *dirfd set, -EPERM (unsafe; err says why and the fix),
 * or -errno.
 */
int rtcache_open_dir(const char *dir, int *dirfd, char *err, size_t errlen);

/*
 * Exclusive flock on <dir>/.lock; waits until it is free, or until
 * bpfport_interrupt() (-EINTR). Held across get -> compile -> put, two
 * agents starting together compile once. While this thread holds it,
 * rtcache_put() and rtcache_clear() on the same directory do not lock
 * again. Returns 0 or -errno.
 */
int rtcache_lock(int dirfd, int *lockfd);
int rtcache_unlock(int lockfd);

/*
 * Reads the entry of @key: checks magic, the full key stored in it, sizes
 * and a checksum of the object. *obj is malloc'ed (free it).
 * Returns 0; -ENOENT: no entry; -EBADMSG: corrupt or another key (the
 * caller recompiles and puts); -EPERM: the file is not ours; or -errno.
 */
int rtcache_get(int dirfd, const char *key, void **obj, size_t *size,
		char *err, size_t errlen);

/*
 * Writes the entry of @key atomically (a 0600 temp file in the dir,
 * fsync, rename), under the lock unless this thread holds it.
 */
int rtcache_put(int dirfd, const char *key, const void *obj, size_t size,
		char *err, size_t errlen);

struct rtcache_entry {
	const char *file;	/* "0123456789abcdef.obj" */
	const char *key;	/* NULL when unreadable */
	size_t size;		/* of the object */
	time_t mtime;
	int status;		/* 0, or -EBADMSG / -EPERM / -errno */
};
/* Returns nonzero to stop the walk (rtcache_list returns that value). */
typedef int (*rtcache_list_fn)(const struct rtcache_entry *e, void *ctx);

/* Calls @fn for each entry (checked as rtcache_get does). Returns the
 * number of entries, fn's nonzero value, or -errno. */
int rtcache_list(int dirfd, rtcache_list_fn fn, void *ctx);

/* Removes every entry (and stale temp files), under the lock. Returns the
 * number removed or -errno. */
int rtcache_clear(int dirfd);

#endif /* BPFPORT_RTCACHE_H */
