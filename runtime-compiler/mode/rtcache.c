// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compiled-object cache of the runtime mode (DESIGN.md "Runtime
 * compilation, in process"): keyed by everything that changes the output,
 * written atomically under a lock, verified on read, in a directory only
 * root can write.
 *
 * Entry file (<16 hex digits of the key hash>.obj), little endian:
 *   0  magic "BPFRTC\0\1"      24 crc32 of the key
 *   8  u32 header size (40)    28 crc32 of the object
 *   12 u32 key length          32 u64 creation time (unix seconds)
 *   16 u64 object size         40 key bytes, then the object bytes
 * The file is exactly 40 + key length + object size bytes long.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "internal.h"
#include "rtcache.h"

/* how messages name the cache dir setting (the CLI: --cache-dir) */
#define CD bp_setting_name(BP_SET_CACHE_DIR, false)
#include "util/arch.h"
#include "util/bytes.h"
#include "util/fsio.h"
#include "util/hash.h"

#define HDR_SIZE	40
#define MAX_KEY		65536
static const unsigned char magic[8] = { 'B', 'P', 'F', 'R', 'T', 'C', 0, 1 };


/* ---- the key ---- */

struct sbuf {
	char *p;
	size_t len, used;
	bool over;
};

static void sb_raw(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->over || b->used + n >= b->len) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->used, s, n + 1);
	b->used += n;
}

/* value, with ';', '%', control and non-ASCII bytes percent-encoded */
static void sb_val(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;
		char e[4];

		if (c < 0x20 || c >= 0x7f || c == ';' || c == '%')
			snprintf(e, sizeof(e), "%%%02X", c);
		else
			e[0] = c, e[1] = '\0';
		sb_raw(b, e);
	}
}

static void sb_field(struct sbuf *b, const char *name, const char *val)
{
	sb_raw(b, ";");
	sb_raw(b, name);
	sb_raw(b, "=");
	sb_val(b, val);
}

