/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel headers for the runtime-compilation mode: the one place that
 * knows their layouts. Finds a configured kernel build tree (one with
 * include/generated), tells its source tree from its build tree, reads
 * which kernel it is for, and gives the include dirs a compile against it
 * needs, in Kbuild's order. Discovery, `check`, the cache key and the
 * compile all take the tree from here.
 *
 * Layouts understood:
 *  - complete: sources and generated files in one tree, with the kernel's
 *    own top-level Makefile: RHEL/CentOS kernel-devel (/usr/src/kernels/R),
 *    Fedora, Arch, Ubuntu (through symlinks), self-built and in-tree builds;
 *  - split: a build tree (generated files) whose sources are elsewhere:
 *    Debian's linux-headers-R-<flavour> naming linux-headers-R-common in
 *    its Makefile ("include DIR/Makefile", older "-C DIR"), or beside it;
 *    an O= build dir with its "source" link;
 *  - kheaders.tar.xz (CONFIG_IKHEADERS), extracted: both halves merged.
 * Paths are resolved like in a chroot below $BPFPORT_SYSROOT, symlinks
 * included (/lib/modules/R/build -> /usr/src/kernels/R).
 */
#ifndef BPFPORT_KHEADERS_H
#define BPFPORT_KHEADERS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/fsio.h"

/* $BPFPORT_SYSROOT=DIR: every absolute path probed by kheaders_find()
 * (and the absolute symlinks met on the way) is taken inside DIR, as in a
 * chroot: a container with the host mounted at /host sets it to /host. */
#define KHEADERS_SYSROOT_ENV	FSIO_SYSROOT_ENV	/* "BPFPORT_SYSROOT" */
#define KHEADERS_DIR_ENV	"BPFPORT_KERNEL_HEADERS"

struct kheaders {
	char objtree[PATH_MAX];	/* the build tree: has include/generated */
	char srctree[PATH_MAX];	/* the sources: include/linux/kconfig.h;
				 * the same as objtree in a complete tree */
	const char *layout;	/* "complete", "split", "kheaders.tar.xz" */
	char release[256];	/* include/generated/utsrelease.h UTS_RELEASE */
	unsigned int version_code; /* LINUX_VERSION_CODE */
	const char *source;	/* "option", "env", "/lib/modules/R/build", ... */
	bool extracted;		/* from kheaders.tar.xz into tmpdir */
	char arch[16];		/* kernel arch dir name: "x86", "arm64" */
	char tmpdir[PATH_MAX];	/* private dir to remove (kheaders_cleanup) */
	int tmpfd;		/* when tmpdir[0]: its fd, locked while in use */
	char tried[1024];	/* "path: reason; ..." of every step tried */
};

/*
 * Finds the headers of kernel @release (NULL: the running kernel). Order:
 * @explicit_dir (--kernel-headers), $BPFPORT_KERNEL_HEADERS,
 * /lib/modules/R/build, /lib/modules/R/source, /usr/src/linux-headers-R,
 * /usr/src/kernels/R, /sys/kernel/kheaders.tar.xz (after a quiet
 * "modprobe kheaders" when it is absent; extracted in process into a
 * private directory under /run or /tmp, removed by kheaders_cleanup()).
 * First it removes what a killed process left there (kheaders_reap_stale()).
 * An explicit dir or $BPFPORT_KERNEL_HEADERS that is not usable is an
 * error (not skipped). A discovered tree for another release is skipped.
 * Every step is logged in kh->tried.
 * Returns 0, -ENOENT when none was found (err names the package to
 * install on this distribution), -EINTR (bpfport_interrupt(): nothing
 * left extracted), or -errno.
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

/* One line naming the tree and its layout, for check, the logs and the
 * cache key: "complete tree /usr/src/kernels/R", "split tree /usr/src/
 * linux-headers-R-amd64 (sources /usr/src/linux-headers-R-common)",
 * "kheaders.tar.xz". */
const char *kheaders_describe(const struct kheaders *kh, char *buf, size_t len);

#define KHEADERS_MAX_INCLUDE	8

/*
 * The include dirs of a compile against kh, in Kbuild's order (its
 * LINUXINCLUDE, then USERINCLUDE): srctree's arch/A/include, objtree's
 * arch/A/include/generated, include (of both trees when they differ), then
 * the uapi and generated/uapi dirs; and in @config_h the header Kbuild
 * -includes first, <srctree>/include/linux/kconfig.h.
 * Returns how many dirs (0 when kh holds no tree, or a path is too long).
 */
size_t kheaders_include_dirs(const struct kheaders *kh,
			     char dirs[KHEADERS_MAX_INCLUDE][PATH_MAX],
			     char config_h[PATH_MAX]);

/* "install linux-headers-R" (or the distro's name for it, from
 * $BPFPORT_OS_RELEASE or <sysroot>/etc/os-release) into buf. */
void kheaders_package_hint(const char *release, char *buf, size_t len);

/* ---- kheaders.tar.xz (kheaders_extract.c), for kheaders_find() ---- */
/* Extracts @tarxz into a new private directory (0700) under /run or /tmp,
 * /run/bpfport-kheaders-XXXXXX: its path in kh->tmpdir, its fd in
 * kh->tmpfd, locked (flock) until kheaders_tmp_remove(). On failure
 * nothing is left and @why says why (-EINTR: bpfport_interrupt()). */
int kheaders_extract(const char *tarxz, struct kheaders *kh, char *why, size_t wlen);
/* Removes kh->tmpdir (never following a link), then drops its lock; safe
 * when there is none. */
void kheaders_tmp_remove(struct kheaders *kh);
/* Removes the private directories that a killed process left under /run
 * and /tmp: only ours by name (bpfport-kheaders-XXXXXX), a directory, not
 * a link, owned by this euid, and locked by no live process (this one's
 * included: a lock is per open file). bpfport__open() and kheaders_find()
 * call it, so every start cleans up. */
void kheaders_reap_stale(void);
/* "modprobe -q kheaders" with a timeout: 0, -ENOENT (no modprobe),
 * -ETIMEDOUT, -EINTR (bpfport_interrupt()), or another failure. */
int kheaders_modprobe(void);

#endif /* BPFPORT_KHEADERS_H */
