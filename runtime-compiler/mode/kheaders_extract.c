// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kheaders.tar.xz (CONFIG_IKHEADERS): the kernel's own headers, both
 * halves merged, extracted in process (util/xz.c, util/tar.c) into a new
 * private directory -- never a link out of it, no absolute names, no
 * "..", no devices, bounded in bytes, entries and depth -- and removed
 * again by kheaders_cleanup(), or by the next start's
 * kheaders_reap_stale() when this process was killed first (the
 * directory is locked while in use, so a live one is never taken); and
 * the quiet "modprobe kheaders" that makes the file appear when the
 * kernel has it as a module. bpfport_interrupt() stops both.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "kheaders.h"
#include "util/fsio.h"
#include "util/tar.h"
#include "util/xz.h"

#define TAR_MAX_BYTES		(1ULL << 30)	/* of file data */
#define TAR_MAX_ENTRIES		200000
#define TAR_MAX_DEPTH		64		/* path components */
#define XZ_MEMLIMIT		(256ULL << 20)
#define MODPROBE_TIMEOUT_MS	10000
#define TMP_NAME		"bpfport-kheaders-"	/* + mkdtemp's 6 letters or digits */

/* where the private directories go: the first writable one */
static const char *const tmp_bases[] = { "/run", "/tmp" };

/* Opens the parent directory of @name below @rootfd, never following a
 * symlink; creates missing directories when @create. */
static int tar_parent(int rootfd, const char *name, bool create, const char **base)
{
	int fd = dup(rootfd);
	const char *p = name, *slash;

	if (fd < 0)
		return -errno;
	while ((slash = strchr(p, '/'))) {
		char comp[NAME_MAX + 1];
		size_t n = slash - p;
		int next;

		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) && errno != EEXIST) {
				next = -errno;
				close(fd);
				return next;
			}
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			next = errno == ELOOP ? -ENOTDIR : -errno;
			close(fd);
			return next;
		}
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*base = p;
	return fd;
}

/* A symlink target must stay inside the tree whatever links it goes
 * through: relative, and no "..". */
static bool link_target_ok(const char *t)
{
	const char *p = t;

	if (!*t || t[0] == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2))
			return false;
		p += n;
		p += strspn(p, "/");
	}
	return true;
}

static int tar_write_file(struct tar *t, int pfd, const char *base, uint64_t size,
			  char *why, size_t wlen)
{
	char buf[1 << 16];
	int fd, ret = 0;

	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {	/* a later entry wins, as in tar */
		struct stat st;

		if (!fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode)) {
			seterr(why, wlen, "file entry %s replaces a directory", base);
			return -EEXIST;
		}
		unlinkat(pfd, base, 0);
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	}
	if (fd < 0) {
		seterr(why, wlen, "create %s: %s", base, strerror(errno));
		return -errno;
	}
	while (size && !ret) {
		size_t k = size < sizeof(buf) ? size : sizeof(buf);

		if (bp_interrupted()) {
			ret = -EINTR;
			seterr(why, wlen, "interrupted");
			break;
		}
		ret = tar_read_data(t, buf, k, why, wlen);
		if (!ret) {
			ret = fsio_write_all(fd, buf, k);
			if (ret)
				seterr(why, wlen, "write %s: %s", base, strerror(-ret));
		}
		size -= k;
	}
	if (close(fd) && !ret) {
		ret = -errno;
		seterr(why, wlen, "write %s: %s", base, strerror(errno));
	}
	return ret;
}

/* One entry of the archive, written below the directory *ctx; the reader
 * has refused absolute names, "..", devices and fifos already. */
