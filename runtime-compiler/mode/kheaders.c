// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel headers: discovery and layouts (DESIGN.md "Runtime compilation, in
 * process"; the layouts are listed in kheaders.h).
 *
 * A usable tree is a configured build tree: include/generated/utsrelease.h
 * says which kernel it is for, include/generated/autoconf.h and
 * arch/<arch>/include/generated hold the generated headers. Its sources
 * (include/linux/kconfig.h) are the tree itself when it has them -- a
 * complete tree, whose Makefile is the kernel's own and its include lines
 * ("include $(srctree)/arch/$(SRCARCH)/Makefile") name nothing to follow --
 * else the tree a split layout points to. kheaders.tar.xz is extracted by
 * kheaders_extract.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "kheaders.h"
#include "util/arch.h"
#include "util/fsio.h"

#define MAX_SYMLINK_HOPS	40

/* ---- small helpers ---- */


static void note(struct kheaders *kh, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct kheaders *kh, const char *path, const char *fmt, ...)
{
	size_t n = strlen(kh->tried);
	va_list ap;
	int w;

	if (n + 1 >= sizeof(kh->tried))
		return;
	w = snprintf(kh->tried + n, sizeof(kh->tried) - n, "%s%s: ",
		     n ? "; " : "", path);
	if (w < 0 || (size_t)w >= sizeof(kh->tried) - n)
		return;
	n += w;
	va_start(ap, fmt);
	vsnprintf(kh->tried + n, sizeof(kh->tried) - n, fmt, ap);
	va_end(ap);
}

/* joins a/b into out; false when it does not fit */
static bool join(char *out, size_t len, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s/%s", a, b);

	return n >= 0 && (size_t)n < len;
}

/*
 * Resolves @path as a process chrooted at @root would ("" is the host),
 * every symlink included: absolute targets restart at root, ".." stops at
 * root. out gets the host path (root + resolved). The path must exist.
 */
static int resolve_in(const char *root, const char *path, char *out,
		      size_t outlen)
{
	char done[PATH_MAX] = "", next[PATH_MAX], host[PATH_MAX];
	char todo[2 * PATH_MAX], link[PATH_MAX], tmp[2 * PATH_MAX];
	struct stat st;
	int hops = 0, n;

	if (strlen(path) >= sizeof(todo))
		return -ENAMETOOLONG;
	strcpy(todo, path);
	for (;;) {
		char *p = todo, comp[NAME_MAX + 1];
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (!len)
			break;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, len);
		comp[len] = '\0';
		memmove(todo, p + len, strlen(p + len) + 1);
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(done, '/');

			if (slash)
				*slash = '\0';
			continue;
		}
		n = snprintf(next, sizeof(next), "%s/%s", done, comp);
		if (n < 0 || (size_t)n >= sizeof(next))
			return -ENAMETOOLONG;
		n = snprintf(host, sizeof(host), "%s%s", root, next);
		if (n < 0 || (size_t)n >= sizeof(host))
			return -ENAMETOOLONG;
		if (lstat(host, &st))
			return -errno;
		if (S_ISLNK(st.st_mode)) {
			ssize_t l;

			if (++hops > MAX_SYMLINK_HOPS)
				return -ELOOP;
			l = readlink(host, link, sizeof(link) - 1);
			if (l < 0)
				return -errno;
			link[l] = '\0';
			n = snprintf(tmp, sizeof(tmp), "%s/%s", link, todo);
			if (n < 0 || (size_t)n >= sizeof(todo))
				return -ENAMETOOLONG;
			strcpy(todo, tmp);
			if (link[0] == '/')
				done[0] = '\0';
			continue;
		}
		if (!S_ISDIR(st.st_mode) && todo[strspn(todo, "/")])
			return -ENOTDIR;
		strcpy(done, next);
	}
	n = snprintf(out, outlen, "%s%s", root, done[0] || root[0] ? done : "/");
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

