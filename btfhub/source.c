// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where the BTF for CO-RE relocation comes from, in the order the loader
 * tries: --btf FILE, $BPFPORT_BTF, native /sys/kernel/btf/vmlinux, the
 * embedded minimized archive, a btfhub-archive directory. Each step either
 * yields a BTF that libbpf can open by path, or says why not.
 *
 * External BTF is read into memory (raw or btfhub .btf.tar.xz, decompressed
 * in process), validated (btfhub_btf_validate(), before libbpf sees any of
 * it; wrong-arch BTF is refused), and handed to libbpf as /proc/self/fd/N
 * of a memfd: nothing is written to disk, so nothing is left behind,
 * whatever happens. Native BTF is validated the same way, and libbpf then
 * reads it by path.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "internal.h"
#include "btfhub.h"
#include "util/arch.h"
#include "util/fsio.h"

const char *btf_src_kind_name(enum btf_src_kind kind)
{
	static const char *const names[BTF_SRC_CNT] = {
		[BTF_SRC_FILE] = "file", [BTF_SRC_ENV] = "env",
		[BTF_SRC_NATIVE] = "native", [BTF_SRC_EMBEDDED] = "embedded",
		[BTF_SRC_ARCHIVE] = "archive",
	};

	return kind < BTF_SRC_CNT ? names[kind] : "?";
}

void btf_src_release(struct btf_src *s)
{
	if (s->memfd >= 0)
		close(s->memfd);
	s->memfd = -1;
}

/* The arch a kernel BTF was built for, from struct pt_regs' members, or
 * NULL when it cannot tell (a minimized BTF has no pt_regs). */
const char *btf_arch_guess(const struct btf *btf)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i;

	id = btf__find_by_name_kind(btf, "pt_regs", BTF_KIND_STRUCT);
	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);

		if (!n)
			continue;
		/* arm64 keeps pstate in an anonymous union: orig_x0 is direct */
		if (!strcmp(n, "pstate") || !strcmp(n, "orig_x0"))
			return "arm64";
		if (!strcmp(n, "orig_ax") || !strcmp(n, "di"))
			return "x86_64";
		if (!strcmp(n, "orig_gpr2"))
			return "s390x";
		if (!strcmp(n, "epc"))
			return "riscv64";
	}
	return NULL;
}

/* Checks a BTF blob and puts it behind a memfd for libbpf. */
static int blob_to_src(void *data, size_t size, bool any_arch,
		       struct btf_src *s, const char **reason, char *detail,
		       size_t dlen)
{
	const char *arch;
	struct btf *btf;
	int fd, ret;

	btf = btf__new(data, size);
	if (!btf) {
		*reason = R_BTF_CORRUPT;
		snprintf(detail, dlen, "%s: libbpf cannot parse it (%s)", s->label,
			 strerror(errno));
		return -EINVAL;
	}
	arch = btf_arch_guess(btf);
	/* a preflight answers for another kernel, of any arch */
	if (arch && strcmp(arch, arch_btfhub(NULL)) && !any_arch) {
		*reason = R_BTF_WRONG_ARCH;
		snprintf(detail, dlen, "%s: BTF of an %s kernel, this host is %s",
			 s->label, arch, arch_btfhub(NULL));
		btf__free(btf);
		return -EINVAL;
	}
	btf__free(btf);

	fd = memfd_create("bpfport-btf", MFD_CLOEXEC);
	if (fd < 0) {
		*reason = R_LOAD_FAILED;
		snprintf(detail, dlen, "memfd_create: %s", strerror(errno));
		return -errno;
	}
	ret = fsio_write_all(fd, data, size);
	if (ret) {
		close(fd);
		*reason = R_LOAD_FAILED;
		snprintf(detail, dlen, "memfd write: %s", strerror(-ret));
		return ret;
	}
	s->memfd = fd;
	s->custom = true;
	snprintf(s->path, sizeof(s->path), "/proc/self/fd/%d", fd);
	return 0;
}

