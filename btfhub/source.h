/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BTF modes' door (btfhub/): where the BTF the CO-RE objects are
 * relocated against comes from, one source kind at a time, in the order
 * the loader's chain tries them. Native BTF is mode core, every other
 * kind mode core-btfhub.
 */
#ifndef BPFPORT_BTF_SOURCE_H
#define BPFPORT_BTF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include <bpfport/bpfport.h>

/* in the order the loader tries them */
enum btf_src_kind {
	BTF_SRC_FILE,		/* --btf FILE */
	BTF_SRC_ENV,		/* $BPFPORT_BTF */
	BTF_SRC_NATIVE,		/* /sys/kernel/btf/vmlinux */
	BTF_SRC_EMBEDDED,	/* minimized archive in the binary */
	BTF_SRC_ARCHIVE,	/* btfhub-archive directory */
	BTF_SRC_CNT,
};

struct btf_src {
	enum btf_src_kind kind;	/* the mode is the chain's (loader/src/chain.c) */
	const char *ok_reason;	/* reason code when chosen */
	char label[4200];	/* for humans: a path or embedded:KEY */
	char path[4096];	/* for libbpf */
	bool custom;		/* hand path to libbpf as btf_custom_path */
	int memfd;		/* -1, or the memfd behind path */
};

struct btf;
const char *btf_src_kind_name(enum btf_src_kind kind);
/* 0: s is usable; -ENOENT: this step does not exist here (reason may be
 * set); other: it exists but is bad (reason and detail say why). */
int btf_src_resolve(enum btf_src_kind kind, const struct bpfport_opts *o,
		    struct btf_src *s, const char **reason, char *detail,
		    size_t dlen);
void btf_src_release(struct btf_src *s);
/* The native BTF at @path (native_btf_path()): 0 when usable; -ENOENT when
 * absent (a kernel without BTF); else it is bad, as btfhub_read_file()
 * says. @detail gets the reason. */
int btf_native_check(const char *path, char *detail, size_t dlen);
const char *btf_arch_guess(const struct btf *btf);
bool native_btf_hidden(void);

#endif /* BPFPORT_BTF_SOURCE_H */