int rtcache_key(const struct rtcache_key_parts *p, char *key, size_t len)
{
	struct sha256_ctx c;
	struct sbuf b = { key, len, 0, false };
	char hexd[65], num[64];
	uint8_t d[SHA256_LEN], n8[8];
	size_t i;

	if (!p || !p->kernel_release || !p->headers_release || !p->compiler || !len)
		return -EINVAL;
	key[0] = '\0';
	sb_raw(&b, "bpfport-rtcache-v1");
	sb_field(&b, "release", p->kernel_release);
	sb_field(&b, "uname-v", p->kernel_version ? p->kernel_version : "");
	sb_field(&b, "config", p->config_hash ? p->config_hash : "no-config");
	snprintf(num, sizeof(num), "%u", p->headers_version_code);
	sb_raw(&b, ";headers=");
	sb_val(&b, p->headers_release);
	sb_raw(&b, "/");
	sb_raw(&b, num);
	sb_field(&b, "tree", p->headers_tree ? p->headers_tree : "");
	sb_field(&b, "arch", p->arch ? p->arch : arch_machine());

	/* name, length and bytes of each source: no two different sets hash
	 * the same input */
	sha256_init(&c);
	for (i = 0; i < p->source_cnt; i++) {
		const char *name = p->sources[i].name ? p->sources[i].name : "";

		sha256_update(&c, name, strlen(name) + 1);
		le64_put(n8, p->sources[i].size);
		sha256_update(&c, n8, 8);
		sha256_update(&c, p->sources[i].data, p->sources[i].size);
	}
	sha256_final(&c, d);
	hash_hex(d, SHA256_LEN, hexd);
	sb_raw(&b, ";source=sha256:");
	sb_raw(&b, hexd);

	sha256_init(&c);
	for (i = 0; i < p->flag_cnt; i++)
		sha256_update(&c, p->flags[i], strlen(p->flags[i]) + 1);
	sha256_final(&c, d);
	hash_hex(d, SHA256_LEN, hexd);
	sb_raw(&b, ";flags=sha256:");
	sb_raw(&b, hexd);
	sb_field(&b, "compiler", p->compiler);
	if (b.over || b.used >= MAX_KEY) {
		key[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

uint64_t rtcache_key_hash(const char *key)
{
	uint8_t d[SHA256_LEN];
	uint64_t h = 0;

	sha256(key, strlen(key), d);
	for (int i = 0; i < 8; i++)
		h = (h << 8) | d[i];
	return h;
}

void rtcache_entry_name(const char *key, char name[24])
{
	snprintf(name, 24, "%016" PRIx64 ".obj", rtcache_key_hash(key));
}

static bool is_entry_name(const char *n)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	return !strcmp(n + 16, ".obj");
}

int rtcache_config_hash(const char *path, const char *release, char *out,
			size_t len)
{
	char p[PATH_MAX + 64], hexd[65], *text;
	uint8_t d[SHA256_LEN];
	size_t tlen;
	int n;

	if (!path) {
		n = kconfig_find(release, p, sizeof(p));	/* the one check reports */
		if (n == -ENOENT) {
			snprintf(out, len, "no-config");
			return 0;
		}
		if (n)
			return n;
		path = p;
	}
	n = kconfig_load(path, &text, &tlen);
	if (n)
		return n;
	sha256(text, tlen, d);
	free(text);
	hash_hex(d, SHA256_LEN, hexd);
	if (snprintf(out, len, "sha256:%s", hexd) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- the directory ---- */

static int mkdir_parents(const char *dir)
{
	char p[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (i = 1; i < n; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		p[i] = '/';
	}
	return 0;
}

int rtcache_open_dir(const char *dir, int *dirfd, char *err, size_t errlen)
{
	char path[PATH_MAX], anc[PATH_MAX];
	uid_t euid = geteuid();
	struct stat st;
	int fd, cur, ret;
	size_t n;

	*dirfd = -1;
	if (!dir || !*dir)
		dir = RTCACHE_DEFAULT_DIR;
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= sizeof(path)) {
		seterr(err, errlen, "cache dir path too long: use a shorter %s", CD);
		return -ENAMETOOLONG;
	}
	memcpy(path, dir, n);
	path[n] = '\0';

	if (lstat(path, &st) && errno == ENOENT) {
		ret = mkdir_parents(path);
		if (ret || (mkdir(path, 0700) && errno != EEXIST)) {
			ret = ret ? ret : -errno;
			seterr(err, errlen, "cannot create cache dir %s: %s: create it (mode 0700, owned by root) or use %s",
			       path, strerror(-ret), CD);
			return ret;
		}
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP || (!lstat(path, &st) && S_ISLNK(st.st_mode))) {
			seterr(err, errlen, "cache dir %s is a symlink: a loader running as root must not follow it to objects others could plant; use the real directory or %s",
			       path, CD);
			return -EPERM;
		}
		seterr(err, errlen, "cannot open cache dir %s: %s: fix it or use %s",
		       path, strerror(-ret), CD);
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (st.st_uid != euid) {
		seterr(err, errlen, "cache dir %s is owned by uid %u, not by uid %u (root): a loader running as root must not load objects others could plant; chown it or use %s",
		       path, (unsigned int)st.st_uid, (unsigned int)euid, CD);
		close(fd);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		seterr(err, errlen, "cache dir %s is writable by group/other (mode %04o): a loader running as root must not load objects others could plant; chmod 700 it or use %s",
		       path, (unsigned int)(st.st_mode & 07777), CD);
		close(fd);
		return -EPERM;
	}

	/* every ancestor, physically (".."): one others could write could
	 * have the directory swapped under us (a sticky one, like /tmp, not) */
	if (!realpath(path, anc))
		snprintf(anc, sizeof(anc), "%s", path);
	cur = dup(fd);
	ret = cur < 0 ? -errno : 0;
	while (!ret) {
		struct stat cst, pst;
		int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char *slash = strrchr(anc, '/');

		if (up < 0 || fstat(cur, &cst) || fstat(up, &pst)) {
			ret = -errno;
			if (up >= 0)
				close(up);
			break;
		}
		close(cur);
		cur = up;
		if (pst.st_dev == cst.st_dev && pst.st_ino == cst.st_ino)
			break;	/* "/" */
		if (slash)
			*(slash == anc ? slash + 1 : slash) = '\0';
		if (pst.st_uid != 0 && pst.st_uid != euid) {
			seterr(err, errlen, "cache dir %s is inside %s, owned by uid %u: its owner could replace the cache; use a %s whose parents belong to root",
			       path, anc, (unsigned int)pst.st_uid, CD);
			ret = -EPERM;
		} else if ((pst.st_mode & (S_IWGRP | S_IWOTH)) && !(pst.st_mode & S_ISVTX)) {
			seterr(err, errlen, "cache dir %s is inside %s, writable by group/other (mode %04o): others could replace the cache; chmod go-w it or use %s",
			       path, anc, (unsigned int)(pst.st_mode & 07777), CD);
			ret = -EPERM;
		}
	}
	if (cur >= 0)
		close(cur);
	if (ret) {
		if (ret != -EPERM)
			seterr(err, errlen, "cannot check the parents of cache dir %s: %s",
			       path, strerror(-ret));
		close(fd);
		return ret;
	}
	*dirfd = fd;
	return 0;
}

/* ---- the lock ---- */

/* the lock this thread holds (flock is per open file: a second flock on
 * another descriptor of the same file would wait for ourselves) */
static __thread struct {
	bool held;
	dev_t dir_dev, lock_dev;
	ino_t dir_ino, lock_ino;
} held;

static bool held_for(int dirfd)
{
	struct stat st;

	return held.held && !fstat(dirfd, &st) && st.st_dev == held.dir_dev &&
	       st.st_ino == held.dir_ino;
}

int rtcache_lock(int dirfd, int *lockfd)
{
	struct stat dst, lst;
	int fd, ret;

	*lockfd = -1;
	if (held_for(dirfd))
		return -EDEADLK;
	fd = openat(dirfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* another agent compiling: wait for it, unless interrupted (a
	 * blocking flock() would be restarted after the signal) */
	while ((ret = flock(fd, LOCK_EX | LOCK_NB)) && (errno == EWOULDBLOCK || errno == EINTR)) {
		struct timespec nap = { 0, 20 * 1000 * 1000 };

		if (bp_interrupted()) {
			close(fd);
			return -EINTR;
		}
		nanosleep(&nap, NULL);
	}
	if (ret || fstat(dirfd, &dst) || fstat(fd, &lst)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	held.held = true;
	held.dir_dev = dst.st_dev;
	held.dir_ino = dst.st_ino;
	held.lock_dev = lst.st_dev;
	held.lock_ino = lst.st_ino;
	*lockfd = fd;
	return 0;
}

int rtcache_unlock(int lockfd)
{
	struct stat st;

	if (lockfd < 0)
		return -EBADF;
	if (held.held && !fstat(lockfd, &st) && st.st_dev == held.lock_dev &&
	    st.st_ino == held.lock_ino)
		held.held = false;
	return close(lockfd) ? -errno : 0;	/* closing drops the flock */
}

/* ---- entries ---- */

/* Reads and checks entry @name. On success *key_out and *obj_out are
 * malloc'ed. */
static int entry_read(int dirfd, const char *name, char **key_out,
		      void **obj_out, size_t *size_out, time_t *mtime,
		      char *why, size_t wlen)
{
	uint8_t *buf = NULL;
	uint64_t osize;
	uint32_t klen;
	struct stat st;
	int fd, ret;

	*key_out = NULL;
	*obj_out = NULL;
	fd = fsio_open_input(dirfd, name, FSIO_NOFOLLOW, SIZE_MAX, &st);
	if (fd == -ELOOP || fd == -EINVAL || fd == -EISDIR) {
		snprintf(why, wlen, "cache entry %s is %s", name,
			 fd == -ELOOP ? "a symlink" : "not a regular file");
		return -EBADMSG;
	}
	if (fd < 0) {
		snprintf(why, wlen, "cache entry %s: %s", name, strerror(-fd));
		return fd;
	}
	*mtime = st.st_mtime;
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(why, wlen, "cache entry %s is owned by uid %u (mode %04o), not ours alone: remove it (bpfport cache clear)",
			 name, (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		ret = -EPERM;
		goto out;
	}
	if (st.st_size < HDR_SIZE ||
	    (uint64_t)st.st_size > HDR_SIZE + MAX_KEY + (uint64_t)RTCACHE_MAX_OBJ) {
		snprintf(why, wlen, "cache entry %s has a bad size (%lld bytes)",
			 name, (long long)st.st_size);
		ret = -EBADMSG;
		goto out;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	ret = fsio_read_full(fd, buf, st.st_size);
	if (ret) {
		snprintf(why, wlen, "cache entry %s: %s", name,
			 ret == -ENODATA ? "shrank while read" : strerror(-ret));
		if (ret == -ENODATA)
			ret = -EBADMSG;
		goto out;
	}
	klen = le32_get(buf + 12);
	osize = le64_get(buf + 16);
	if (memcmp(buf, magic, sizeof(magic)) || le32_get(buf + 8) != HDR_SIZE) {
		snprintf(why, wlen, "cache entry %s has a bad header", name);
		ret = -EBADMSG;
	} else if (klen > MAX_KEY || !osize || osize > RTCACHE_MAX_OBJ ||
		   HDR_SIZE + (uint64_t)klen + osize != (uint64_t)st.st_size) {
		snprintf(why, wlen, "cache entry %s is truncated or has trailing data (%lld bytes, header says %llu)",
			 name, (long long)st.st_size,
			 (unsigned long long)(HDR_SIZE + (uint64_t)klen + osize));
		ret = -EBADMSG;
	} else if (crc32(0, buf + HDR_SIZE, klen) != le32_get(buf + 24) ||
		   crc32(0, buf + HDR_SIZE + klen, osize) != le32_get(buf + 28)) {
		snprintf(why, wlen, "cache entry %s fails its checksum", name);
		ret = -EBADMSG;
	} else {
		ret = -ENOMEM;
		*key_out = strndup((char *)buf + HDR_SIZE, klen);
		*obj_out = malloc(osize);
		if (*key_out && *obj_out) {
			memcpy(*obj_out, buf + HDR_SIZE + klen, osize);
			*size_out = osize;
			ret = 0;
		}
	}
out:
	if (ret) {
		free(*key_out);
		free(*obj_out);
		*key_out = NULL;
		*obj_out = NULL;
	}
	free(buf);
	close(fd);
	return ret;
}

int rtcache_get(int dirfd, const char *key, void **obj, size_t *size,
		char *err, size_t errlen)
{
	char name[24], why[256], *stored;
	time_t mtime;
	void *data;
	size_t n;
	int ret;

	*obj = NULL;
	*size = 0;
	rtcache_entry_name(key, name);
	ret = entry_read(dirfd, name, &stored, &data, &n, &mtime, why, sizeof(why));
	if (ret == -ENOENT) {
		seterr(err, errlen, "no cache entry %s: compile and put it", name);
		return ret;
	}
	if (ret) {
		seterr(err, errlen, "%s%s", why,
		       ret == -EBADMSG ? ": recompile (put replaces it)" : "");
		return ret;
	}
	if (strcmp(stored, key)) {
		seterr(err, errlen, "cache entry %s holds another key (a hash collision or a forged file): recompile (put replaces it)",
		       name);
		free(stored);
		free(data);
		return -EBADMSG;
	}
	free(stored);
	*obj = data;
	*size = n;
	return 0;
}

int rtcache_put(int dirfd, const char *key, const void *obj, size_t size,
		char *err, size_t errlen)
{
	static unsigned int counter;
	size_t klen = strlen(key);
	char name[24], tmp[64];
	uint8_t hdr[HDR_SIZE];
	int fd, lockfd = -1, ret;

	if (!size || size > RTCACHE_MAX_OBJ || klen > MAX_KEY) {
		seterr(err, errlen, "cache put: object of %zu bytes or key of %zu bytes out of range",
		       size, klen);
		return -EINVAL;
	}
	rtcache_entry_name(key, name);
	if (!held_for(dirfd)) {
		ret = rtcache_lock(dirfd, &lockfd);
		if (ret) {
			seterr(err, errlen, "cannot lock the cache dir: %s", strerror(-ret));
			return ret;
		}
	}
	memcpy(hdr, magic, sizeof(magic));
	le32_put(hdr + 8, HDR_SIZE);
	le32_put(hdr + 12, (uint32_t)klen);
	le64_put(hdr + 16, size);
	le32_put(hdr + 24, (uint32_t)crc32(0, (const Bytef *)key, klen));
	le32_put(hdr + 28, (uint32_t)crc32(0, obj, size));
	le64_put(hdr + 32, (uint64_t)time(NULL));

	snprintf(tmp, sizeof(tmp), ".tmp-%.16s-%d-%u", name, (int)getpid(),
		 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		seterr(err, errlen, "cannot create a cache entry: %s: check the cache dir",
		       strerror(errno));
		goto out;
	}
	ret = fsio_write_all(fd, hdr, sizeof(hdr));
	if (!ret)
		ret = fsio_write_all(fd, key, klen);
	if (!ret)
		ret = fsio_write_all(fd, obj, size);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(dirfd, tmp, dirfd, name))
		ret = -errno;
	if (ret) {
		unlinkat(dirfd, tmp, 0);
		seterr(err, errlen, "cannot write cache entry %s: %s: check the space and the cache dir",
		       name, strerror(-ret));
		goto out;
	}
	fsync(dirfd);	/* the rename itself */
out:
	if (lockfd >= 0)
		rtcache_unlock(lockfd);
	return ret;
}

/* A fresh directory stream (not sharing dirfd's offset). */
static DIR *open_stream(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

int rtcache_list(int dirfd, rtcache_list_fn fn, void *ctx)
{
	struct dirent *de;
	int cnt = 0, ret = 0;
	DIR *d = open_stream(dirfd);

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		struct rtcache_entry e = { .file = de->d_name };
		char why[256], *key;
		void *obj;
		size_t size = 0;

		if (!is_entry_name(de->d_name))
			continue;
		e.status = entry_read(dirfd, de->d_name, &key, &obj, &size,
				      &e.mtime, why, sizeof(why));
		e.key = key;
		e.size = size;
		cnt++;
		if (fn)
			ret = fn(&e, ctx);
		free(key);
		free(obj);
	}
	closedir(d);
	return ret ? ret : cnt;
}

int rtcache_clear(int dirfd)
{
	struct dirent *de;
	int lockfd = -1, cnt = 0, ret = 0;
	DIR *d;

	if (!held_for(dirfd)) {
		ret = rtcache_lock(dirfd, &lockfd);
		if (ret)
			return ret;
	}
	d = open_stream(dirfd);
	if (!d) {
		ret = -errno;
		goto out;
	}
	while ((de = readdir(d))) {
		if (!is_entry_name(de->d_name) && strncmp(de->d_name, ".tmp-", 5))
			continue;
		if (unlinkat(dirfd, de->d_name, 0)) {
			if (errno != ENOENT && !ret)
				ret = -errno;
			continue;
		}
		if (is_entry_name(de->d_name))
			cnt++;
	}
	closedir(d);
out:
	if (lockfd >= 0)
		rtcache_unlock(lockfd);
	return ret ? ret : cnt;
}
