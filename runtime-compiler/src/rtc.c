// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * librtc: the parent side (fork, collect, classify) and the child side
 * (caps, dlopen of the LLVM plugin, arguments, frames) of a runtime
 * compile. Plain C and libc only: LLVM is mapped in the child alone.
 *
 * Child -> parent protocol, one pipe: frames of
 *   struct frame_hdr { u32 type; u32 zero; u64 len; } + len bytes
 * VERSION (text), DIAG (text, any number, concatenated), OBJ (ELF), and
 * RESULT (int32: 0, -RTC_ERR_x or -errno) last. A child that dies before
 * RESULT is classified from its wait status.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpfport/rtc.h"
#include "rtc_plugin.h"
#include "util/fsio.h"

#ifndef RTC_PLUGIN_REL_PATH	/* from the executable's dir */
#define RTC_PLUGIN_REL_PATH "../lib/bpfport/" RTC_PLUGIN_NAME
#endif

#define DEFAULT_AS_BUDGET (1UL << 30)
#define DEFAULT_TIMEOUT_MS 60000U
#define VERSION_TIMEOUT_MS 20000U
#define RTC_EXIT_OOM 90		/* child: out of memory under the cap */
#define MAX_OUTPUT (512UL << 20)	/* frames the parent accepts in total */

#if defined(__x86_64__) || defined(__i386__)
#define KARCH "x86"
#elif defined(__aarch64__)
#define KARCH "arm64"
#elif defined(__s390x__)
#define KARCH "s390"
#elif defined(__powerpc64__)
#define KARCH "powerpc"
#elif defined(__riscv)
#define KARCH "riscv"
#elif defined(__loongarch__)
#define KARCH "loongarch"
#elif defined(__arm__)
#define KARCH "arm"
#else
#error "unknown kernel architecture name for this host"
#endif

enum frame_type {
	FRAME_VERSION = 1,
	FRAME_DIAG = 2,
	FRAME_OBJ = 3,
	FRAME_RESULT = 4,
	FRAME_INFO = 5,		/* struct frame_info */
};

struct frame_info {
	uint64_t skipped_bodies;
	uint32_t reparsed;
	uint32_t pad;
};

struct frame_hdr {
	uint32_t type;
	uint32_t zero;
	uint64_t len;
};

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

enum job_kind { JOB_COMPILE, JOB_VERSION };

/* Everything the child needs, prepared by the parent before fork(). */
struct job {
	enum job_kind kind;
	struct rtc_opts o;		/* normalized copy */
	char plugin[PATH_MAX];
	unsigned long budget;		/* address space added to the fork's */
	unsigned int timeout_ms;
	int wfd;
};

/* ------------------------------------------------------------------ */
/* small helpers                                                        */
/* ------------------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (more > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	while (cap < b->len + more + 1)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_add(struct buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len))
		return -ENOMEM;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char line[PATH_MAX + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_add(b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static unsigned long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000UL + (unsigned long)ts.tv_nsec / 1000;
}

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
/* plugin path and kernel header layout (parent)                        */
/* ------------------------------------------------------------------ */

/* The path (printf format) into buf when it fits and is a file; NULL
 * with errno set if not. */
static const char *plugin_at(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *plugin_at(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (fsio_is_file(buf))
		return buf;
	errno = ENOENT;
	return NULL;
}

const char *rtc_plugin_path(const char *plugin_path, char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (!buf || !len) {
		errno = EINVAL;
		return NULL;
	}
	if (plugin_path)
		return plugin_at(buf, len, "%s", plugin_path);
	/* next to the executable (the build tree), then where the install
	 * puts it relative to the executable's dir (bin/ -> lib/bpfport/) */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
	if (!slash) {
		errno = ENOENT;
		return NULL;
	}
	*slash = '\0';
	if (plugin_at(buf, len, "%s/%s", exe, RTC_PLUGIN_NAME))
		return buf;
	return plugin_at(buf, len, "%s/%s", exe, RTC_PLUGIN_REL_PATH);
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
		arg(a, "-D__TARGET_ARCH_" KARCH);
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

static void __attribute__((noreturn)) child_main(const struct job *j)
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

/* ------------------------------------------------------------------ */
/* parent                                                               */
/* ------------------------------------------------------------------ */

struct outcome {
	int ret;
	struct frame_info info;
	void *obj;
	size_t obj_sz;
	char version[256];
	struct buf diag;
};

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGABRT: return "SIGABRT";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	case SIGXCPU: return "SIGXCPU";
	default: return "signal";
	}
}

