// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The request a compile sends the helper, written by the parent before
 * fork() into a memfd that becomes the helper's fd 0: the clang driver
 * arguments (Kbuild's order with kernel headers), the in-memory files, the
 * BPF CPU and the dirs whose function bodies the parser may skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpfport/rtc.h"
#include "rtc_internal.h"
#include "request.h"
#include "util/arch.h"
#include "util/fsio.h"

/* Warnings kernel headers give under clang (6.1..6.12 with clang-14). */
static const char *const kernel_warnings[] = {
	"-Wno-unknown-warning-option",
	"-Wno-address-of-packed-member",
	"-Wno-gnu-variable-sized-type-not-at-end",
	"-Wno-ignored-attributes",
	"-Wno-duplicate-decl-specifier",
	"-Wno-pointer-sign",
	"-Wno-unused-value",
	"-Wno-compare-distinct-pointer-types",
	"-Wno-tautological-compare",
	"-Wno-frame-address",
};

struct req {
	int fd;
	int err;	/* the first error; later frames are not written */
};

static void frame(struct req *r, uint32_t type, const void *data, size_t len)
{
	if (!r->err)
		r->err = rtc_frame_send(r->fd, type, data, len);
}

static void text(struct req *r, uint32_t type, const char *s)
{
	frame(r, type, s, strlen(s));
}

static void arg(struct req *r, const char *s)
{
	text(r, FRAME_REQ_ARG, s);
}

static void argf(struct req *r, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void argf(struct req *r, const char *f, ...)
{
	char s[PATH_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(s, sizeof(s), f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s)) {
		if (!r->err)
			r->err = -ENAMETOOLONG;
		return;
	}
	arg(r, s);
}

/* In-memory files live under RTC_VIRTUAL_DIR unless absolute. */
static int vpath(char *buf, size_t len, const char *name)
{
	int n = name[0] == '/' ? snprintf(buf, len, "%s", name) :
				 snprintf(buf, len, "%s/%s", RTC_VIRTUAL_DIR, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void file(struct req *r, const struct rtc_file *f)
{
	char path[PATH_MAX];
	size_t plen;

	if (!r->err)
		r->err = vpath(path, sizeof(path), f->name);
	if (r->err)
		return;
	plen = strlen(path) + 1;
	{
		struct frame_hdr h = { .type = FRAME_REQ_FILE, .len = plen + f->size };

		r->err = fsio_write_all(r->fd, &h, sizeof(h));
		if (!r->err)
			r->err = fsio_write_all(r->fd, path, plen);
		if (!r->err && f->size)
			r->err = fsio_write_all(r->fd, f->data, f->size);
	}
}

static void compile_request(struct req *r, const struct rtc_opts *o)
{
	bool kernel = o->kernel_include_dir_cnt > 0;
	char main_path[PATH_MAX];
	size_t i;

	snprintf(main_path, sizeof(main_path), "%s", o->main_file);
	arg(r, "-O2");
	if (!(o->flags & RTC_F_NO_BTF))
		arg(r, "-g");
	arg(r, "-fno-color-diagnostics");
	/* the same object whatever the caller's cwd (DWARF comp_dir) */
	arg(r, "-fdebug-compilation-dir=" RTC_VIRTUAL_DIR);
	arg(r, "-fno-stack-protector");
	arg(r, "-fno-asynchronous-unwind-tables");
	arg(r, "-fno-unwind-tables");
	if (kernel) {
		arg(r, "-nostdinc");
		arg(r, "-isystem");
		arg(r, RTC_RESOURCE_DIR "/include");
		/* BPF code never calls the headers' inline functions, and
		 * parsing them was most of a compile's time */
		text(r, FRAME_REQ_SKIP_DIR, RTC_RESOURCE_DIR "/include");
		for (i = 0; i < o->kernel_include_dir_cnt; i++)
			text(r, FRAME_REQ_SKIP_DIR, o->kernel_include_dirs[i]);
	}
	for (i = 0; i < o->include_dir_cnt; i++)
		argf(r, "-I%s", o->include_dirs[i]);
	arg(r, "-I" RTC_VIRTUAL_DIR);
	for (i = 0; i < o->kernel_include_dir_cnt; i++)
		argf(r, "-I%s", o->kernel_include_dirs[i]);
	for (i = 0; i < o->system_include_dir_cnt; i++) {
		arg(r, "-isystem");
		arg(r, o->system_include_dirs[i]);
	}
	if (kernel) {
		arg(r, "-include");
		arg(r, o->kernel_config_header);
		arg(r, "-D__KERNEL__");
		arg(r, "-D__BPF_TRACING__");
		/* the arch the include dirs were chosen for (util/arch.c) */
		argf(r, "-D__TARGET_ARCH_%s", arch_kernel_dir(NULL));
		arg(r, "-DKBUILD_MODNAME=\"rtc\"");
		for (i = 0; i < sizeof(kernel_warnings) / sizeof(kernel_warnings[0]); i++)
			arg(r, kernel_warnings[i]);
	}
	for (i = 0; i < o->define_cnt; i++)
		argf(r, "-D%s", o->defines[i]);
	for (i = 0; i < o->argc_extra; i++)
		arg(r, o->argv_extra[i]);
	for (i = 0; i < o->file_cnt; i++) {
		file(r, &o->files[i]);
		if (!strcmp(o->files[i].name, o->main_file) && !r->err)
			r->err = vpath(main_path, sizeof(main_path), o->files[i].name);
	}
	arg(r, "-x");
	arg(r, "c");
	arg(r, "-c");
	arg(r, main_path);
	text(r, FRAME_REQ_MCPU, o->mcpu ? o->mcpu : "v2");
}

int request_write(const struct rtc_opts *o, int *fd)
{
	struct req r = { .fd = memfd_create("bpfport-cc-request", MFD_CLOEXEC) };
	uint32_t kind = o ? JOB_COMPILE : JOB_VERSION;

	*fd = -1;
	if (r.fd < 0)
		return -errno;
	frame(&r, FRAME_REQ_KIND, &kind, sizeof(kind));
	if (o)
		compile_request(&r, o);
	if (!r.err && lseek(r.fd, 0, SEEK_SET) < 0)
		r.err = -errno;
	if (r.err) {
		close(r.fd);
		return r.err;
	}
	*fd = r.fd;
	return 0;
}
