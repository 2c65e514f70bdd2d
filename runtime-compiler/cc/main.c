// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfport-cc, the runtime compiler helper: librtc (src/) forks a child,
 * sandboxes it and execs this with the request on fd 0 and the reply pipe
 * on fd 3 (rtc_internal.h). It says its version first (so that librtc
 * knows it started), reads the request, compiles (compile.cpp), replies
 * and exits. Running out of memory under the cap librtc set is exit status
 * RTC_EXIT_OOM, whether operator new failed, LLVM's allocator did, or a
 * fault came with the address space at the cap.
 *
 * By hand: `bpfport-cc --version`. Static in a release (-DBPFPORT_STATIC):
 * it needs no file but itself and the kernel headers it is given; clang's
 * builtin headers are embedded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpfport/rtc.h"
#include "compile.h"
#include "rtc_internal.h"
#include "util/fsio.h"

#define MAX_REQUEST (256UL << 20)

static struct {
	unsigned long cap;	/* RLIMIT_AS; 0: none */
	unsigned long slack;	/* a fault this close to the cap is OOM */
	long page;
} mem;

static char altstack[64 * 1024];

static void send_text(uint32_t type, const char *s)
{
	rtc_frame_send(RTC_FD_REPLY, type, s, strlen(s));
}

static void send_result(int32_t res)
{
	rtc_frame_send(RTC_FD_REPLY, FRAME_RESULT, &res, sizeof(res));
}

void cc_oom(void)
{
	_exit(RTC_EXIT_OOM);
}

/* LLVM fatal error: a failed compile, with its text. */
void cc_fatal(const char *msg)
{
	send_text(FRAME_DIAG, "error: LLVM: ");
	send_text(FRAME_DIAG, msg ? msg : "fatal error");
	send_text(FRAME_DIAG, "\n");
	send_result(-RTC_ERR_FAILED);
	_exit(0);
}

/* /proc/self/statm, async-signal-safe; 0 when unknown. */
static unsigned long vm_bytes(void)
{
	char s[128];
	unsigned long pages = 0;
	int n = fsio_read_small("/proc/self/statm", s, sizeof(s)), i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		pages = pages * 10 + (unsigned long)(s[i] - '0');
	return pages * (unsigned long)mem.page;
}

/*
 * A SIGSEGV/SIGBUS/SIGABRT with the address space at the cap is the cap
 * (a NULL from malloc dereferenced, stack growth refused, an abort after a
 * failed allocation); anything else is a crash and dies of the signal.
 */
static void fatal_signal(int sig)
{
	unsigned long vm = vm_bytes();

	if (mem.cap && vm && vm + mem.slack >= mem.cap)
		_exit(RTC_EXIT_OOM);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void setup_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE };
	struct sigaction sa;
	struct rlimit rl;
	stack_t ss;
	size_t i;

	mem.page = sysconf(_SC_PAGESIZE);
	if (mem.page <= 0)
		mem.page = 4096;
	if (!getrlimit(RLIMIT_AS, &rl) && rl.rlim_cur != RLIM_INFINITY) {
		mem.cap = rl.rlim_cur;
		mem.slack = mem.cap / 4 < (64UL << 20) ? mem.cap / 4 : (64UL << 20);
	}
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_signal;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The request on fd 0, whole (a memfd: its size is known). */
static char *read_request(size_t *len)
{
	struct stat st;
	char *p;

	if (fstat(RTC_FD_REQUEST, &st) || st.st_size <= 0 ||
	    (unsigned long)st.st_size > MAX_REQUEST)
		return NULL;
	p = malloc((size_t)st.st_size);
	if (!p)
		cc_oom();
	if (fsio_read_full(RTC_FD_REQUEST, p, (size_t)st.st_size)) {
		free(p);
		return NULL;
	}
	*len = (size_t)st.st_size;
	return p;
}

/* A frame's text as a C string (copied: frames are not NUL-terminated). */
static const char *str(const void *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		cc_oom();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

static void push(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		cc_oom();
	nv[(*n)++] = s;
	*v = nv;
}

/* Parses the request into req; 0, or -1 when it is not one. */
static int parse_request(const char *buf, size_t len, uint32_t *kind,
			 struct cc_req *req)
{
	struct cc_file *files = NULL;
	struct frame_hdr h;
	const void *data;
	size_t off = 0;
	int r;

	*kind = 0;
	while ((r = rtc_frame_next(buf, len, &off, &h, &data)) > 0) {
		switch (h.type) {
		case FRAME_REQ_KIND:
			if (h.len != sizeof(*kind))
				return -1;
			memcpy(kind, data, sizeof(*kind));
			break;
		case FRAME_REQ_ARG:
			push((const char ***)&req->args, &req->argc, str(data, h.len));
			break;
		case FRAME_REQ_SKIP_DIR:
			push((const char ***)&req->skip_body_dirs, &req->skip_body_dir_cnt,
			     str(data, h.len));
			break;
		case FRAME_REQ_MCPU:
			req->mcpu = str(data, h.len);
			break;
		case FRAME_REQ_FILE: {
			const char *p = data, *nul = memchr(p, '\0', h.len);
			struct cc_file *nf;

			if (!nul)
				return -1;
			nf = realloc(files, (req->file_cnt + 1) * sizeof(*nf));
			if (!nf)
				cc_oom();
			files = nf;
			files[req->file_cnt].path = p;
			files[req->file_cnt].data = nul + 1;
			files[req->file_cnt].size = h.len - (size_t)(nul + 1 - p);
			req->file_cnt++;
			break;
		}
		default:
			return -1;
		}
	}
	req->files = files;
	return r < 0 || !*kind ? -1 : 0;
}

static int usage(void)
{
	fprintf(stderr, RTC_HELPER_NAME ": the runtime compiler helper of bpfport: bpfport runs "
		"it (with a request on fd 0 and a pipe on fd %d)\n"
		"usage: " RTC_HELPER_NAME " --version\n", RTC_FD_REPLY);
	return 2;
}

int main(int argc, char **argv)
{
	struct cc_req req;
	struct cc_out out;
	struct frame_info fi;
	struct stat st;
	uint32_t kind;
	size_t len = 0;
	char *buf;
	int ret;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%s\n", cc_version());
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], RTC_HELPER_ARG) ||
	    fstat(RTC_FD_REPLY, &st) || !S_ISFIFO(st.st_mode))
		return usage();

	setup_signals();
	send_text(FRAME_VERSION, cc_version());
	memset(&req, 0, sizeof(req));
	buf = read_request(&len);
	if (!buf || parse_request(buf, len, &kind, &req)) {
		send_text(FRAME_DIAG, "error: " RTC_HELPER_NAME ": malformed request "
			  "(bpfport and its helper from different builds?)\n");
		send_result(-RTC_ERR_FAILED);
		return 0;
	}
	if (kind == JOB_VERSION) {
		send_result(0);
		return 0;
	}

	memset(&out, 0, sizeof(out));
	ret = cc_compile(&req, &out);
	if (out.diag)
		send_text(FRAME_DIAG, out.diag);
	memset(&fi, 0, sizeof(fi));
	fi.skipped_bodies = out.skipped_bodies;
	fi.reparsed = (uint32_t)out.reparsed;
	rtc_frame_send(RTC_FD_REPLY, FRAME_INFO, &fi, sizeof(fi));
	if (!ret && out.obj)
		rtc_frame_send(RTC_FD_REPLY, FRAME_OBJ, out.obj, out.obj_sz);
	send_result(!ret && out.obj ? 0 : -RTC_ERR_FAILED);
	return 0;
}