/* Walks the frames; returns 1 when a RESULT frame was seen. */
static int parse_frames(const struct buf *in, struct outcome *oc)
{
	size_t off = 0;
	int have_result = 0;

	while (off + sizeof(struct frame_hdr) <= in->len) {
		struct frame_hdr h;
		const char *p;

		memcpy(&h, in->p + off, sizeof(h));
		off += sizeof(h);
		if (h.len > in->len - off)
			break;		/* truncated: the child died mid-write */
		p = in->p + off;
		off += h.len;
		switch (h.type) {
		case FRAME_VERSION:
			snprintf(oc->version, sizeof(oc->version), "%.*s",
				 (int)(h.len < sizeof(oc->version) ? h.len : sizeof(oc->version) - 1), p);
			break;
		case FRAME_DIAG:
			buf_add(&oc->diag, p, h.len);
			break;
		case FRAME_OBJ:
			free(oc->obj);
			oc->obj = malloc(h.len ? h.len : 1);
			if (!oc->obj)
				return -ENOMEM;
			memcpy(oc->obj, p, h.len);
			oc->obj_sz = h.len;
			break;
		case FRAME_INFO:
			if (h.len == sizeof(oc->info))
				memcpy(&oc->info, p, sizeof(oc->info));
			break;
		case FRAME_RESULT:
			if (h.len == sizeof(int32_t)) {
				int32_t r;

				memcpy(&r, p, sizeof(r));
				oc->ret = r;
				have_result = 1;
			}
			break;
		}
	}
	return have_result;
}

static int run_job(struct job *j, struct outcome *oc, struct rtc_stats *stats)
{
	struct buf in = { 0 };
	struct rusage ru;
	unsigned long t0, deadline;
	int fds[2], status = 0, timed_out = 0, too_big = 0, waited, have_result;
	pid_t pid, w;

	memset(&ru, 0, sizeof(ru));
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	t0 = now_us();
	deadline = t0 + (unsigned long)j->timeout_ms * 1000UL;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[0]);
		j->wfd = fds[1];
		child_main(j);
	}
	close(fds[1]);

	for (;;) {
		unsigned long now = now_us();
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;
		int r;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			timed_out = 1;
			break;
		}
		r = poll(&pfd, 1, (int)((deadline - now + 999) / 1000 < 1000000 ?
					(deadline - now + 999) / 1000 : 1000000));
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (buf_reserve(&in, 65536)) {
			kill(pid, SIGKILL);
			too_big = 1;
			break;
		}
		n = read(fds[0], in.p + in.len, in.cap - in.len - 1);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		in.len += (size_t)n;
		if (in.len > MAX_OUTPUT) {
			kill(pid, SIGKILL);
			too_big = 1;
			break;
		}
	}
	close(fds[0]);
	do {
		w = wait4(pid, &status, 0, &ru);
	} while (w < 0 && errno == EINTR);
	waited = w == pid;

	have_result = in.len ? parse_frames(&in, oc) : 0;
	free(in.p);
	if (stats) {
		struct rtc_stats s = { .sz = stats->sz };

		s.wall_us = now_us() - t0;
		s.cpu_us = (unsigned long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000UL +
			   (unsigned long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		s.child_maxrss_kib = ru.ru_maxrss;
		s.as_budget_bytes = j->budget;
		s.skipped_bodies = oc->info.skipped_bodies;
		s.reparsed = oc->info.reparsed;
		memcpy(stats, &s, stats->sz < sizeof(s) ? stats->sz : sizeof(s));
	}
	if (have_result < 0)
		return have_result;

	if (timed_out) {
		buf_printf(&oc->diag, "compile timed out after %u ms: compiler child killed\n",
			   j->timeout_ms);
		return -RTC_ERR_TIMEOUT;
	}
	if (too_big) {
		buf_printf(&oc->diag, "compiler child output over %lu bytes: killed\n",
			   MAX_OUTPUT);
		return -RTC_ERR_FAILED;
	}
	if (!waited) {
		/* SIGCHLD ignored or reaped by someone else: trust the frames */
		if (have_result)
			return oc->ret;
		buf_printf(&oc->diag, "compiler child status unknown (%s) and no result\n",
			   strerror(errno));
		return -RTC_ERR_CRASHED;
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		if (sig == SIGXCPU) {
			buf_printf(&oc->diag, "compiler child used its CPU limit (SIGXCPU)\n");
			return -RTC_ERR_TIMEOUT;
		}
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) {
			buf_printf(&oc->diag, "compiler child interrupted (signal %d)\n", sig);
			return -EINTR;
		}
		if (sig == SIGKILL) {
			buf_printf(&oc->diag, "compiler child killed by SIGKILL "
				   "(the kernel's OOM killer?)\n");
			return -RTC_ERR_OOM;
		}
		buf_printf(&oc->diag, "compiler child killed by signal %d (%s)\n",
			   sig, signame(sig));
		return -RTC_ERR_CRASHED;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == RTC_EXIT_OOM) {
		buf_printf(&oc->diag, "compiler child out of memory: address space cap "
			   "of %lu MiB over the caller's\n", j->budget >> 20);
		return -RTC_ERR_OOM;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && have_result)
		return oc->ret;
	buf_printf(&oc->diag, "compiler child exited with status %d without a result\n",
		   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -RTC_ERR_CRASHED;
}

/* libbpf's OPTS_VALID: a newer caller's extra fields must be zero. */
static int opts_copy(const struct rtc_opts *o, struct rtc_opts *dst)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	if (!o || o->sz < offsetof(struct rtc_opts, main_file) + sizeof(o->main_file))
		return -EINVAL;
	for (i = sizeof(*dst); i < o->sz; i++)
		if (((const char *)o)[i])
			return -EINVAL;
	memcpy(dst, o, o->sz < sizeof(*dst) ? o->sz : sizeof(*dst));
	dst->sz = sizeof(*dst);
	if (dst->stats && dst->stats->sz < sizeof(size_t))
		dst->stats = NULL;
	return 0;
}

