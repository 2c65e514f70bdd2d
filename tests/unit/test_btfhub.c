// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the btfhub data layer: test_btfhub read|lookup|embedded.
 * Env: BPFPORT_FIXTURES (tests/fixtures), BPFPORT_BTFHUB_ARCHIVE (the
 * shared btfhub-archive sample with KERNELS.txt). A group that needs the
 * archive exits 77 ("SKIP: reason") without it, or fails under CI.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "btfhub.h"
#include "util/arch.h"
#include "util/fsio.h"
#include "check.h"

static const char *fixtures;	/* .../tests/fixtures/btfhub */
static const char *archive;	/* the btfhub-archive sample, or NULL */

static const char *fx(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	return path;
}

static const char *arc(const char *rel)
{
	static char path[8192];

	snprintf(path, sizeof(path), "%s/%s", archive, rel);
	return path;
}

/* A whole file (NUL-terminated), or NULL. */
static void *slurp(const char *path, size_t *n)
{
	void *buf;

	return fsio_read_file(path, 1u << 30, &buf, n) ? NULL : buf;
}

/* Bit offset of @member in struct @sname, looking into anonymous members
 * (as CO-RE does); -1 when absent. */
static long member_bits(const struct btf *btf, int id, const char *member, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_composite(t) || depth > 8)
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		long sub;
		int tid;

		if (n && !strcmp(n, member))
			return btf_member_bit_offset(t, i);
		if (n && *n)
			continue;
		tid = m->type;
		for (t = btf__type_by_id(btf, tid); t && (btf_is_mod(t) || btf_is_typedef(t));
		     t = btf__type_by_id(btf, tid))
			tid = t->type;
		sub = member_bits(btf, tid, member, depth + 1);
		t = btf__type_by_id(btf, id);
		if (sub >= 0)
			return btf_member_bit_offset(t, i) + sub;
	}
	return -1;
}

/* Byte offset of @sname.@member in @btf; -1 when absent. */
static long field_off(const struct btf *btf, const char *sname, const char *member)
{
	int id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	long off = id > 0 ? member_bits(btf, id, member, 0) : -1;

	return off < 0 ? -1 : off / 8;
}

/* The same from raw BTF; -2 when libbpf rejects it. */
static long field_offset(const void *data, size_t size, const char *sname,
			 const char *member)
{
	struct btf *btf = btf__new(data, size);
	long off;

	if (!btf)
		return -2;
	off = field_off(btf, sname, member);
	btf__free(btf);
	return off;
}

/* ---------------------------------------------------------------- read */

static const struct bad_input {
	const char *file;
	int err;
	const char *msg;
} bad_inputs[] = {
	{ "empty.btf", -ENOEXEC, "empty (0 bytes)" },
	{ "random.bin", -ENOEXEC, "not BTF" },
	{ "gzip.btf.tar.gz", -ENOEXEC, "gzip" },
	{ "bigendian.btf", -ENOEXEC, "other byte order" },
	{ "notbtf-payload.btf.tar.xz", -ENOEXEC, "not BTF" },
	{ "badhdr.btf", -EBADMSG, "header length" },
	{ "badsec.btf", -EBADMSG, "sections" },
	{ "truncated-xz.btf.tar.xz", -EBADMSG, "xz data truncated" },
	{ "corrupt-xz.btf.tar.xz", -EBADMSG, "corrupt xz data" },
	{ "truncated-tar.btf.tar.xz", -EBADMSG, "truncated" },
	{ "badsum.btf.tar.xz", -EBADMSG, "checksum" },
	{ "dotdot.btf.tar.xz", -EPERM, "\"../evil.btf\" has a '..' component" },
	{ "pax-evil.btf.tar.xz", -EPERM, "\"../evil.btf\" has a '..' component" },
	{ "absolute.btf.tar.xz", -EPERM, "absolute path" },
	{ "symlink.btf.tar.xz", -EPERM, "symbolic link" },
	{ "hardlink.btf.tar.xz", -EPERM, "hard link" },
	{ "two.btf.tar.xz", -ENOTUNIQ, "two .btf entries" },
	{ "nobtf.btf.tar.xz", -ENODATA, "no *.btf file" },
	{ "hugesize.btf.tar.xz", -EFBIG, "over the 256 MiB limit" },
	{ "bomb.xz", -EFBIG, "decompresses to more than" },
	{ "no-such-file.btf.tar.xz", -ENOENT, "no such file" },
};

