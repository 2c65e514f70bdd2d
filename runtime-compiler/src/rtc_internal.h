/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between librtc (rtc.c, request.c, child.c) and the compiler helper
 * bpfport-cc (cc/): the frames on the two pipes, the fds the helper finds
 * them on, and what both must agree on. Private: the library and the
 * helper are built and installed together; the version string carries
 * RTC_PROTOCOL, so a mismatched pair is a compiler change for the cache.
 *
 * Frames: struct frame_hdr { u32 type; u32 zero; u64 len; } + len bytes.
 * The request (parent -> helper, fd 0, a memfd written before fork): KIND
 * then ARG, FILE, MCPU, SKIP_DIR frames. The reply (helper -> parent, fd 3,
 * a pipe): VERSION first (the helper started), DIAG (any number,
 * concatenated), INFO, OBJ, and RESULT (int32: 0, -RTC_ERR_x or -errno)
 * last. The forked child whose exec failed sends EXEC_ERRNO instead.
 */
#ifndef BPFPORT_RTC_INTERNAL_H
#define BPFPORT_RTC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RTC_PROTOCOL 3
#define RTC_HELPER_NAME "bpfport-cc"
#define RTC_HELPER_ARG "--serve"	/* argv[1] when librtc runs it */
#define RTC_FD_REQUEST 0
#define RTC_FD_REPLY 3
#define RTC_EXIT_OOM 90		/* helper: out of memory under the cap */

/* clang's builtin headers (stddef.h, stdarg.h ...), embedded in the helper
 * and served from memory under this directory. */
#define RTC_RESOURCE_DIR "/rtc-resource"

/* Test hooks, passed to the helper and read there only (documented in
 * runtime-compiler/README.md): sleep | segv | abort | alloc | fatal. */
#define RTC_TEST_HOOK_ENV "BPFPORT_RTC_TEST_HOOK"

enum frame_type {
	/* helper -> parent */
	FRAME_VERSION = 1,
	FRAME_DIAG = 2,
	FRAME_OBJ = 3,
	FRAME_RESULT = 4,
	FRAME_INFO = 5,		/* struct frame_info */
	FRAME_EXEC_ERRNO = 6,	/* int32: the forked child could not exec */
	/* parent -> helper */
	FRAME_REQ_KIND = 16,	/* u32 enum job_kind, first */
	FRAME_REQ_ARG = 17,	/* a clang driver argument */
	FRAME_REQ_FILE = 18,	/* an in-memory file: path, NUL, contents */
	FRAME_REQ_MCPU = 19,
	FRAME_REQ_SKIP_DIR = 20, /* bodies of functions defined below: skipped */
};

enum job_kind { JOB_COMPILE = 1, JOB_VERSION = 2 };

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

/* One frame onto fd (write(2) only: async-signal-safe). 0 or -errno. */
int rtc_frame_send(int fd, uint32_t type, const void *data, size_t len);

/* The frame at *off in buf: 1 with *h, *data set and *off moved past it;
 * 0 at the end; -1 when the rest is not a whole frame (a writer that died
 * mid-frame); -2 when it is not a frame at all (the zero field set). */
int rtc_frame_next(const void *buf, size_t len, size_t *off,
		   struct frame_hdr *h, const void **data);

/* The parent's side (reply.c): a growable buffer, always NUL-terminated
 * past len (p is malloc'ed); 0 or -ENOMEM. */
struct rtc_buf {
	char *p;
	size_t len, cap;
};
int rtc_buf_reserve(struct rtc_buf *b, size_t more);
int rtc_buf_add(struct rtc_buf *b, const void *data, size_t len);

/* A helper's reply, as its frames say. obj and diag.p are malloc'ed. */
struct rtc_reply {
	int ret;			/* RESULT */
	int started;			/* the helper said VERSION */
	int malformed;			/* a frame no helper of ours sends */
	int exec_errno;			/* the child could not exec it */
	struct frame_info info;
	void *obj;
	size_t obj_sz;
	char version[256];
	struct rtc_buf diag;		/* DIAG frames, concatenated */
};

/* Reads the @len bytes of frames at @buf into @r (zeroed, or holding what
 * the parent added to its diag before). 1 when they held a result, 0 if
 * not (cut short, or a malformed reply: r->malformed), -ENOMEM. */
int rtc_reply_parse(const void *buf, size_t len, struct rtc_reply *r);

#ifdef __cplusplus
}
#endif

#endif /* BPFPORT_RTC_INTERNAL_H */