static int tar_entry(struct tar *t, const struct tar_entry *e, void *ctx,
		     char *why, size_t wlen)
{
	int rootfd = *(int *)ctx, pfd, tfd, ret = 0;
	const char *name = e->name, *base, *tbase;
	struct stat st;

	if (!name[0])	/* "./" itself */
		return 0;
	if (bp_interrupted())
		return msg_set(why, wlen, -EINTR, "interrupted");
	bp_test_stall("extract");
	pfd = tar_parent(rootfd, name, true, &base);
	if (pfd < 0) {
		seterr(why, wlen, "entry %s: %s", name,
			 pfd == -ENOTDIR ? "goes through a symlink or a file" : strerror(-pfd));
		return pfd;
	}
	switch (e->type) {
	case TAR_FILE:
		ret = tar_write_file(t, pfd, base, e->size, why, wlen);
		break;
	case TAR_DIR:
		if (mkdirat(pfd, base, 0755) && (errno != EEXIST ||
		    fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))) {
			ret = errno == EEXIST ? -EEXIST : -errno;
			seterr(why, wlen, "directory entry %s: %s", name, strerror(-ret));
		}
		break;
	case TAR_SYMLINK:
		if (!link_target_ok(e->link)) {
			seterr(why, wlen, "symlink %s -> %s points outside the tree (absolute or ..)",
				 name, e->link);
			ret = -EPERM;
			break;
		}
		unlinkat(pfd, base, 0);
		if (symlinkat(e->link, pfd, base)) {
			ret = -errno;
			seterr(why, wlen, "symlink %s: %s", name, strerror(errno));
		}
		break;
	case TAR_HARDLINK: {
		char tname[PATH_MAX];

		if (tar_clean_name(e->link, tname, sizeof(tname), TAR_MAX_DEPTH) || !tname[0]) {
			seterr(why, wlen, "hard link %s -> %s points outside the tree",
				 name, e->link);
			ret = -EPERM;
			break;
		}
		tfd = tar_parent(rootfd, tname, false, &tbase);
		if (tfd < 0 || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode)) {
			seterr(why, wlen, "hard link %s -> %s: no such file in the archive",
				 name, e->link);
			ret = -EPERM;
		} else {
			unlinkat(pfd, base, 0);
			if (linkat(tfd, tbase, pfd, base, 0)) {
				ret = -errno;
				seterr(why, wlen, "hard link %s: %s", name, strerror(errno));
			}
		}
		if (tfd >= 0)
			close(tfd);
		break;
	}
	}
	close(pfd);
	return ret;
}

static int xz_src(void *x, void *buf, size_t n, char *why, size_t wlen)
{
	return xz_read(x, buf, n, NULL, why, wlen);
}

/* Removes @name below dirfd recursively, never following symlinks. */
static void rm_tree_at(int dirfd, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (depth > TAR_MAX_DEPTH + 8)
		return;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		unlinkat(dirfd, name, 0);
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		bool dir = de->d_type == DT_DIR;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_UNKNOWN)
			dir = !fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
			      S_ISDIR(st.st_mode);
		if (dir)
			rm_tree_at(fd, de->d_name, depth + 1);
		else
			unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void kheaders_tmp_remove(struct kheaders *kh)
{
	char parent[PATH_MAX];
	const char *base = strrchr(kh->tmpdir, '/');
	int fd;

	if (!kh->tmpdir[0])
		return;
	if (base && base != kh->tmpdir && strlen(kh->tmpdir) < sizeof(parent)) {
		memcpy(parent, kh->tmpdir, base - kh->tmpdir);
		parent[base - kh->tmpdir] = '\0';
		fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			rm_tree_at(fd, base + 1, 0);
			close(fd);
		}
	}
	close(kh->tmpfd);	/* the lock, once nothing is left */
	kh->tmpfd = -1;
	kh->tmpdir[0] = '\0';
}

/* A new private directory (0700) below @base, open and locked (flock) for
 * as long as it is in use. Returns its fd, or -errno. */
static int tmp_create(const char *base, char *path, size_t len)
{
	struct stat st;
	int fd, tries;

	for (tries = 0; tries < 8; tries++) {
		if ((size_t)snprintf(path, len, "%s/" TMP_NAME "XXXXXX", base) >= len)
			return -ENAMETOOLONG;
		if (!mkdtemp(path))
			return -errno;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			rmdir(path);
			return fd;
		}
		if (flock(fd, LOCK_EX) || fstat(fd, &st)) {
			int err = -errno;

			close(fd);
			rmdir(path);
			return err;
		}
		if (st.st_nlink)
			return fd;
		/* another start's reaper took it between mkdtemp and the
		 * lock: it is gone (no link left), make another */
		close(fd);
	}
	return -EAGAIN;
}