static void read_fixtures(void)
{
	static const char *const good[] = {
		"good.btf.tar.xz", "good.tar", "longname.btf.tar.xz",
		"pax-longname.btf.tar.xz",
	};
	void *ref, *data = (void *)1, *buf;
	size_t refsize, size = 1, n, i, cut;
	char err[512];

	ref = slurp(fx("good.btf"), &refsize);
	CHECK(ref && refsize > 24);
	CHECK(btfhub_read_file(fx("good.btf"), &data, &size, err, sizeof(err)) == 0);
	CHECK(size == refsize && !memcmp(data, ref, size));
	CHECK(field_offset(data, size, "task_struct", "real_parent") == 8);
	free(data);
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		int ret = btfhub_read_file(fx(good[i]), &data, &size, err, sizeof(err));

		if (ret)
			fprintf(stderr, "%s: %s\n", good[i], err);
		CHECK(ret == 0 && size == refsize && !memcmp(data, ref, size));
		free(data);
	}

	for (i = 0; i < sizeof(bad_inputs) / sizeof(*bad_inputs); i++) {
		const struct bad_input *b = &bad_inputs[i];

		err[0] = '\0';
		data = (void *)1;
		size = 1;
		CHECK_ERR(btfhub_read_file(fx(b->file), &data, &size, err, sizeof(err)),
			  b->err, err, b->msg);
		CHECK(data == NULL && size == 0);
	}
	CHECK_ERR(btfhub_read_file(fixtures, &data, &size, err, sizeof(err)), -EISDIR,
		  err, "not a regular file");
	/* no message buffer at all is fine */
	CHECK(btfhub_read_file(fx("empty.btf"), &data, &size, NULL, 0) == -ENOEXEC);
	/* a short message buffer truncates, never overflows */
	CHECK(btfhub_read_file(fx("dotdot.btf.tar.xz"), &data, &size, err, 8) == -EPERM);
	CHECK(strlen(err) == 7);

	/* every prefix of a good tarball, and bit flips: an error or the same
	 * BTF, never a crash (ASan/UBSan builds check the "never") */
	buf = slurp(fx("good.btf.tar.xz"), &n);
	for (cut = 0; buf && cut < n; cut++) {
		CHECK(btfhub_read_mem(buf, cut, "cut", &data, &size, err, sizeof(err)) < 0);
		CHECK(data == NULL);
	}
	free(buf);
	buf = slurp(fx("good.tar"), &n);
	for (cut = 0; buf && cut < 2048; cut += 3) {
		int ret = btfhub_read_mem(buf, cut, "cut", &data, &size, err, sizeof(err));

		CHECK(ret < 0);
	}
	srand(7);
	for (i = 0; buf && i < 3000; i++) {
		unsigned char *p = buf;
		size_t at = (size_t)rand() % 2048;
		unsigned char bit = (unsigned char)(1u << (rand() % 8));
		int ret;

		p[at] ^= bit;
		ret = btfhub_read_mem(buf, n, "flip", &data, &size, err, sizeof(err));
		CHECK(ret < 0 || (size == refsize && data));
		free(data);
		p[at] ^= bit;
	}
	free(buf);
	free(ref);
}

static const struct real_kernel {
	const char *rel;
	size_t btf_size;
	long tgid, real_parent;	/* byte offsets, -1: not checked */
} real_kernels[] = {
	{ "amzn/2/x86_64/4.14.262-200.489.amzn2.x86_64.btf.tar.xz", 3116518, 2228, 2240 },
	{ "bclinux/21.10U3/x86_64/4.19.90-2107.6.0.0248.35.oe1.bclinux.x86_64.btf.tar.xz",
	  3712467, -1, -1 },
	{ "centos/8/arm64/4.18.0-147.5.1.el8_1.aarch64.btf.tar.xz", 27031815, 1860, 1872 },
	{ "ubuntu/18.04/x86_64/4.15.0-1054-aws.btf.tar.xz", 3835203, 2220, 2232 },
	{ "ubuntu/20.04/x86_64/5.4.0-1029-aws.btf.tar.xz", 4395872, -1, -1 },
};

