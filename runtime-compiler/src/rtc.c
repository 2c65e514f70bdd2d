// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * librtc: the parent side of a runtime compile (fork, collect, classify)
 * and the public API; the child side is child.c. Plain C and libc only:
 * LLVM is mapped in the child alone.
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
#include "rtc_internal.h"
#include "util/fsio.h"

#ifndef RTC_PLUGIN_REL_PATH	/* from the executable's dir */
#define RTC_PLUGIN_REL_PATH "../lib/bpfport/" RTC_PLUGIN_NAME
#endif

#define DEFAULT_AS_BUDGET (1UL << 30)
#define DEFAULT_TIMEOUT_MS 60000U
#define VERSION_TIMEOUT_MS 20000U
#define MAX_OUTPUT (512UL << 20)	/* frames the parent accepts in total */

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