static int check_opts(const struct rtc_opts *o)
{
	size_t i;

	if (!o->main_file || !*o->main_file)
		return -EINVAL;
	if ((o->file_cnt && !o->files) || (o->include_dir_cnt && !o->include_dirs) ||
	    (o->system_include_dir_cnt && !o->system_include_dirs) ||
	    (o->define_cnt && !o->defines) || (o->argc_extra && !o->argv_extra) ||
	    (o->kernel_include_dir_cnt && (!o->kernel_include_dirs ||
					   !o->kernel_config_header)))
		return -EINVAL;
	for (i = 0; i < o->file_cnt; i++)
		if (!o->files[i].name || !*o->files[i].name ||
		    (o->files[i].size && !o->files[i].data))
			return -EINVAL;
	for (i = 0; i < o->include_dir_cnt; i++)
		if (!o->include_dirs[i])
			return -EINVAL;
	for (i = 0; i < o->system_include_dir_cnt; i++)
		if (!o->system_include_dirs[i])
			return -EINVAL;
	for (i = 0; i < o->kernel_include_dir_cnt; i++)
		if (!o->kernel_include_dirs[i] || !*o->kernel_include_dirs[i])
			return -EINVAL;
	for (i = 0; i < o->define_cnt; i++)
		if (!o->defines[i] || !*o->defines[i])
			return -EINVAL;
	for (i = 0; i < o->argc_extra; i++)
		if (!o->argv_extra[i])
			return -EINVAL;
	return 0;
}

static char *diag_take(struct buf *b)
{
	char *p;

	if (b->p)
		return b->p;
	p = malloc(1);
	if (p)
		*p = '\0';
	return p;
}