static int test_read(void)
{
	char err[512];
	size_t i;

	read_fixtures();
	if (!archive)
		return skip_test("BPFPORT_BTFHUB_ARCHIVE not set or not a directory: the real "
			    "btfhub tarballs were not read");
	for (i = 0; i < sizeof(real_kernels) / sizeof(*real_kernels); i++) {
		const struct real_kernel *r = &real_kernels[i];
		void *data = NULL;
		size_t size = 0;
		int ret = btfhub_read_file(arc(r->rel), &data, &size, err, sizeof(err));

		if (ret)
			fprintf(stderr, "%s: %s\n", r->rel, err);
		CHECK(ret == 0 && size == r->btf_size);
		if (!ret) {
			struct btf *btf = btf__new(data, size);
			long tgid = btf ? field_off(btf, "task_struct", "tgid") : -2;
			long rp = btf ? field_off(btf, "task_struct", "real_parent") : -2;

			CHECK(tgid > 0 && rp > tgid);
			CHECK(r->tgid < 0 || (tgid == r->tgid && rp == r->real_parent));
			CHECK(btf && field_off(btf, "tcp_sock", "bytes_acked") > 0);
			btf__free(btf);
		}
		free(data);
	}
	return 0;
}

/* -------------------------------------------------------------- lookup */

static struct btfhub_key mkkey(const char *id, const char *ver, const char *arch,
			       const char *rel)
{
	struct btfhub_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "%s", id);
	snprintf(k.version_id, sizeof(k.version_id), "%s", ver);
	snprintf(k.arch, sizeof(k.arch), "%s", arch);
	snprintf(k.release, sizeof(k.release), "%s", rel);
	return k;
}

/* From a path "<id>/<ver>/<arch>/<release>.btf". */
static struct btfhub_key key_of(const char *path)
{
	char id[64], ver[64], ar[32], rel[256];

	if (sscanf(path, "%63[^/]/%63[^/]/%31[^/]/%255s", id, ver, ar, rel) != 4)
		return mkkey("", "", "", "");
	rel[strlen(rel) - 4] = '\0';	/* .btf */
	return mkkey(id, ver, ar, rel);
}

static void lookup_rules(void)
{
	static const char *const list[] = {
		"ubuntu/18.04/x86_64/5.4.0-1.btf",
		"ubuntu/20.04/x86_64/5.4.0-1.btf.tar.xz",
		"ubuntu/20.04/x86_64/5.4.0-1.btf",	/* same key as above: once */
		"centos/7/x86_64/3.10.0-1.el7.btf",
		"ol/7/x86_64/3.10.0-1.el7.btf",
		"rhel/7/x86_64/3.10.0-1.el7.btf",
		"/abs/prefix/fedora/31/arm64/5.3.7-1.fc31.aarch64.btf",
		"bad/path.btf", "x/y/z/noext", "", "a//b/c.btf",
	};
	const size_t n = sizeof(list) / sizeof(*list);
	const char *many[8];
	char buf[8][64], err[1024];
	struct btfhub_key k;
	size_t m = 99, i;

	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1");
	CHECK(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)) == 0 && m == 1);
	k = mkkey("ubuntu", "22.04", "x86_64", "5.4.0-1");
	CHECK_ERR(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "under 2 IDs/versions, none ubuntu/22.04: ubuntu/18.04/x86_64/5.4.0-1.btf, "
		  "ubuntu/20.04/x86_64/5.4.0-1.btf.tar.xz;");
	/* rule 3: RHEL says VERSION_ID="7.9", btfhub says 7 */
	k = mkkey("rhel", "7.9", "x86_64", "3.10.0-1.el7");
	CHECK(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)) == 0 && m == 5);
	k = mkkey("almalinux", "8.5", "x86_64", "3.10.0-1.el7");
	CHECK_ERR(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "under 3 IDs/versions");
	/* rule 2 and the last four components of a longer path */
	k = mkkey("debian", "12", arch_btfhub("aarch64"), "5.3.7-1.fc31.aarch64");
	CHECK(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)) == 0 && m == 6);
	k = mkkey("fedora", "31", "aarch64", "5.3.7-1.fc31.aarch64");
	CHECK_ERR(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)), -ENOENT, err,
		  "neither fedora/31/aarch64/5.3.7-1.fc31.aarch64.btf[.tar.xz]");
	CHECK_ERR(btfhub_lookup_paths(NULL, 0, &k, &m, err, sizeof(err)), -ENOENT, err,
		  "no BTF for fedora 31 aarch64 kernel 5.3.7-1.fc31.aarch64");
	k = mkkey("ubuntu", "20.04", "x86_64", "");
	CHECK(btfhub_lookup_paths(list, n, &k, &m, err, sizeof(err)) == -EINVAL);
	/* more than five candidates */
	for (i = 0; i < 8; i++) {
		snprintf(buf[i], sizeof(buf[i]), "sles/15.%zu/x86_64/5.3.18-1.btf", i);
		many[i] = buf[i];
	}
	k = mkkey("sles", "16", "x86_64", "5.3.18-1");
	CHECK_ERR(btfhub_lookup_paths(many, 8, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "sles/15.4/x86_64/5.3.18-1.btf and 3 more;");
	CHECK_ERR(btfhub_lookup_paths(many, 8, &k, &m, err, 40), -ENOTUNIQ, err, "");
	CHECK(strlen(err) == 39);
}

