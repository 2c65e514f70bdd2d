// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * librtc: the public API and the parent side of a runtime compile: find
 * and check the helper, write the request (request.c), fork a child that
 * execs the helper (child.c), read its frames against the deadline
 * (reply.c parses them) and classify how it ended. Plain C and libc only: LLVM lives in the helper
 * (cc/), never in this process. The frames: rtc_internal.h.
 */
#define _GNU_SOURCE
#include <elf.h>
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
#include "rtc_child.h"
#include "rtc_internal.h"
#include "request.h"
#include "util/fsio.h"

#ifndef RTC_HELPER_REL_PATH	/* from the executable's dir */
#define RTC_HELPER_REL_PATH "../libexec/bpfport/" RTC_HELPER_NAME
#endif

#define DEFAULT_AS_BUDGET (1UL << 30)
#define DEFAULT_TIMEOUT_MS 60000U
#define VERSION_TIMEOUT_MS 20000U
#define STOP_POLL_MS 50UL		/* rtc_opts.stop: asked this often */
#define MAX_OUTPUT (512UL << 20)	/* frames the parent accepts in total */

/* ------------------------------------------------------------------ */
/* small helpers                                                        */
/* ------------------------------------------------------------------ */

static void buf_printf(struct rtc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void buf_printf(struct rtc_buf *b, const char *fmt, ...)
{
	char line[PATH_MAX + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		rtc_buf_add(b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static unsigned long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000UL + (unsigned long)ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------ */
/* the helper: where, and whether it is safe to run                      */
/* ------------------------------------------------------------------ */

/* The path (printf format) into buf when it fits and is a file; NULL
 * with errno set if not. */
static const char *helper_at(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *helper_at(char *buf, size_t len, const char *fmt, ...)
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

const char *rtc_compiler_path(const char *compiler_path, char *buf, size_t len)
{
	char exe[PATH_MAX];
	int err;

	if (!buf || !len) {
		errno = EINVAL;
		return NULL;
	}
	if (compiler_path)
		return helper_at(buf, len, "%s", compiler_path);
	/* next to the executable (the build tree), then where the install
	 * puts it relative to the executable's dir (bin/ -> libexec/bpfport/) */
	err = fsio_exe_dir(exe, sizeof(exe));
	if (err) {
		errno = -err;
		return NULL;
	}
	if (helper_at(buf, len, "%s/%s", exe, RTC_HELPER_NAME))
		return buf;
	return helper_at(buf, len, "%s/%s", exe, RTC_HELPER_REL_PATH);
}

/* Owned by root or the caller, writable by no one else: a root caller
 * runs what is there. 0, or -1 with the reason in diag. */
static int safe_owner_mode(const char *what, const char *path,
			   const struct stat *st, struct rtc_buf *diag)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		buf_printf(diag, "runtime compilation is not usable: %s %s is owned by uid %u, "
			   "not root: its owner could run code as root through bpfport; "
			   "chown root it\n", what, path, (unsigned int)st->st_uid);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		buf_printf(diag, "runtime compilation is not usable: %s %s is writable by "
			   "group/other (mode %04o): they could run code as root through "
			   "bpfport; chmod go-w it\n", what, path,
			   (unsigned int)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The helper opened for execveat(), checked on the fd that will run:
 * a regular executable file, and it and its directory safe. */
static int helper_open(const char *path, struct rtc_buf *diag)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		buf_printf(diag, "runtime compilation is not usable: cannot open %s: %s\n",
			   path, strerror(errno));
		return -RTC_ERR_NO_COMPILER;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR)) {
		buf_printf(diag, "runtime compilation is not usable: %s is not an "
			   "executable file\n", path);
		goto refuse;
	}
	if (safe_owner_mode("compiler helper", path, &st, diag))
		goto refuse;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (stat(dir, &st) || safe_owner_mode("the directory of the compiler helper,",
					      dir, &st, diag))
		goto refuse;
	return fd;
refuse:
	close(fd);
	return -RTC_ERR_NO_COMPILER;
}

/* ------------------------------------------------------------------ */
/* parent                                                               */
/* ------------------------------------------------------------------ */

/* One run of the helper, prepared before fork. */
struct job {
	struct child c;
	char helper[PATH_MAX];
	char hook_env[256];
	unsigned long budget;		/* RLIMIT_AS of the helper; 0: none */
	unsigned int timeout_ms;
	bool (*stop)(void);		/* rtc_opts.stop */
};

static void job_release(struct job *j)
{
	if (j->c.req_fd >= 0)
		close(j->c.req_fd);
	if (j->c.null_fd >= 0)
		close(j->c.null_fd);
	if (j->c.helper_fd >= 0)
		close(j->c.helper_fd);
	j->c.req_fd = j->c.null_fd = j->c.helper_fd = -1;
}

/* Finds and checks the helper, writes the request for @o (NULL: a
 * version query): everything the child needs. */
static int job_prepare(struct job *j, const char *compiler_path,
		       const struct rtc_opts *o, struct rtc_buf *diag)
{
	const char *hook = getenv(RTC_TEST_HOOK_ENV);
	int ret;

	j->c.req_fd = j->c.null_fd = j->c.helper_fd = -1;
	if (!rtc_compiler_path(compiler_path, j->helper, sizeof(j->helper))) {
		buf_printf(diag, "runtime compilation is not installed: %s missing\n",
			   j->helper);
		return -RTC_ERR_NO_COMPILER;
	}
	ret = helper_open(j->helper, diag);
	if (ret < 0)
		return ret;
	j->c.helper_fd = ret;
	j->c.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (j->c.null_fd < 0)
		return -errno;
	ret = request_write(o, &j->c.req_fd);
	if (ret)
		return ret;
	if (hook && *hook &&
	    (size_t)snprintf(j->hook_env, sizeof(j->hook_env), "%s=%s",
			     RTC_TEST_HOOK_ENV, hook) < sizeof(j->hook_env))
		j->c.hook_env = j->hook_env;
	j->c.cpu_s = j->timeout_ms / 1000 + 2;
	j->c.as_cap = j->budget;
	return 0;
}

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

static int run_job(const struct job *j, struct rtc_reply *oc, struct rtc_stats *stats)
{
	struct rtc_buf in = { 0 };
	struct rusage ru;
	struct child c = j->c;
	unsigned long t0, deadline;
	int fds[2], status = 0, timed_out = 0, too_big = 0, stopped = 0, waited, have_result;
	pid_t pid, w;

	memset(&ru, 0, sizeof(ru));
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	c.reply_fd = fds[1];
	t0 = now_us();
	deadline = t0 + (unsigned long)j->timeout_ms * 1000UL;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0)
		child_exec(&c);
	close(fds[1]);

	for (;;) {
		unsigned long now = now_us();
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;
		int r;

		unsigned long wait_ms = (deadline - now + 999) / 1000;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			timed_out = 1;
			break;
		}
		if (j->stop && j->stop()) {
			kill(pid, SIGKILL);
			stopped = 1;
			break;
		}
		if (j->stop && wait_ms > STOP_POLL_MS)
			wait_ms = STOP_POLL_MS;
		r = poll(&pfd, 1, (int)(wait_ms < 1000000 ? wait_ms : 1000000));
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (rtc_buf_reserve(&in, 65536)) {
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
	/* The pipe is closed, the helper not necessarily gone: reaped against
	 * the same deadline (one that closes its pipe and hangs is killed). */
	while ((w = wait4(pid, &status, timed_out || too_big || stopped ? 0 : WNOHANG, &ru)) == 0 ||
	       (w < 0 && errno == EINTR)) {
		struct timespec nap = { 0, 1000000 };

		if (w == 0 && now_us() >= deadline) {
			kill(pid, SIGKILL);
			timed_out = 1;
		} else if (w == 0 && j->stop && j->stop()) {
			kill(pid, SIGKILL);
			stopped = 1;
		} else if (w == 0) {
			nanosleep(&nap, NULL);
		}
	}
	waited = w == pid;

	have_result = rtc_reply_parse(in.p, in.len, oc);
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

	if (stopped) {
		buf_printf(&oc->diag, "compile stopped (interrupted): compiler helper killed\n");
		return -EINTR;
	}
	if (timed_out) {
		buf_printf(&oc->diag, "compile timed out after %u ms: compiler helper killed\n",
			   j->timeout_ms);
		return -RTC_ERR_TIMEOUT;
	}
	if (too_big) {
		buf_printf(&oc->diag, "compiler helper output over %lu bytes: killed\n",
			   MAX_OUTPUT);
		return -RTC_ERR_FAILED;
	}
	if (oc->malformed) {
		buf_printf(&oc->diag, "compiler helper sent a malformed reply (a helper from "
			   "another build?)\n");
		return -RTC_ERR_CRASHED;
	}
	if (oc->exec_errno == ENOMEM) {
		buf_printf(&oc->diag, "compiler helper out of memory: the address-space "
			   "cap of %lu MiB is too small to start it\n", j->budget >> 20);
		return -RTC_ERR_OOM;
	}
	if (oc->exec_errno) {
		buf_printf(&oc->diag, "runtime compilation is not usable: cannot execute "
			   "%s: %s\n", j->helper, strerror(oc->exec_errno));
		return -RTC_ERR_NO_COMPILER;
	}
	if (!waited) {
		/* SIGCHLD ignored or reaped by someone else: trust the frames */
		if (have_result)
			return oc->ret;
		buf_printf(&oc->diag, "compiler helper status unknown (%s) and no result\n",
			   strerror(errno));
		return -RTC_ERR_CRASHED;
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		if (sig == SIGXCPU) {
			buf_printf(&oc->diag, "compiler helper used its CPU limit (SIGXCPU)\n");
			return -RTC_ERR_TIMEOUT;
		}
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) {
			buf_printf(&oc->diag, "compiler helper interrupted (signal %d)\n", sig);
			return -EINTR;
		}
		if (sig == SIGKILL) {
			buf_printf(&oc->diag, "compiler helper killed by SIGKILL "
				   "(the kernel's OOM killer?)\n");
			return -RTC_ERR_OOM;
		}
		buf_printf(&oc->diag, "compiler helper killed by signal %d (%s)\n",
			   sig, signame(sig));
		return -RTC_ERR_CRASHED;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == RTC_EXIT_OOM) {
		buf_printf(&oc->diag, "compiler helper out of memory: address-space cap "
			   "of %lu MiB\n", j->budget >> 20);
		return -RTC_ERR_OOM;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && have_result)
		return oc->ret;
	buf_printf(&oc->diag, "compiler helper exited with status %d without a result\n",
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

static char *diag_take(struct rtc_buf *b)
{
	char *p;

	if (b->p)
		return b->p;
	p = malloc(1);
	if (p)
		*p = '\0';
	return p;
}

/*
 * Runs the prepared job. A helper that ended without saying VERSION never
 * started: under a cap, it is asked again without one, to tell a cap too
 * small for it (OOM) from a helper that cannot run here at all.
 */
static int run(struct job *j, struct rtc_reply *oc, struct rtc_stats *stats)
{
	int ret = run_job(j, oc, stats);

	if (oc->started || oc->exec_errno || (ret != -RTC_ERR_CRASHED && ret != -RTC_ERR_OOM))
		return ret;
	if (j->budget) {
		struct job q = { .budget = 0, .timeout_ms = VERSION_TIMEOUT_MS };
		struct rtc_reply qo = { 0 };
		struct rtc_buf ignored = { 0 };
		int qret = job_prepare(&q, j->helper, NULL, &ignored);

		if (!qret)
			qret = run_job(&q, &qo, NULL);
		job_release(&q);
		free(ignored.p);
		free(qo.obj);
		free(qo.diag.p);
		if (!qret && qo.started) {
			buf_printf(&oc->diag, "compiler helper out of memory: the address-space "
				   "cap of %lu MiB is too small to start it\n", j->budget >> 20);
			return -RTC_ERR_OOM;
		}
	}
	buf_printf(&oc->diag, "runtime compilation is not usable: %s does not start\n",
		   j->helper);
	return -RTC_ERR_NO_COMPILER;
}

int rtc_compile(const struct rtc_opts *opts, void **obj, size_t *obj_sz, char **diag)
{
	struct rtc_reply oc = { 0 };
	struct rtc_opts o;
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
	j->c.req_fd = j->c.null_fd = j->c.helper_fd = -1;
	ret = opts_copy(opts, &o);
	if (!ret)
		ret = check_opts(&o);
	if (ret)
		goto out;

	j->budget = o.as_limit_bytes ? o.as_limit_bytes : DEFAULT_AS_BUDGET;
	j->timeout_ms = o.timeout_ms ? o.timeout_ms : DEFAULT_TIMEOUT_MS;
	j->stop = o.stop;
	if (o.kernel_include_dir_cnt && !fsio_is_file(o.kernel_config_header)) {
		buf_printf(&oc.diag, "kernel headers: no %s\n", o.kernel_config_header);
		ret = -ENOENT;
		goto out;
	}
	ret = job_prepare(j, o.compiler_path, &o, &oc.diag);
	if (!ret)
		ret = run(j, &oc, o.stats);
	if (!ret && !oc.obj) {
		buf_printf(&oc.diag, "compiler helper returned no object\n");
		ret = -RTC_ERR_FAILED;
	}
	if (!ret) {
		*obj = oc.obj;
		*obj_sz = oc.obj_sz;
		oc.obj = NULL;
	}
out:
	job_release(j);
	free(oc.obj);
	if (diag)
		*diag = diag_take(&oc.diag);
	else
		free(oc.diag.p);
	free(j);
	return ret;
}

/* Runs the helper once and asks its version. */
static int query_helper(const char *compiler_path, struct rtc_reply *oc)
{
	struct job *j = calloc(1, sizeof(*j));
	int ret;

	if (!j)
		return -ENOMEM;
	j->budget = DEFAULT_AS_BUDGET;
	j->timeout_ms = VERSION_TIMEOUT_MS;
	ret = job_prepare(j, compiler_path, NULL, &oc->diag);
	if (!ret)
		ret = run(j, oc, NULL);
	job_release(j);
	free(j);
	return ret;
}

static void first_line(const struct rtc_buf *b, char *out, size_t len)
{
	const char *p = b->p ? b->p : "";
	size_t n = strcspn(p, "\n");

	if (!out || !len)
		return;
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

int rtc_compiler_available(const char *compiler_path, char *why, size_t len)
{
	struct rtc_reply oc = { 0 };
	int ret = query_helper(compiler_path, &oc);

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

const char *rtc_compiler_version(const char *compiler_path, char *buf, size_t len)
{
	struct rtc_reply oc = { 0 };
	int ret;

	if (!buf || !len) {
		errno = EINVAL;
		return NULL;
	}
	ret = query_helper(compiler_path, &oc);
	free(oc.obj);
	free(oc.diag.p);
	if (!ret && !oc.version[0])
		ret = -RTC_ERR_CRASHED;
	if (ret) {
		errno = ret == -RTC_ERR_NO_COMPILER ? ENOENT : ret < 0 && -ret < RTC_ERR_START ? -ret : EIO;
		return NULL;
	}
	if ((size_t)snprintf(buf, len, "%s", oc.version) >= len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

/* The GNU build-id note of an ELF64 file, in hex, into out; 0 or -1. */
static int elf_build_id(int fd, char *out, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned char note[1024];
	int i;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph) || eh.e_phnum > 256)
		return -1;
	for (i = 0; i < eh.e_phnum; i++) {
		size_t off = 0, n;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph) || ph.p_type != PT_NOTE)
			continue;
		n = ph.p_filesz < sizeof(note) ? ph.p_filesz : sizeof(note);
		if (pread(fd, note, n, (off_t)ph.p_offset) != (ssize_t)n)
			continue;
		while (off + sizeof(Elf64_Nhdr) <= n) {
			Elf64_Nhdr nh;
			size_t name_off = off + sizeof(nh), desc_off, j;

			memcpy(&nh, note + off, sizeof(nh));
			desc_off = name_off + ((nh.n_namesz + 3) & ~3U);
			if (desc_off + nh.n_descsz > n)
				break;
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp(note + name_off, "GNU", 4) && nh.n_descsz &&
			    nh.n_descsz * 2 < len) {
				for (j = 0; j < nh.n_descsz; j++)
					snprintf(out + 2 * j, 3, "%02x", note[desc_off + j]);
				return 0;
			}
			off = desc_off + ((nh.n_descsz + 3) & ~3U);
		}
	}
	return -1;
}

const char *rtc_compiler_id(const char *compiler_path, char *buf, size_t len)
{
	char path[PATH_MAX], id[129];
	struct stat st;
	int fd, n;

	if (!buf || !len) {
		errno = EINVAL;
		return NULL;
	}
	if (!rtc_compiler_path(compiler_path, path, sizeof(path)))
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (!elf_build_id(fd, id, sizeof(id)))
		n = snprintf(buf, len, "build-id %s", id);
	else if (!fstat(fd, &st))
		n = snprintf(buf, len, "size %lld mtime %lld", (long long)st.st_size,
			     (long long)st.st_mtime);
	else
		n = -1;
	close(fd);
	if (n < 0 || (size_t)n >= len) {
		errno = n < 0 ? EIO : ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

const char *rtc_strerror(int err)
{
	if (err == INT_MIN)
		return "unknown error";
	if (err < 0)
		err = -err;
	switch (err) {
	case RTC_ERR_CRASHED: return "compile-crashed";
	case RTC_ERR_OOM: return "compile-oom";
	case RTC_ERR_TIMEOUT: return "compile-timeout";
	case RTC_ERR_FAILED: return "compile-failed";
	case RTC_ERR_NO_COMPILER: return "runtime compilation is not installed";
	default: return strerror(err);
	}
}
