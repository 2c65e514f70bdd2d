// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * librtc's compile child, run after fork(): no capabilities, no new
 * privileges, every fd but the result pipe closed, an address-space cap
 * and a CPU limit; then the LLVM plugin is dlopen()ed, the driver
 * arguments are built (Kbuild's order with kernel headers), the compile
 * runs and its object, diagnostics and result go back to the parent as
 * frames (rtc_internal.h). Only this process ever maps LLVM.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "bpfport/rtc.h"
#include "rtc_plugin.h"
#include "rtc_internal.h"
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

static int send_frame(int fd, uint32_t type, const void *data, size_t len)
{
	struct frame_hdr h = { .type = type, .len = len };
	int err = fsio_write_all(fd, &h, sizeof(h));

	return err ? err : fsio_write_all(fd, data, len);
}

static void send_text(int fd, uint32_t type, const char *s)
{
	send_frame(fd, type, s, strlen(s));
}

static void send_result(int fd, int32_t res)
{
	send_frame(fd, FRAME_RESULT, &res, sizeof(res));
}

/* ------------------------------------------------------------------ */
/* child                                                                */
/* ------------------------------------------------------------------ */

static struct {
	int wfd;
	unsigned long cap;	/* RLIMIT_AS */
	unsigned long slack;	/* a fault this close to the cap is OOM */
	long page;
} child;

static char child_altstack[64 * 1024];

/* /proc/self/statm, async-signal-safe; 0 when unknown. */
static unsigned long vm_bytes(void)
{
	char s[128];
	unsigned long pages = 0;
	int n = fsio_read_small("/proc/self/statm", s, sizeof(s)), i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		pages = pages * 10 + (unsigned long)(s[i] - '0');
	return pages * (unsigned long)child.page;
}

static void child_oom(void)
{
	_exit(RTC_EXIT_OOM);
}

/*
 * A SIGSEGV/SIGBUS/SIGABRT with the address space at the cap is the cap
 * (a NULL from malloc dereferenced, stack growth refused, an abort after a
 * failed allocation); anything else is a crash and dies of the signal.
 */
static void child_fatal_signal(int sig)
{
	unsigned long vm = vm_bytes();

	if (child.cap && vm && vm + child.slack >= child.cap)
		_exit(RTC_EXIT_OOM);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* LLVM fatal error: report it as a failed compile. */
static void child_llvm_fatal(const char *msg)
{
	send_text(child.wfd, FRAME_DIAG, "error: LLVM: ");
	send_text(child.wfd, FRAME_DIAG, msg ? msg : "fatal error");
	send_text(child.wfd, FRAME_DIAG, "\n");
	send_result(child.wfd, -RTC_ERR_FAILED);
	_exit(0);
}

struct argv {
	const char **v;
	size_t n, cap;
};

static void arg(struct argv *a, const char *s)
{
	if (!s)
		child_oom();
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		const char **v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			child_oom();
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = s;
}

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	if (n < 0)
		child_oom();
	return s;
}

/* In-memory files live under RTC_VIRTUAL_DIR unless absolute. */
static const char *vpath(const char *name)
{
	return name[0] == '/' ? name : fmt("%s/%s", RTC_VIRTUAL_DIR, name);
}

/*
 * The driver arguments, and in *skip the include dirs whose function
 * bodies the parser may skip (the kernel's and clang's headers): the same
 * strings as the -I/-isystem arguments, since the plugin matches the
 * paths clang opened against them by prefix.
 */
static void build_args(const struct job *j, const char *res, struct argv *a,
		       struct argv *skip)
{
	const struct rtc_opts *o = &j->o;
	const char *main_path = o->main_file;
	bool kernel = o->kernel_include_dir_cnt > 0;
	size_t i;

	arg(a, "-O2");
	if (!(o->flags & RTC_F_NO_BTF))
		arg(a, "-g");
	arg(a, "-fno-color-diagnostics");
	/* the same object whatever the caller's cwd (DWARF comp_dir) */
	arg(a, "-fdebug-compilation-dir=" RTC_VIRTUAL_DIR);
	arg(a, "-fno-stack-protector");
	arg(a, "-fno-asynchronous-unwind-tables");
	arg(a, "-fno-unwind-tables");
	if (kernel) {
		const char *res_inc = fmt("%s/include", res);

		arg(a, "-nostdinc");
		arg(a, "-isystem");
		arg(a, res_inc);
		/* BPF code never calls the headers' inline functions, and
		 * parsing them was most of a compile's time */
		arg(skip, res_inc);
		for (i = 0; i < o->kernel_include_dir_cnt; i++)
			arg(skip, o->kernel_include_dirs[i]);
	}
	for (i = 0; i < o->include_dir_cnt; i++)
		arg(a, fmt("-I%s", o->include_dirs[i]));
	arg(a, "-I" RTC_VIRTUAL_DIR);
	for (i = 0; i < o->kernel_include_dir_cnt; i++)
		arg(a, fmt("-I%s", o->kernel_include_dirs[i]));
	for (i = 0; i < o->system_include_dir_cnt; i++) {
		arg(a, "-isystem");
		arg(a, o->system_include_dirs[i]);
	}
	if (kernel) {
		arg(a, "-include");
		arg(a, o->kernel_config_header);
		arg(a, "-D__KERNEL__");
		arg(a, "-D__BPF_TRACING__");
		/* the arch the include dirs were chosen for (util/arch.c) */
		arg(a, fmt("-D__TARGET_ARCH_%s", arch_kernel_dir(NULL)));
		arg(a, "-DKBUILD_MODNAME=\"rtc\"");
		for (i = 0; i < sizeof(kernel_warnings) / sizeof(kernel_warnings[0]); i++)
			arg(a, kernel_warnings[i]);
	}
	for (i = 0; i < o->define_cnt; i++)
		arg(a, fmt("-D%s", o->defines[i]));
	for (i = 0; i < o->argc_extra; i++)
		arg(a, o->argv_extra[i]);
	for (i = 0; i < o->file_cnt; i++) {
		if (!strcmp(o->files[i].name, o->main_file)) {
			main_path = vpath(o->files[i].name);
			break;
		}
	}
	arg(a, "-x");
	arg(a, "c");
	arg(a, "-c");
	arg(a, main_path);
}

/* The process runs under AddressSanitizer (whoever was instrumented). */
static int under_asan(void)
{
	return dlsym(RTLD_DEFAULT, "__asan_init") != NULL;
}

static void child_setup(const struct job *j)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE };
	struct rlimit rl;
	struct sigaction sa;
	stack_t ss;
	sigset_t all;
	unsigned long cpu_s;
	size_t i;
	int fd;

	child.wfd = j->wfd;
	child.page = sysconf(_SC_PAGESIZE);
	if (child.page <= 0)
		child.page = 4096;

	/* die with the parent; never outlive it as an orphan compiler */
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	/* no core dumps of a compiler we crash on purpose or by accident */
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);

	/* The cap is relative to what the fork inherited, so that a large
	 * caller still gets the whole budget. Not under AddressSanitizer: it
	 * reserves terabytes up front, and its own out-of-memory report
	 * deadlocks when mmap fails (symbolizer), so the child would hang
	 * until the timeout instead of failing. */
	child.cap = under_asan() ? 0 : vm_bytes() + j->budget;
	child.slack = j->budget / 4 < (64UL << 20) ? j->budget / 4 : (64UL << 20);
	if (child.cap && !getrlimit(RLIMIT_AS, &rl)) {
		if (rl.rlim_max != RLIM_INFINITY && child.cap > rl.rlim_max)
			child.cap = rl.rlim_max;
		rl.rlim_cur = child.cap;
		setrlimit(RLIMIT_AS, &rl);
	}
	/* backstop for the parent's timer (a stopped parent) */
	cpu_s = j->timeout_ms / 1000 + 2;
	if (!getrlimit(RLIMIT_CPU, &rl) &&
	    (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > cpu_s)) {
		rl.rlim_cur = cpu_s;
		setrlimit(RLIMIT_CPU, &rl);
	}

	ss.ss_sp = child_altstack;
	ss.ss_size = sizeof(child_altstack);
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_fatal_signal;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the caller's handlers would keep a Ctrl-C'd compile running */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);

	/* the library never prints: nothing LLVM writes reaches the caller's
	 * terminal (diagnostics come back through the pipe) */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