static void lookup_key(void)
{
	struct btfhub_key k;
	struct utsname u;
	char err[512];

	CHECK(uname(&u) == 0);
	CHECK(btfhub_key_from_system(fx("os-release-ubuntu"), &k, err, sizeof(err)) == 0);
	CHECK_STR(k.id, "ubuntu");
	CHECK_STR(k.version_id, "20.04");
	CHECK_STR(k.arch, arch_btfhub(u.machine));
	CHECK_STR(k.release, u.release);
	CHECK(btfhub_key_from_system(fx("os-release-rhel"), &k, err, sizeof(err)) == 0);
	CHECK_STR(k.id, "rhel");
	CHECK_STR(k.version_id, "8.2");
	/* no ID=: the wrong file, not a distribution (util/osrelease.h) */
	CHECK_ERR(btfhub_key_from_system(fx("os-release-noid"), &k, err, sizeof(err)),
		  -ENOENT, err, "has no ID= line");
	CHECK_ERR(btfhub_key_from_system(fx("os-release-long"), &k, err, sizeof(err)),
		  -ENAMETOOLONG, err, "longer than 63 bytes");
	CHECK_ERR(btfhub_key_from_system(fx("no-such-os-release"), &k, err, sizeof(err)),
		  -ENOENT, err, "name the host's os-release file");
	/* this host: /etc/os-release or /usr/lib/os-release */
	if (!access("/etc/os-release", R_OK) || !access("/usr/lib/os-release", R_OK)) {
		CHECK(btfhub_key_from_system(NULL, &k, err, sizeof(err)) == 0);
		CHECK(k.id[0] != '\0');
	}
}

static void mkfile(const char *root, const char *rel)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

static void mkdirs(const char *root, const char *rel)
{
	char path[4096], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void mklink(const char *root, const char *rel, const char *target)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	CHECK(symlink(target, path) == 0);
}

