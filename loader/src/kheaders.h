/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel header discovery for the runtime-compilation mode: finds a
 * configured kernel build tree (one with include/generated), reads which
 * kernel it is for, and gives the compiler flags in kbuild's include order.
 */
#ifndef BPFPORT_KHEADERS_H
#define BPFPORT_KHEADERS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* $BPFPORT_SYSROOT=DIR: every absolute path probed by kheaders_find()
 * (and the absolute symlinks met on the way) is taken inside DIR, as in a
 * chroot: a container with the host mounted at /host sets it to /host. */
#define KHEADERS_SYSROOT_ENV	"BPFPORT_SYSROOT"
#define KHEADERS_DIR_ENV	"BPFPORT_KERNEL_HEADERS"

struct kheaders {
	char dir[PATH_MAX];	/* the arch/build tree: has include/generated */
	char common[PATH_MAX];	/* Debian's -common tree, or same as dir */
	char release[256];	/* include/generated/utsrelease.h UTS_RELEASE */
	unsigned int version_code; /* LINUX_VERSION_CODE */
	const char *source;	/* "option", "env", "/lib/modules/R/build", ... */
	bool extracted;		/* from kheaders.tar.xz into tmpdir */
	char arch[16];		/* kernel arch dir name: "x86", "arm64" */
	char tmpdir[PATH_MAX];	/* private dir to remove (kheaders_cleanup) */
	char tried[1024];	/* "path: reason; ..." of every step tried */
};

/*
 * Finds the headers of kernel @release (NULL: the running kernel). Order:
 * @explicit_dir (--kernel-headers), $BPFPORT_KERNEL_HEADERS,
 * /lib/modules/R/build, /lib/modules/R/source, /usr/src/linux-headers-R,
 * /usr/src/kernels/R, /sys/kernel/kheaders.tar.xz (after a quiet
 * "modprobe kheaders" when it is absent; extracted in process into a
 * private directory under /run or /tmp, removed by kheaders_cleanup()).
 * An explicit dir or $BPFPORT_KERNEL_HEADERS that is not usable is an
 * error (not skipped). A discovered tree for another release is skipped.
 * Every step is logged in kh->tried.
 * Returns 0, -ENOENT when none was found (err names the package to
 * install on this distribution), or -errno.
 */
int kheaders_find(const char *explicit_dir, const char *release,
		  struct kheaders *kh, char *err, size_t errlen);

/* Removes what kheaders_find() extracted; safe to call on any kh (also a
 * zeroed or failed one), and more than once. */
void kheaders_cleanup(struct kheaders *kh);

/*
 * 0 when the headers are for @running_release (NULL: uname -r), else
 * -EINVAL with both releases and the package to install named in err.
 */
int kheaders_check_release(const struct kheaders *kh,
			   const char *running_release, char *err,
			   size_t errlen);

/*
 * The preprocessor and warning flags for compiling against kh, in kbuild's
 * order: -nostdinc -isystem <clang_resource_dir>/include, the arch, generated
 * and uapi include dirs of both trees, -include .../linux/kconfig.h,
 * -D__KERNEL__ and the warnings kernel headers need silenced.
 * *argv is one allocation (pointers and strings): free(*argv) releases it.
 * Returns 0, -EINVAL (no resource dir) or -ENOMEM.
 */
int kheaders_cflags(const struct kheaders *kh, const char *clang_resource_dir,
		    const char ***argv, size_t *argc);

/* uname -m to the kernel's arch directory ("x86_64" -> "x86",
 * "aarch64" -> "arm64"); NULL: the running machine. */
const char *kheaders_arch(const char *machine);

/* "install linux-headers-R" (or the distro's name for it, from
 * $BPFPORT_OS_RELEASE or <sysroot>/etc/os-release) into buf. */
void kheaders_package_hint(const char *release, char *buf, size_t len);

#endif /* BPFPORT_KHEADERS_H */
