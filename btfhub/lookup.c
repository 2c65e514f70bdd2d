// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which archive entry is this host's BTF: the key (os-release + uname),
 * the matching rules, and a bounded walk of a btfhub-archive directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "btfhub_internal.h"
#include "util/arch.h"
#include "util/osrelease.h"

#define LIST_SHOWN	5

int btfhub_key_from_system(const char *os_release_path, struct btfhub_key *k,
			   char *err, size_t errlen)
{
	struct os_release os;
	struct utsname u;
	char why[1200];
	int ret;

	if (!k)
		return fail(-EINVAL, "btfhub_key_from_system: NULL key");
	memset(k, 0, sizeof(*k));
	ret = os_release_read(os_release_path, &os, why, sizeof(why));
	if (ret)
		return fail(ret, "%s: name the host's os-release file (containers: mount "
			    "the host's /etc/os-release)", why);
	_Static_assert(sizeof(k->id) >= sizeof(os.id) &&
		       sizeof(k->version_id) >= sizeof(os.version_id), "key fields");
	strcpy(k->id, os.id);
	strcpy(k->version_id, os.version_id);
	if (uname(&u)) {
		ret = -errno;
		return fail(ret, "uname: %s", strerror(-ret));
	}
	if (strlen(arch_btfhub(u.machine)) >= sizeof(k->arch) ||
	    strlen(u.release) >= sizeof(k->release))
		return fail(-ENAMETOOLONG, "uname machine or release too long");
	strcpy(k->arch, arch_btfhub(u.machine));
	strcpy(k->release, u.release);
	return 0;
}

/* ---- rules over a list of paths ---- */

struct kpath {
	const char *c[4];	/* id, version, arch, file */
	size_t len[4];		/* file: without .btf / .btf.tar.xz */
};

/* Whether @p ends in "/<release>.btf" or "/<release>.btf.tar.xz": a cheap
 * test, before splitting, that rejects almost every path of an archive. */
static bool ends_in_release(const char *p, const char *rel, size_t rl)
{
	size_t n = strlen(p);

	if (n > 11 && !strcmp(p + n - 11, ".btf.tar.xz"))
		n -= 11;
	else if (n > 4 && !strcmp(p + n - 4, ".btf"))
		n -= 4;
	else
		return false;
	return n > rl && p[n - rl - 1] == '/' && !memcmp(p + n - rl, rel, rl);
}

/* The last four components; false if fewer or no BTF suffix. */
static bool kpath_split(const char *p, struct kpath *o)
{
	const char *end = p + strlen(p), *s = end;
	int i;

	for (i = 3; i >= 0; i--) {
		const char *e = s;

		while (s > p && s[-1] != '/')
			s--;
		if (s == e)
			return false;
		o->c[i] = s;
		o->len[i] = (size_t)(e - s);
		if (i && s == p)
			return false;
		if (i)
			s--;	/* the '/' */
	}
	if (o->len[3] > 11 && !strcmp(end - 11, ".btf.tar.xz"))
		o->len[3] -= 11;
	else if (o->len[3] > 4 && !strcmp(end - 4, ".btf"))
		o->len[3] -= 4;
	else
		return false;
	return true;
}

static bool comp_is(const struct kpath *p, int i, const char *s)
{
	return p->len[i] == strlen(s) && !memcmp(p->c[i], s, p->len[i]);
}

static bool same_key(const struct kpath *a, const struct kpath *b)
{
	for (int i = 0; i < 4; i++)
		if (a->len[i] != b->len[i] || memcmp(a->c[i], b->c[i], a->len[i]))
			return false;
	return true;
}