/* A directory with symlinks in, out and in circles. */
static void lookup_tree(void)
{
	char top[] = "/tmp/test_btfhub.XXXXXX", root[4096], path[4096], err[1024], cmd[4200];
	struct btfhub_key k;
	time_t t0;

	if (!mkdtemp(top)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(root, sizeof(root), "%s/archive", top);
	mkdirs(root, "ubuntu/20.04/x86_64");
	mkdirs(root, "rhel/8/x86_64");
	mkdirs(top, "outside/1/x86_64");
	mkdirs(root, "loop/1");
	mkfile(root, "ubuntu/20.04/x86_64/5.4.0-1.btf.tar.xz");
	mkfile(root, "rhel/8/x86_64/4.18.0-193.el8.x86_64.btf.tar.xz");
	mkfile(top, "outside/1/x86_64/6.6.6-out.btf");
	mklink(root, "rhel/8.2", "8");				/* in the tree: followed */
	mklink(root, "evil", "../outside");			/* out: never followed */
	mklink(root, "ubuntu/20.04/x86_64/6.6.6-out.btf",
	       "../../../../outside/1/x86_64/6.6.6-out.btf");	/* out, a file */
	mklink(root, "loop/1/x86_64", "..");			/* loops */
	mklink(root, "loop/2", "../loop");
	mklink(root, "self", ".");

	t0 = time(NULL);
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1");
	CHECK(btfhub_lookup_dir(root, &k, path, sizeof(path), err, sizeof(err)) == 0);
	CHECK(strstr(path, "/archive/ubuntu/20.04/x86_64/5.4.0-1.btf.tar.xz") != NULL);
	k = mkkey("rhel", "8.2", "x86_64", "4.18.0-193.el8.x86_64");
	CHECK(btfhub_lookup_dir(root, &k, path, sizeof(path), err, sizeof(err)) == 0);
	CHECK(strstr(path, "/archive/rhel/8.2/x86_64/") != NULL);
	k = mkkey("evil", "1", "x86_64", "6.6.6-out");
	CHECK_ERR(btfhub_lookup_dir(root, &k, path, sizeof(path), err, sizeof(err)),
		  -ENOENT, err, "evil/1/x86_64/6.6.6-out.btf");
	k = mkkey("loop", "1", "x86_64", "nothing");
	CHECK(btfhub_lookup_dir(root, &k, path, sizeof(path), err, sizeof(err)) == -ENOENT);
	CHECK(time(NULL) - t0 < 10);
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1");
	CHECK_ERR(btfhub_lookup_dir(root, &k, path, 10, err, sizeof(err)), -ENAMETOOLONG,
		  err, "too long");
	CHECK_ERR(btfhub_lookup_dir("/nonexistent/btfhub", &k, path, sizeof(path), err,
				    sizeof(err)), -ENOENT, err, "/nonexistent/btfhub");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	CHECK(system(cmd) == 0);
}

/* KERNELS.txt: 3,973 real btfhub paths. */
static void lookup_kernels(void)
{
	char *text, *line, *save = NULL, err[2048], path[4096];
	struct btfhub_key *keys;
	const char **paths = NULL;
	size_t n = 0, len, i, j, m, uniq = 0, ambig = 0, other = 0, tried = 0;
	struct btfhub_key k;
	int ret;

	text = slurp(arc("KERNELS.txt"), &len);
	CHECK(text != NULL);
	if (!text)
		return;
	text[len] = '\0';
	paths = calloc(len / 8 + 1, sizeof(*paths));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			paths[n++] = line;
	CHECK(n == 3973);

	keys = calloc(n, sizeof(*keys));
	for (i = 0; i < n; i++)
		keys[i] = key_of(paths[i]);
	/* every path is found by its own key, exactly */
	for (i = 0; i < n; i++) {
		k = keys[i];
		ret = btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err));
		if (ret || m != i) {
			fprintf(stderr, "exact %s: %d %s\n", paths[i], ret, ret ? err : paths[m]);
			failures++;
		}
	}
	/* a distro not in the archive: the release-only rule, once per
	 * (arch, release): unique ones resolve, shared ones are ambiguous */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(keys[i].release, keys[j].release) &&
			    !strcmp(keys[i].arch, keys[j].arch))
				break;
		if (j < i)
			continue;
		tried++;
		k = mkkey("nosuchos", "1", keys[i].arch, keys[i].release);
		ret = btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err));
		if (ret == 0 && m == i)
			uniq++;
		else if (ret == -ENOTUNIQ && strstr(err, paths[i]))
			ambig++;
		else
			other++;
	}
	printf("KERNELS.txt: %zu paths, %zu (arch, release) pairs: %zu unique, "
	       "%zu under several IDs/versions\n", n, tried, uniq, ambig);
	CHECK(tried == 3377 && uniq == 2838 && ambig == 539 && other == 0);

	/* Ubuntu HWE kernels: one release under 16.04 and 18.04 */
	k = mkkey("ubuntu", "22.04", "x86_64", "4.15.0-101-generic");
	CHECK_ERR(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "ubuntu/16.04/x86_64/4.15.0-101-generic.btf, "
		  "ubuntu/18.04/x86_64/4.15.0-101-generic.btf;");
	k = mkkey("ubuntu", "18.04", "x86_64", "4.15.0-101-generic");
	CHECK(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)) == 0);
	CHECK_STR(paths[m], "ubuntu/18.04/x86_64/4.15.0-101-generic.btf");
	/* RHEL 7.9 on a kernel CentOS, OL and RHEL 7 all have */
	k = mkkey("rhel", "7.9", "x86_64", "3.10.0-1160.el7.x86_64");
	ret = btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err));
	CHECK(ret == 0 && !strcmp(paths[m], "rhel/7/x86_64/3.10.0-1160.el7.x86_64.btf"));
	k = mkkey("rocky", "8.6", "x86_64", "3.10.0-1160.el7.x86_64");
	CHECK_ERR(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)), -ENOTUNIQ, err,
		  "centos/7/x86_64/3.10.0-1160.el7.x86_64.btf, ol/7/");
	/* arm64: uname says aarch64, btfhub says arm64 */
	k = mkkey("amzn", "2", arch_btfhub("aarch64"), "4.14.101-91.76.amzn2.aarch64");
	CHECK(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)) == 0);
	CHECK_STR(paths[m], "amzn/2/arm64/4.14.101-91.76.amzn2.aarch64.btf");
	k = mkkey("amzn", "2", "aarch64", "4.14.101-91.76.amzn2.aarch64");
	CHECK_ERR(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)), -ENOENT, err,
		  "amzn/2/aarch64/4.14.101-91.76.amzn2.aarch64.btf");
	/* the same release name on the other arch does not count */
	k = mkkey("ubuntu", "20.04", "arm64", "5.4.0-1018-gcp");
	CHECK(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)) == -ENOENT);
	/* unknown kernel */
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-9999-unknown");
	CHECK_ERR(btfhub_lookup_paths(paths, n, &k, &m, err, sizeof(err)), -ENOENT, err,
		  "neither ubuntu/20.04/x86_64/5.4.0-9999-unknown.btf[.tar.xz] nor");

	/* the sample directory itself */
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1029-aws");
	CHECK(btfhub_lookup_dir(archive, &k, path, sizeof(path), err, sizeof(err)) == 0);
	CHECK_STR(path, arc("ubuntu/20.04/x86_64/5.4.0-1029-aws.btf.tar.xz"));
	k = mkkey("rhel", "8.1", arch_btfhub("aarch64"), "4.18.0-147.5.1.el8_1.aarch64");
	CHECK(btfhub_lookup_dir(archive, &k, path, sizeof(path), err, sizeof(err)) == 0);
	CHECK_STR(path, arc("centos/8/arm64/4.18.0-147.5.1.el8_1.aarch64.btf.tar.xz"));
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-9999-unknown");
	CHECK(btfhub_lookup_dir(archive, &k, path, sizeof(path), err, sizeof(err)) == -ENOENT);
	free(keys);
	free(paths);
	free(text);
}