int btf_native_check(const char *path, char *detail, size_t dlen)
{
	void *data;
	size_t size;
	int ret;

	if (access(path, F_OK)) {
		snprintf(detail, dlen, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	/* libbpf reads it again by path: the same checks as any BTF first */
	ret = btfhub_read_file(path, &data, &size, detail, dlen);
	free(data);
	return ret;
}

static int file_src(const char *path, bool any_arch, struct btf_src *s,
		    const char **reason, char *detail, size_t dlen)
{
	void *data = NULL;
	size_t size = 0;
	char err[256];
	int ret;

	snprintf(s->label, sizeof(s->label), "%s", path);
	ret = btfhub_read_file(path, &data, &size, err, sizeof(err));
	if (ret) {
		*reason = ret == -ENOENT ? R_BTF_NOT_FOUND : R_BTF_CORRUPT;
		snprintf(detail, dlen, "%s", err);
		return ret;
	}
	ret = blob_to_src(data, size, any_arch, s, reason, detail, dlen);
	free(data);
	return ret;
}

int btf_src_resolve(enum btf_src_kind kind, const struct bpfport_opts *o,
		    struct btf_src *s, const char **reason, char *detail,
		    size_t dlen)
{
	struct btfhub_key key;
	char err[512], path[PATH_MAX];
	const char *p;
	int ret;

	memset(s, 0, sizeof(*s));
	s->memfd = -1;
	s->kind = kind;
	*reason = NULL;
	detail[0] = '\0';

	switch (kind) {
	case BTF_SRC_FILE:
		s->ok_reason = R_BTF_FILE;
		if (!o->btf_path)
			return -ENOENT;
		return file_src(o->btf_path, o->btf_only, s, reason, detail, dlen);
	case BTF_SRC_ENV:
		s->ok_reason = R_BTF_ENV;
		p = getenv("BPFPORT_BTF");
		if (!p || !*p)
			return -ENOENT;
		return file_src(p, false, s, reason, detail, dlen);
	case BTF_SRC_NATIVE:
		s->ok_reason = R_NATIVE_BTF;
		p = native_btf_path();
		snprintf(s->label, sizeof(s->label), "%s", p);
		if (o->hide_native_btf || native_btf_hidden()) {
			*reason = R_NO_NATIVE_BTF;
			snprintf(detail, dlen, "%s: hidden from the loader (%s)", p,
				 bp_setting_name(BP_SET_HIDE_NATIVE_BTF, false));
			return -ENOENT;
		}
		ret = btf_native_check(p, detail, dlen);
		if (ret) {
			*reason = ret == -ENOENT ? R_NO_NATIVE_BTF : R_BTF_CORRUPT;
			return ret;
		}
		snprintf(s->path, sizeof(s->path), "%s", p);
		/* libbpf finds /sys/kernel/btf/vmlinux by itself */
		s->custom = strcmp(p, "/sys/kernel/btf/vmlinux") != 0;
		return 0;
	case BTF_SRC_EMBEDDED:
	case BTF_SRC_ARCHIVE:
		s->ok_reason = kind == BTF_SRC_EMBEDDED ? R_BTF_EMBEDDED : R_BTF_ARCHIVE;
		ret = btfhub_key_from_system(o->os_release, &key, err, sizeof(err));
		if (ret) {
			*reason = R_BTF_NOT_FOUND;
			snprintf(detail, dlen, "%s", err);
			return ret;
		}
		if (kind == BTF_SRC_EMBEDDED) {
			char k[512];
			void *data = NULL;
			size_t size = 0;

			ret = btfhub_embedded_find(&key, &data, &size, k, sizeof(k),
						   err, sizeof(err));
			if (ret) {
				*reason = ret == -ENOTUNIQ ? R_BTF_AMBIGUOUS : R_BTF_NOT_FOUND;
				snprintf(detail, dlen, "embedded archive: %s", err);
				return ret;
			}
			snprintf(s->label, sizeof(s->label), "embedded:%s", k);
			ret = blob_to_src(data, size, false, s, reason, detail, dlen);
			free(data);
			return ret;
		}
		p = o->btf_archive;
		if (!p || access(p, R_OK | X_OK)) {
			*reason = R_BTF_NOT_FOUND;
			snprintf(detail, dlen, "btfhub archive %s: %s (give one with %s)",
				 p ? p : "(none: the executable's dir is unknown)",
				 p ? strerror(errno) : "no default",
				 bp_setting_name(BP_SET_BTF_ARCHIVE, true));
			return -ENOENT;
		}
		ret = btfhub_lookup_dir(p, &key, path, sizeof(path), err, sizeof(err));
		if (ret) {
			*reason = ret == -ENOTUNIQ ? R_BTF_AMBIGUOUS : R_BTF_NOT_FOUND;
			snprintf(detail, dlen, "btfhub archive %s: %s", p, err);
			return ret;
		}
		return file_src(path, false, s, reason, detail, dlen);
	default:
		return -EINVAL;
	}
}