int kheaders_extract(const char *tarxz, struct kheaders *kh, char *why, size_t wlen)
{
	static const struct tar_limits lim = {
		.max_entry = TAR_MAX_BYTES, .max_total = TAR_MAX_BYTES,
		.max_entries = TAR_MAX_ENTRIES, .max_depth = TAR_MAX_DEPTH,
	};
	struct xz *x;
	int fd, ret = -EACCES;
	size_t i;

	kh->tmpdir[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(tmp_bases) && ret < 0; i++)
		if (!access(tmp_bases[i], W_OK))
			ret = tmp_create(tmp_bases[i], kh->tmpdir, sizeof(kh->tmpdir));
	if (ret < 0) {
		kh->tmpdir[0] = '\0';
		return msg_set(why, wlen, ret, "no private directory in a writable /run or /tmp to extract it to: %s",
			       strerror(-ret));
	}
	kh->tmpfd = ret;
	/* compressed, it is smaller than its data */
	fd = fsio_open_input(AT_FDCWD, tarxz, 0, TAR_MAX_BYTES, NULL);
	if (fd < 0) {
		ret = fd;
		seterr(why, wlen, "open: %s", fsio_strerror(fd));
		goto fail;
	}
	x = xz_from_fd(fd, XZ_MEMLIMIT);
	if (!x) {
		ret = -ENOMEM;
		seterr(why, wlen, "xz decoder: out of memory");
	} else {
		ret = tar_walk(xz_src, x, &lim, tar_entry, &kh->tmpfd, why, wlen);
	}
	xz_free(x);
	close(fd);
	if (!ret)
		return 0;
fail:
	kheaders_tmp_remove(kh);
	return ret;
}

static bool tmp_name(const char *n)
{
	size_t p = strlen(TMP_NAME);

	if (strncmp(n, TMP_NAME, p) || strlen(n) != p + 6)
		return false;
	for (n += p; *n; n++)
		if (!isalnum((unsigned char)*n))
			return false;
	return true;
}

void kheaders_reap_stale(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tmp_bases); i++) {
		int bfd = open(tmp_bases[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC), sfd;
		struct dirent *de;
		DIR *d = NULL;

		sfd = bfd >= 0 ? dup(bfd) : -1;
		if (sfd >= 0)
			d = fdopendir(sfd);
		if (!d) {
			if (sfd >= 0)
				close(sfd);
			if (bfd >= 0)
				close(bfd);
			continue;
		}
		while ((de = readdir(d))) {
			struct stat st, fst;
			int fd;

			/* ours: the name, a directory (not a link to one), this euid */
			if (!tmp_name(de->d_name) ||
			    fstatat(bfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
			    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
				continue;
			fd = openat(bfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				continue;
			/* and no live process holds it */
			if (!fstat(fd, &fst) && fst.st_dev == st.st_dev && fst.st_ino == st.st_ino &&
			    !flock(fd, LOCK_EX | LOCK_NB)) {
				pr_info("removing %s/%s: kernel headers a bpfport that was killed extracted\n",
					tmp_bases[i], de->d_name);
				rm_tree_at(bfd, de->d_name, 0);
			}
			close(fd);
		}
		closedir(d);
		close(bfd);
	}
}

/* "modprobe -q kheaders", quietly, with a timeout. Returns its status. */
int kheaders_modprobe(void)
{
	static const char *const paths[] = { "/sbin/modprobe", "/usr/sbin/modprobe",
		"/bin/modprobe", "/usr/bin/modprobe" };
	char *const argv[] = { "modprobe", "-q", "kheaders", NULL };
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	const char *prog = NULL;
	int status, waited = 0;
	size_t i;
	pid_t pid;

	for (i = 0; i < ARRAY_SIZE(paths) && !prog; i++)
		if (!access(paths[i], X_OK))
			prog = paths[i];
	if (!prog)
		return -ENOENT;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execve(prog, argv, envp);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited >= MODPROBE_TIMEOUT_MS || bp_interrupted()) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return waited >= MODPROBE_TIMEOUT_MS ? -ETIMEDOUT : -EINTR;
		}
		nanosleep(&ts, NULL);
		waited += 10;
	}
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