int btfhub_lookup_paths(const char *const *paths, size_t n,
			const struct btfhub_key *k, size_t *match, char *err,
			size_t errlen)
{
	struct kpath *kp = NULL;
	size_t *cand = NULL, nc = 0, nid = 0, i, j, at = 0, rl;
	int ret;

	if ((!paths && n) || !k || !match)
		return fail(-EINVAL, "btfhub_lookup_paths: NULL argument");
	if (!k->release[0] || !k->arch[0])
		return fail(-EINVAL, "lookup key without kernel release or arch");
	kp = calloc(n ? n : 1, sizeof(*kp));
	cand = calloc(n ? n : 1, sizeof(*cand));
	if (!kp || !cand) {
		ret = fail(-ENOMEM, "out of memory");
		goto out;
	}
	/* 1. exact; meanwhile collect one path per key of this arch+release */
	rl = strlen(k->release);
	for (i = 0; i < n; i++) {
		if (!paths[i] || !ends_in_release(paths[i], k->release, rl) ||
		    !kpath_split(paths[i], &kp[i]) ||
		    !comp_is(&kp[i], 2, k->arch) || !comp_is(&kp[i], 3, k->release))
			continue;
		if (comp_is(&kp[i], 0, k->id) && comp_is(&kp[i], 1, k->version_id)) {
			*match = i;
			ret = 0;
			goto out;
		}
		for (j = 0; j < nc && !same_key(&kp[cand[j]], &kp[i]); j++)
			;
		if (j == nc)
			cand[nc++] = i;
	}
	/* 2. the release under one id/version only */
	if (nc == 1) {
		*match = cand[0];
		ret = 0;
		goto out;
	}
	/* 3. several: those under our id, if that leaves one */
	for (j = 0; j < nc; j++) {
		if (comp_is(&kp[cand[j]], 0, k->id)) {
			*match = cand[j];
			nid++;
		}
	}
	if (nid == 1) {
		ret = 0;
		goto out;
	}
	if (nc == 0) {
		ret = fail(-ENOENT, "no BTF for %s %s %s kernel %s: neither %s/%s/%s/%s.btf"
			   "[.tar.xz] nor that %s release under another ID/version is in "
			   "the archive: add it (btfhub-archive) or use a kernel with native BTF",
			   k->id, k->version_id, k->arch, k->release, k->id, k->version_id,
			   k->arch, k->release, k->arch);
		goto out;
	}
	ret = -ENOTUNIQ;
	msg_add(err, errlen, &at, "%s kernel %s is in the archive under %zu "
		"IDs/versions, none %s/%s: ", k->arch, k->release, nc, k->id,
		k->version_id);
	for (j = 0; j < nc && j < LIST_SHOWN; j++)
		msg_add(err, errlen, &at, "%s%s", j ? ", " : "", paths[cand[j]]);
	if (nc > LIST_SHOWN)
		msg_add(err, errlen, &at, " and %zu more", nc - LIST_SHOWN);
	msg_add(err, errlen, &at, "; name the right os-release file or give the BTF "
		"file explicitly");
out:
	free(kp);
	free(cand);
	return ret;
}

/* ---- a btfhub-archive directory ---- */

struct walk {
	const struct btfhub_key *k;
	char root[PATH_MAX];	/* realpath of the archive */
	char **paths;		/* matches, relative to the archive */
	size_t n, cap;
	int err;		/* first hard error (-ENOMEM) */
};

static int walk_add(struct walk *w, const char *rel)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		char **p = realloc(w->paths, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->paths = p;
		w->cap = cap;
	}
	w->paths[w->n] = strdup(rel);
	if (!w->paths[w->n])
		return -ENOMEM;
	w->n++;
	return 0;
}

/* The file names a match could have: <release>.btf[.tar.xz]. */
static bool wanted_file(const struct walk *w, const char *name)
{
	size_t l = strlen(w->k->release);

	return !strncmp(name, w->k->release, l) &&
	       (!strcmp(name + l, ".btf") || !strcmp(name + l, ".btf.tar.xz"));
}

/* @dfd is @rel (relative to the root, "" for it) at @depth (root: 0). */
static void walk_dir(struct walk *w, int dfd, const char *rel, int depth)
{
	struct dirent *de;
	DIR *d;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while (!w->err && (de = readdir(d))) {
		char sub[PATH_MAX], real[PATH_MAX], abs[PATH_MAX * 2];
		struct stat st;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			     de->d_name) >= (int)sizeof(sub))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		real[0] = '\0';
		if (S_ISLNK(st.st_mode)) {
			/* follow only links that stay inside the archive */
			size_t rl = strlen(w->root);

			snprintf(abs, sizeof(abs), "%s/%s", w->root, sub);
			if (!realpath(abs, real) || strncmp(real, w->root, rl) ||
			    (real[rl] != '/' && real[rl] != '\0') ||
			    stat(real, &st))
				continue;
		}
		if (S_ISDIR(st.st_mode) && depth < 3) {
			fd = real[0] ? open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
				     : openat(dirfd(d), de->d_name,
					      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				walk_dir(w, fd, sub, depth + 1);
		} else if (S_ISREG(st.st_mode) && depth == 3 && wanted_file(w, de->d_name)) {
			w->err = walk_add(w, sub);
		}
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int btfhub_lookup_dir(const char *dir, const struct btfhub_key *k, char *path,
		      size_t plen, char *err, size_t errlen)
{
	struct walk w = { .k = k };
	size_t m, i;
	int fd, ret;

	if (!dir || !k || !path)
		return fail(-EINVAL, "btfhub_lookup_dir: NULL argument");
	if (!realpath(dir, w.root) ||
	    (fd = open(w.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ret = -errno;
		return fail(ret, "btfhub archive %s: %s: give the directory that holds "
			    "<ID>/<VERSION_ID>/<arch>/", dir, strerror(-ret));
	}
	walk_dir(&w, fd, "", 0);
	if (w.err) {
		ret = fail(w.err, "out of memory walking %s", dir);
		goto out;
	}
	/* readdir order is arbitrary: sort, so that ties always go one way */
	if (w.n)
		qsort(w.paths, w.n, sizeof(*w.paths), cmp_str);
	ret = btfhub_lookup_paths((const char *const *)w.paths, w.n, k, &m, err, errlen);
	if (ret)
		goto out;
	if (snprintf(path, plen, "%s/%s", dir, w.paths[m]) >= (int)plen)
		ret = fail(-ENAMETOOLONG, "path %s/%s too long for the buffer", dir,
			   w.paths[m]);
out:
	for (i = 0; i < w.n; i++)
		free(w.paths[i]);
	free(w.paths);
	return ret;
}