int rtc_compile(const struct rtc_opts *opts, void **obj, size_t *obj_sz, char **diag)
{
	struct outcome oc = { 0 };
	struct job *j;
	int ret;

	if (obj)
		*obj = NULL;
	if (obj_sz)
		*obj_sz = 0;
	if (diag)
		*diag = NULL;
	if (!obj || !obj_sz)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	ret = opts_copy(opts, &j->o);
	if (!ret)
		ret = check_opts(&j->o);
	if (ret)
		goto out;

	j->kind = JOB_COMPILE;
	j->budget = j->o.as_limit_bytes ? j->o.as_limit_bytes : DEFAULT_AS_BUDGET;
	j->timeout_ms = j->o.timeout_ms ? j->o.timeout_ms : DEFAULT_TIMEOUT_MS;
	if (!rtc_plugin_path(j->o.plugin_path, j->plugin, sizeof(j->plugin))) {
		buf_printf(&oc.diag, "runtime compilation is not installed: %s missing\n",
			   j->plugin);
		ret = -RTC_ERR_NO_PLUGIN;
		goto out;
	}
	if (j->o.kernel_include_dir_cnt && !fsio_is_file(j->o.kernel_config_header)) {
		buf_printf(&oc.diag, "kernel headers: no %s\n", j->o.kernel_config_header);
		ret = -ENOENT;
		goto out;
	}
	ret = run_job(j, &oc, j->o.stats);
	if (!ret && !oc.obj) {
		buf_printf(&oc.diag, "compiler child returned no object\n");
		ret = -RTC_ERR_FAILED;
	}
	if (!ret) {
		*obj = oc.obj;
		*obj_sz = oc.obj_sz;
		oc.obj = NULL;
	}
out:
	free(oc.obj);
	if (diag)
		*diag = diag_take(&oc.diag);
	else
		free(oc.diag.p);
	free(j);
	return ret;
}

/* Loads the plugin in a child and asks its version. */
static int query_plugin(const char *plugin_path, struct outcome *oc)
{
	struct job *j = calloc(1, sizeof(*j));
	int ret;

	if (!j)
		return -ENOMEM;
	j->kind = JOB_VERSION;
	j->budget = DEFAULT_AS_BUDGET;
	j->timeout_ms = VERSION_TIMEOUT_MS;
	if (!rtc_plugin_path(plugin_path, j->plugin, sizeof(j->plugin))) {
		buf_printf(&oc->diag, "runtime compilation is not installed: %s missing",
			   j->plugin);
		free(j);
		return -RTC_ERR_NO_PLUGIN;
	}
	ret = run_job(j, oc, NULL);
	free(j);
	return ret;
}

static void first_line(const struct buf *b, char *out, size_t len)
{
	const char *p = b->p ? b->p : "";
	size_t n = strcspn(p, "\n");

	if (!out || !len)
		return;
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

int rtc_plugin_available(const char *plugin_path, char *why, size_t len)
{
	struct outcome oc = { 0 };
	int ret = query_plugin(plugin_path, &oc);

	if (ret && why && len) {
		if (oc.diag.len)
			first_line(&oc.diag, why, len);
		else
			snprintf(why, len, "runtime compilation is not usable: %s",
				 rtc_strerror(ret));
	} else if (why && len) {
		why[0] = '\0';
	}
	free(oc.obj);
	free(oc.diag.p);
	return ret == 0;
}

const char *rtc_compiler_version(const char *plugin_path, char *buf, size_t len)
{
	struct outcome oc = { 0 };
	int ret;

	if (!buf || !len) {
		errno = EINVAL;
		return NULL;
	}
	ret = query_plugin(plugin_path, &oc);
	free(oc.obj);
	free(oc.diag.p);
	if (!ret && !oc.version[0])
		ret = -RTC_ERR_CRASHED;
	if (ret) {
		errno = ret == -RTC_ERR_NO_PLUGIN ? ENOENT : ret < 0 && -ret < RTC_ERR_START ? -ret : EIO;
		return NULL;
	}
	if ((size_t)snprintf(buf, len, "%s", oc.version) >= len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

const char *rtc_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case RTC_ERR_CRASHED: return "compile-crashed";
	case RTC_ERR_OOM: return "compile-oom";
	case RTC_ERR_TIMEOUT: return "compile-timeout";
	case RTC_ERR_FAILED: return "compile-failed";
	case RTC_ERR_NO_PLUGIN: return "runtime compilation is not installed";
	default: return strerror(err);
	}
}