/* Why @path (inside root) does not resolve: absent, or a dangling link. */
static void why_unresolved(const char *root, const char *path, int ret,
			   char *why, size_t wlen)
{
	char dir[PATH_MAX], rdir[PATH_MAX], host[PATH_MAX + NAME_MAX + 2];
	char link[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t l;

	seterr(why, wlen, "%s", strerror(-ret));
	if (ret != -ENOENT)
		return;
	seterr(why, wlen, "absent");
	base = strrchr(path, '/');
	if (!base || strlen(path) >= sizeof(dir))
		return;
	memcpy(dir, path, base - path);
	dir[base - path] = '\0';
	base++;
	if (resolve_in(root, dir[0] ? dir : "/", rdir, sizeof(rdir)))
		return;
	snprintf(host, sizeof(host), "%s/%s", rdir, base);
	if (lstat(host, &st) || !S_ISLNK(st.st_mode))
		return;
	l = readlink(host, link, sizeof(link) - 1);
	if (l < 0)
		return;
	link[l] = '\0';
	seterr(why, wlen, "dangling symlink to %s", link);
}

/* Value of "#define NAME value" in text: a quoted string or a number. */
static bool find_define(const char *text, const char *name, char *val,
			size_t vlen)
{
	size_t nlen = strlen(name);
	const char *p = text;

	while (p && *p) {
		const char *q = p + strspn(p, " \t");
		const char *eol = strchr(p, '\n');

		if (*q == '#') {
			q += 1 + strspn(q + 1, " \t");
			if (!strncmp(q, "define", 6) && (q[6] == ' ' || q[6] == '\t')) {
				q += 6 + strspn(q + 6, " \t");
				if (!strncmp(q, name, nlen) &&
				    (q[nlen] == ' ' || q[nlen] == '\t')) {
					const char *v = q + nlen + strspn(q + nlen, " \t");
					size_t n = eol ? (size_t)(eol - v) : strlen(v);

					if (*v == '"') {
						const char *end = memchr(v + 1, '"', n ? n - 1 : 0);

						if (!end)
							return false;
						v++;
						n = end - v;
					} else {
						n = strcspn(v, " \t\r\n");
					}
					if (!n || n >= vlen)
						return false;
					memcpy(val, v, n);
					val[n] = '\0';
					return true;
				}
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

/* KERNEL_VERSION(a,b,c) of a release string, as the kernel clamps it */
static unsigned int version_of_release(const char *rel)
{
	unsigned long a = 0, b = 0, c = 0;

	if (sscanf(rel, "%lu.%lu.%lu", &a, &b, &c) < 2)
		return 0;
	if (c > 255)
		c = 255;
	return (unsigned int)((a << 16) + (b << 8) + c);
}

/* ---- the package to install, by distribution ---- */

static bool os_is(const struct os_release *os, const char *const *names)
{
	char like[sizeof(os->id_like)], *tok, *save = NULL;

	for (const char *const *n = names; *n; n++)
		if (!strcmp(os->id, *n) ||
		    (strlen(*n) > 4 && !strncmp(os->id, *n, strlen(*n))))
			return true;
	snprintf(like, sizeof(like), "%s", os->id_like);
	for (tok = strtok_r(like, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save))
		for (const char *const *n = names; *n; n++)
			if (!strcmp(tok, *n))
				return true;
	return false;
}

void kheaders_package_hint(const char *release, char *buf, size_t len)
{
	static const char *const deb[] = { "debian", "ubuntu", NULL };
	static const char *const rpm[] = { "rhel", "centos", "fedora", "amzn",
		"ol", "rocky", "almalinux", NULL };
	static const char *const suse[] = { "suse", "opensuse", "sles", NULL };
	static const char *const arch[] = { "arch", NULL };
	const char *env = getenv("BPFPORT_OS_RELEASE");
	struct os_release os = {};
	struct utsname u;

	if (!release) {
		release = uname(&u) ? "this kernel" : u.release;
	}
	/* an os-release the other readers refuse (no ID, an ID too long)
	 * names no distribution here either */
	if (os_release_read(env && *env ? env : NULL, &os, NULL, 0))
		memset(&os, 0, sizeof(os));
	if (os_is(&os, deb))
		snprintf(buf, len, "install linux-headers-%s (apt-get install linux-headers-%s)",
			 release, release);
	else if (os_is(&os, rpm))
		snprintf(buf, len, "install kernel-devel-%s (dnf or yum install kernel-devel-%s)",
			 release, release);
	else if (os_is(&os, suse))
		snprintf(buf, len, "install kernel-default-devel (zypper install kernel-default-devel) for %s",
			 release);
	else if (os_is(&os, arch))
		snprintf(buf, len, "install linux-headers (pacman -S linux-headers) for %s",
			 release);
	else
		snprintf(buf, len, "install the kernel headers of %s", release);
}

/* ---- the source tree of a build tree ---- */

static bool has_kconfig_h(const char *dir)
{
	char p[PATH_MAX];

	return join(p, sizeof(p), dir, "include/linux/kconfig.h") && fsio_is_file(p);
}

/* Directory named by a split build tree's Makefile: "include X/Makefile"
 * (Debian 10+) or "-C X" (older Debian), X absolute. A kernel's own
 * Makefile has relative or $(srctree)-based include lines, never that. */
static bool makefile_common(const char *dir, char *out, size_t len)
{
	char mk[PATH_MAX], text[4096], *line, *save = NULL;

	if (!join(mk, sizeof(mk), dir, "Makefile") || fsio_read_small(mk, text, sizeof(text)) <= 0)
		return false;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = line + strspn(line, " \t"), *q;
		size_t n;

		if (!strncmp(p, "include", 7) && (p[7] == ' ' || p[7] == '\t')) {
			p += 7 + strspn(p + 7, " \t");
			n = strcspn(p, " \t\r");
			if (n > 9 && p[0] == '/' && !strncmp(p + n - 9, "/Makefile", 9) &&
			    n - 9 < len) {
				memcpy(out, p, n - 9);
				out[n - 9] = '\0';
				return true;
			}
		}
		q = strstr(line, "-C ");
		if (q) {
			q += 3 + strspn(q + 3, " \t");
			n = strcspn(q, " \t\r");
			if (n && n < len && q[0] == '/') {
				memcpy(out, q, n);
				out[n] = '\0';
				return true;
			}
		}
	}
	return false;
}

/*
 * Finds the sources of the build tree at @dir (host path, inside root at
 * @rel): the tree itself when it has include/linux/kconfig.h (a complete
 * tree: its Makefile is the kernel's own and is not read), else its
 * "source" link (upstream O= builds), the tree its Makefile names, or the
 * sibling named <name up to a dash>-common.
 */
static int find_srctree(const char *root, const char *dir, const char *rel,
		       char *common, size_t len, char *why, size_t wlen)
{
	char p[PATH_MAX], r[PATH_MAX], named[PATH_MAX] = "";
	const char *base;

	if (has_kconfig_h(dir))
		return snprintf(common, len, "%s", dir) < (int)len ? 0 : -ENAMETOOLONG;
	if (join(p, sizeof(p), rel, "source") && !resolve_in(root, p, r, sizeof(r)) &&
	    has_kconfig_h(r))
		return snprintf(common, len, "%s", r) < (int)len ? 0 : -ENAMETOOLONG;
	if (makefile_common(dir, named, sizeof(named)) &&
	    !resolve_in(root, named, r, sizeof(r)) && has_kconfig_h(r))
		return snprintf(common, len, "%s", r) < (int)len ? 0 : -ENAMETOOLONG;
	/* linux-headers-6.1.0-56-amd64 -> linux-headers-6.1.0-56-common; the
	 * flavour may have dashes too (-cloud-amd64, -rt-amd64) */
	base = strrchr(dir, '/');
	if (base && strlen(dir) < sizeof(p)) {
		size_t plen = base - dir;
		char *dash;
		int tries = 0;

		memcpy(p, dir, plen);
		p[plen] = '\0';
		snprintf(r, sizeof(r), "%s", base + 1);
		while ((dash = strrchr(r, '-')) && tries++ < 4) {
			char cand[PATH_MAX];

			*dash = '\0';
			if (snprintf(cand, sizeof(cand), "%s/%s-common", p, r) <
			    (int)sizeof(cand) && fsio_is_dir(cand) && has_kconfig_h(cand))
				return snprintf(common, len, "%s", cand) < (int)len ?
					0 : -ENAMETOOLONG;
		}
	}
	if (named[0])
		seterr(why, wlen, "split build tree without its sources: %s (named by its Makefile) has no include/linux/kconfig.h",
			 named);
	else
		seterr(why, wlen, "no include/linux/kconfig.h and no -common tree beside it (install the -common headers package too)");
	return -ENOENT;
}

/*
 * Checks one candidate: @path inside @root. Fills kh on success. -ENOENT:
 * absent; other: present but unusable. @why says which.
 */
static int probe_tree(struct kheaders *kh, const char *root, const char *path,
		      const char *want_release, char *why, size_t wlen)
{
	char dir[PATH_MAX], p[PATH_MAX], text[4096], val[256];
	const char *rel, *arch = arch_kernel_dir(NULL);
	int ret;

	ret = resolve_in(root, path, dir, sizeof(dir));
	if (ret) {
		why_unresolved(root, path, ret, why, wlen);
		return ret == -ENOENT ? -ENOENT : ret;
	}
	if (!fsio_is_dir(dir)) {
		seterr(why, wlen, "not a directory");
		return -ENOTDIR;
	}
	rel = dir + strlen(root);
	if (!join(p, sizeof(p), dir, "include/generated/utsrelease.h"))
		return -ENAMETOOLONG;
	if (fsio_read_small(p, text, sizeof(text)) < 0) {
		seterr(why, wlen, "no include/generated/utsrelease.h (not a configured build tree)");
		return -ENOENT;
	}
	if (!find_define(text, "UTS_RELEASE", val, sizeof(val))) {
		seterr(why, wlen, "include/generated/utsrelease.h has no UTS_RELEASE");
		return -EINVAL;
	}
	if (want_release && strcmp(val, want_release)) {
		seterr(why, wlen, "headers are for %s, not %s", val, want_release);
		return -ESTALE;
	}
	snprintf(kh->release, sizeof(kh->release), "%s", val);
	kh->version_code = 0;
	if (join(p, sizeof(p), dir, "include/generated/uapi/linux/version.h") &&
	    (fsio_read_small(p, text, sizeof(text)) >= 0 ||
	     (join(p, sizeof(p), dir, "include/linux/version.h") &&
	      fsio_read_small(p, text, sizeof(text)) >= 0)) &&
	    find_define(text, "LINUX_VERSION_CODE", val, sizeof(val)))
		kh->version_code = (unsigned int)strtoul(val, NULL, 0);
	if (!kh->version_code)
		kh->version_code = version_of_release(kh->release);
	if (!join(p, sizeof(p), dir, "include/generated/autoconf.h") || !fsio_is_file(p)) {
		seterr(why, wlen, "no include/generated/autoconf.h (not a configured build tree)");
		return -ENOENT;
	}
	if (snprintf(p, sizeof(p), "%s/arch/%s/include/generated", dir, arch) >=
	    (int)sizeof(p) || !fsio_is_dir(p)) {
		seterr(why, wlen, "no arch/%s/include/generated (headers of another architecture?)",
			 arch);
		return -ENOENT;
	}
	ret = find_srctree(root, dir, rel, kh->srctree, sizeof(kh->srctree), why, wlen);
	if (ret)
		return ret;
	snprintf(kh->objtree, sizeof(kh->objtree), "%s", dir);
	snprintf(kh->arch, sizeof(kh->arch), "%s", arch);
	kh->layout = strcmp(kh->srctree, kh->objtree) ? "split" : "complete";
	return 0;
}

/* ---- discovery ---- */

static int use_explicit(struct kheaders *kh, const char *dir, const char *label,
			const char *what, char *err, size_t errlen)
{
	char why[512], abs[PATH_MAX], cwd[PATH_MAX];
	int ret;

	if (dir[0] != '/') {	/* resolve_in() takes paths from the root */
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, dir) >= (int)sizeof(abs)) {
			seterr(err, errlen, "kernel headers %s %s: path too long: give an absolute path",
			       what, dir);
			return -ENAMETOOLONG;
		}
		dir = abs;
	}
	ret = probe_tree(kh, "", dir, NULL, why, sizeof(why));

	if (!ret) {
		kh->source = label;
		note(kh, dir, "ok");
		return 0;
	}
	note(kh, dir, "%s", why);
	seterr(err, errlen, "kernel headers %s %s are not usable: %s: give a configured build tree (one with include/generated), e.g. /lib/modules/$(uname -r)/build",
	       what, dir, why);
	return ret == -ENOENT ? -ENOENT : -EINVAL;
}

int kheaders_find(const char *explicit_dir, const char *release,
		  struct kheaders *kh, char *err, size_t errlen)
{
	static const struct { const char *fmt, *label; } steps[] = {
		{ "/lib/modules/%s/build", "/lib/modules/R/build" },
		{ "/lib/modules/%s/source", "/lib/modules/R/source" },
		{ "/usr/src/linux-headers-%s", "/usr/src/linux-headers-R" },
		{ "/usr/src/kernels/%s", "/usr/src/kernels/R" },
	};
	const char *root = fsio_sysroot(), *env;
	char path[PATH_MAX + 300], why[512], hint[256];
	struct utsname u;
	bool running;
	struct stat st;
	size_t i;
	int ret;

	memset(kh, 0, sizeof(*kh));
	kh->tmpfd = -1;
	kheaders_reap_stale();
	if (uname(&u))
		return -errno;
	if (!release || !*release)
		release = u.release;
	if (strchr(release, '/') || strlen(release) >= sizeof(kh->release)) {
		seterr(err, errlen, "bad kernel release \"%s\": give uname -r of the target", release);
		return -EINVAL;
	}
	running = !strcmp(release, u.release);

	if (explicit_dir && *explicit_dir) {
		char what[128];

		snprintf(what, sizeof(what), "given with %s",
			 bp_setting_name(BP_SET_KERNEL_HEADERS, false));
		return use_explicit(kh, explicit_dir, "option", what, err, errlen);
	}
	env = getenv(KHEADERS_DIR_ENV);
	if (env && *env)
		return use_explicit(kh, env, "env", "in $" KHEADERS_DIR_ENV, err, errlen);

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		snprintf(path, sizeof(path), steps[i].fmt, release);
		ret = probe_tree(kh, root, path, release, why, sizeof(why));
		note(kh, path, "%s", ret ? why : "ok");
		if (!ret) {
			kh->source = steps[i].label;
			return 0;
		}
	}

	/* CONFIG_IKHEADERS: built in, or the kheaders module */
	snprintf(path, sizeof(path), "%s/sys/kernel/kheaders.tar.xz", root);
	if (stat(path, &st) && running && !root[0]) {
		ret = kheaders_modprobe();
		note(kh, "modprobe kheaders", "%s", ret == -ENOENT ? "no modprobe" :
		     ret == -ETIMEDOUT ? "timed out" : ret ? "failed" : "loaded");
	}
	if (!stat(path, &st)) {
		ret = kheaders_extract(path, kh, why, sizeof(why));
		if (ret == -EINTR) {
			seterr(err, errlen, "kernel headers: interrupted while extracting %s", path);
			return ret;
		}
		if (!ret) {
			ret = probe_tree(kh, "", kh->tmpdir, release, why, sizeof(why));
			if (ret)
				kheaders_tmp_remove(kh);
		}
		note(kh, "/sys/kernel/kheaders.tar.xz", "%s", ret ? why : "ok");
		if (!ret) {
			kh->source = "/sys/kernel/kheaders.tar.xz";
			kh->layout = "kheaders.tar.xz";
			kh->extracted = true;
			return 0;
		}
	} else {
		note(kh, "/sys/kernel/kheaders.tar.xz", "absent");
	}

	kh->objtree[0] = kh->srctree[0] = kh->release[0] = '\0';
	kh->layout = NULL;
	kh->version_code = 0;
	kheaders_package_hint(release, hint, sizeof(hint));
	seterr(err, errlen, "no kernel headers for %s: %s, or give %s (tried %s)",
	       release, hint, bp_setting_name(BP_SET_KERNEL_HEADERS, true), kh->tried);
	return -ENOENT;
}

void kheaders_cleanup(struct kheaders *kh)
{
	if (!kh)
		return;
	kheaders_tmp_remove(kh);
	if (kh->extracted) {
		kh->objtree[0] = kh->srctree[0] = '\0';
		kh->extracted = false;
	}
}

int kheaders_check_release(const struct kheaders *kh,
			   const char *running_release, char *err,
			   size_t errlen)
{
	char hint[256];
	struct utsname u;

	if (!running_release) {
		if (uname(&u))
			return -errno;
		running_release = u.release;
	}
	if (!kh->release[0]) {
		seterr(err, errlen, "no kernel headers were found: call kheaders_find() first");
		return -EINVAL;
	}
	if (!strcmp(kh->release, running_release))
		return 0;
	kheaders_package_hint(running_release, hint, sizeof(hint));
	seterr(err, errlen, "headers at %s are for %s, the running kernel is %s: %s, or point %s at headers for %s",
	       kh->objtree, kh->release, running_release, hint,
	       bp_setting_name(BP_SET_KERNEL_HEADERS, false), running_release);
	return -EINVAL;
}

const char *kheaders_describe(const struct kheaders *kh, char *buf, size_t len)
{
	if (!kh->layout || !kh->objtree[0] || kh->extracted)
		/* extracted: the tmpdir differs each run */
		snprintf(buf, len, "%s", kh->layout ? kh->layout : "none");
	else if (!strcmp(kh->layout, "split"))
		snprintf(buf, len, "split tree %s (sources %s)", kh->objtree, kh->srctree);
	else
		snprintf(buf, len, "%s tree %s", kh->layout, kh->objtree);
	return buf;
}

size_t kheaders_include_dirs(const struct kheaders *kh,
			     char dirs[KHEADERS_MAX_INCLUDE][PATH_MAX],
			     char config_h[PATH_MAX])
{
	const char *o = kh->objtree, *s = kh->srctree[0] ? kh->srctree : o;
	const char *a = kh->arch[0] ? kh->arch : arch_kernel_dir(NULL);
	bool fits = true;
	size_t n = 0;

#define DIR(...) (fits = fits && snprintf(dirs[n++], PATH_MAX, __VA_ARGS__) < PATH_MAX)
	config_h[0] = '\0';
	if (!o[0])
		return 0;
	DIR("%s/arch/%s/include", s, a);
	DIR("%s/arch/%s/include/generated", o, a);
	DIR("%s/include", s);
	if (strcmp(s, o))
		DIR("%s/include", o);
	DIR("%s/arch/%s/include/uapi", s, a);
	DIR("%s/arch/%s/include/generated/uapi", o, a);
	DIR("%s/include/uapi", s);
	DIR("%s/include/generated/uapi", o);
#undef DIR
	if (!fits || snprintf(config_h, PATH_MAX, "%s/include/linux/kconfig.h", s) >= PATH_MAX)
		return 0;
	return n;
}