static int test_lookup(void)
{
	lookup_rules();
	lookup_key();
	lookup_tree();
	if (!archive)
		return skip_test("BPFPORT_BTFHUB_ARCHIVE not set or not a directory: "
			    "KERNELS.txt lookups not run");
	lookup_kernels();
	return 0;
}

/* ------------------------------------------------------------ embedded */

static int test_embedded(void)
{
	struct btfhub_key k;
	const char *key, *prev = "";
	char err[1024], keyout[512];
	void *data = NULL;
	size_t size, esize;
	int count, i, ret;

	count = btfhub_embedded_count();
	if (count == -ENODATA) {
		k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1029-aws");
		CHECK_ERR(btfhub_embedded_find(&k, &data, &size, keyout, sizeof(keyout),
					       err, sizeof(err)), -ENODATA, err,
			  "built without BTFHUB_ARCHIVE");
		CHECK(btfhub_embedded_entry(0, &key, &esize) == -ERANGE);
		return skip_test("built without -DBTFHUB_ARCHIVE: nothing embedded to check");
	}
	CHECK(count > 0);
	printf("embedded: %d kernels\n", count);
	for (i = 0; i < count; i++) {
		CHECK(btfhub_embedded_entry(i, &key, &esize) == 0);
		CHECK(strcmp(prev, key) < 0);	/* sorted, unique */
		prev = key;
		ret = btfhub_embedded_get(i, &data, &size, err, sizeof(err));
		if (ret)
			fprintf(stderr, "%s: %s\n", key, err);
		CHECK(ret == 0 && size == esize);
		/* every entry passed the build-time check */
		CHECK(!ret && field_offset(data, size, "task_struct", "real_parent") > 0);
		if (!ret && archive) {
			/* minimizing kept the layout of the full BTF */
			static const char *const fields[][2] = {
				{ "task_struct", "tgid" }, { "task_struct", "real_parent" },
				{ "tcp_sock", "bytes_acked" },
			};
			struct btf *min = btf__new(data, size), *big = NULL;
			char src[4096];
			void *full = NULL;
			size_t fsize, f;

			snprintf(src, sizeof(src), "%s.tar.xz", key);
			if (!access(arc(src), R_OK) &&
			    !btfhub_read_file(arc(src), &full, &fsize, err, sizeof(err)))
				big = btf__new(full, fsize);
			for (f = 0; min && big && f < sizeof(fields) / sizeof(*fields); f++)
				CHECK(field_off(min, fields[f][0], fields[f][1]) ==
				      field_off(big, fields[f][0], fields[f][1]));
			btf__free(min);
			btf__free(big);
			free(full);
		}
		free(data);
	}
	CHECK(btfhub_embedded_entry(count, &key, &esize) == -ERANGE);
	CHECK_ERR(btfhub_embedded_get(count, &data, &size, err, sizeof(err)), -ERANGE, err,
		  "only");

	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-1029-aws");
	ret = btfhub_embedded_find(&k, &data, &size, keyout, sizeof(keyout), err, sizeof(err));
	if (ret)
		fprintf(stderr, "embedded ubuntu 20.04 5.4.0-1029-aws: %s\n", err);
	CHECK(ret == 0);
	CHECK_STR(keyout, "ubuntu/20.04/x86_64/5.4.0-1029-aws.btf");
	CHECK(!ret && field_offset(data, size, "task_struct", "real_parent") == 2256);
	free(data);
	/* rule 2 through the embedded index: a host that calls itself rhel */
	k = mkkey("rhel", "8.1", "arm64", "4.18.0-147.5.1.el8_1.aarch64");
	CHECK(btfhub_embedded_find(&k, &data, &size, keyout, sizeof(keyout), err,
				   sizeof(err)) == 0);
	CHECK_STR(keyout, "centos/8/arm64/4.18.0-147.5.1.el8_1.aarch64.btf");
	free(data);
	k = mkkey("ubuntu", "20.04", "x86_64", "5.4.0-9999-unknown");
	CHECK_ERR(btfhub_embedded_find(&k, &data, &size, keyout, sizeof(keyout), err,
				       sizeof(err)), -ENOENT, err, "5.4.0-9999-unknown");
	CHECK(data == NULL && keyout[0] == '\0');
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} groups[] = {
		{ "read", test_read }, { "lookup", test_lookup },
		{ "embedded", test_embedded },
	};
	static char fxdir[4096];
	const char *env = getenv("BPFPORT_FIXTURES");
	struct stat st;
	size_t i;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: test_btfhub read|lookup|embedded\n");
		return 2;
	}
	snprintf(fxdir, sizeof(fxdir), "%s/btfhub", env ? env : "tests/fixtures");
	fixtures = fxdir;
	archive = getenv("BPFPORT_BTFHUB_ARCHIVE");
	if (archive && (stat(archive, &st) || !S_ISDIR(st.st_mode)))
		archive = NULL;
	for (i = 0; i < sizeof(groups) / sizeof(*groups); i++) {
		if (strcmp(argv[1], groups[i].name))
			continue;
		ret = groups[i].fn();
		if (failures) {
			printf("FAIL: %d check(s) failed\n", failures);
			return 1;
		}
		return ret;
	}
	fprintf(stderr, "unknown group %s\n", argv[1]);
	return 2;
}