void child_main(const struct job *j)
{
	const struct rtc_plugin *pl;
	struct rtc_plugin_file *files;
	struct rtc_plugin_req req;
	struct rtc_plugin_out out;
	struct argv a = { 0 }, skip = { 0 };
	struct rlimit rl;
	rtc_plugin_fn entry;
	const char *err;
	void *h;
	size_t i;
	int ret;

	child_setup(j);

	h = dlopen(j->plugin, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		err = dlerror();
		err = fmt("runtime compilation is not usable: %s\n", err ? err : j->plugin);
		/* libclang-cpp and libLLVM are ~170 MB of mappings: a small cap
		 * ends here, with a loader message that does not always say
		 * ENOMEM. If the plugin loads without the cap, the cap it was. */
		if (!getrlimit(RLIMIT_AS, &rl)) {
			rl.rlim_cur = rl.rlim_max;
			if (!setrlimit(RLIMIT_AS, &rl) &&
			    dlopen(j->plugin, RTLD_NOW | RTLD_LOCAL))
				child_oom();
		}
		send_text(j->wfd, FRAME_DIAG, err);
		send_result(j->wfd, -RTC_ERR_NO_PLUGIN);
		_exit(0);
	}
	entry = (rtc_plugin_fn)dlsym(h, RTC_PLUGIN_SYMBOL);
	pl = entry ? entry() : NULL;
	if (!pl || pl->abi != RTC_PLUGIN_ABI) {
		send_text(j->wfd, FRAME_DIAG,
			  fmt("runtime compilation is not usable: %s is not a bpfport "
			      "compiler plugin of ABI %d\n", j->plugin, RTC_PLUGIN_ABI));
		send_result(j->wfd, -RTC_ERR_NO_PLUGIN);
		_exit(0);
	}
	send_text(j->wfd, FRAME_VERSION, pl->version());
	if (j->kind == JOB_VERSION) {
		send_result(j->wfd, 0);
		_exit(0);
	}

	build_args(j, pl->resource_dir(), &a, &skip);
	files = calloc(j->o.file_cnt + 1, sizeof(*files));
	if (!files)
		child_oom();
	for (i = 0; i < j->o.file_cnt; i++) {
		files[i].path = vpath(j->o.files[i].name);
		files[i].data = j->o.files[i].data;
		files[i].size = j->o.files[i].size;
	}
	memset(&req, 0, sizeof(req));
	req.args = a.v;
	req.argc = a.n;
	req.files = files;
	req.file_cnt = j->o.file_cnt;
	req.mcpu = j->o.mcpu ? j->o.mcpu : "v2";
	req.skip_body_dirs = skip.v;
	req.skip_body_dir_cnt = skip.n;
	req.on_oom = child_oom;
	req.on_fatal = child_llvm_fatal;

	memset(&out, 0, sizeof(out));
	ret = pl->compile(&req, &out);
	if (out.diag)
		send_text(j->wfd, FRAME_DIAG, out.diag);
	{
		struct frame_info fi = { out.skipped_bodies, (uint32_t)out.reparsed, 0 };

		send_frame(j->wfd, FRAME_INFO, &fi, sizeof(fi));
	}
	if (!ret && out.obj)
		send_frame(j->wfd, FRAME_OBJ, out.obj, out.obj_sz);
	send_result(j->wfd, !ret && out.obj ? 0 : -RTC_ERR_FAILED);
	_exit(0);
}

