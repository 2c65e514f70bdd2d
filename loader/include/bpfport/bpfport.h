/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfport: load the bpfport probes on whatever kernel this is, in the
 * best build mode the kernel allows, and stream their events.
 *
 * Conventions (after libbpf): objects are opaque; functions returning int
 * return 0 or a negative errno; functions returning a pointer return NULL
 * and set errno. bpfport_errmsg() then holds a one-line reason naming the
 * cause and the fix. The library never writes to stdout/stderr itself:
 * messages go through the print callback (bpfport_set_print()).
 *
 * Threads and process-wide state: a struct bpfport may be used from one
 * thread at a time. bpfport__open() and bpfport__destroy() must not run
 * concurrently with each other (in any thread): while an object is open
 * the library owns libbpf's print callback (libbpf's messages reach
 * bpfport_set_print()'s callback as BPFPORT_DEBUG, and are captured during
 * a load to classify a failure; the caller's libbpf callback is restored
 * when the last object is destroyed), and the mode chain keeps its
 * candidate BTF and a 512 KiB capture of libbpf's log in static storage.
 * bpfport_errmsg() is per thread.
 */
#ifndef BPFPORT_BPFPORT_H
#define BPFPORT_BPFPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BPFPORT_API __attribute__((visibility("default")))

enum bpfport_mode {
	BPFPORT_MODE_AUTO = 0,
	BPFPORT_MODE_CORE,		/* CO-RE against native kernel BTF */
	BPFPORT_MODE_CORE_BTFHUB,	/* CO-RE against external BTF */
	BPFPORT_MODE_RUNTIME,		/* compiled against kernel headers */
	BPFPORT_MODE_NONE,		/* no mode could be used */
};

enum bpfport_output {
	BPFPORT_OUTPUT_AUTO = 0,	/* ringbuf when the kernel has it */
	BPFPORT_OUTPUT_RINGBUF,
	BPFPORT_OUTPUT_PERFBUF,
};

enum bpfport_format {
	BPFPORT_FORMAT_JSON = 0,	/* one object per line */
	BPFPORT_FORMAT_TEXT,		/* "type key=value ..." */
};

enum bpfport_print_level {
	BPFPORT_WARN,
	BPFPORT_INFO,
	BPFPORT_DEBUG,
};

typedef int (*bpfport_print_fn)(enum bpfport_print_level level,
				const char *fmt, va_list args);

/* Sets the print callback, returns the previous one. NULL silences. */
BPFPORT_API bpfport_print_fn bpfport_set_print(bpfport_print_fn fn);

/*
 * Messages that name a fix name the setting as the library knows it,
 * opts.kernel_headers ($BPFPORT_KERNEL_HEADERS). A program whose users set
 * them as the bpfport command line does calls this with true once, and the
 * messages say --kernel-headers DIR instead. Process-wide.
 */
BPFPORT_API void bpfport_set_cli_names(bool cli);

/* One-line description of the last failure in this thread. */
BPFPORT_API const char *bpfport_errmsg(void);

/*
 * Stops what the library is doing, for a program that got SIGINT or
 * SIGTERM: async-signal-safe, so its handler calls this. bpfport__open()
 * and bpfport__attach() stop at their next step (a mode, a probe, a
 * program, a compile, an entry of kheaders.tar.xz), release everything
 * they acquired (loaded programs, links, the headers they extracted) and
 * fail with EINTR, and so does every later call of them: the program is
 * on its way out. A compile in progress runs to its end (the helper gets
 * the signal too when it went to the process group: Ctrl-C, systemd).
 * bpfport__poll() needs nothing: the signal itself ends its wait.
 * Process-wide.
 */
BPFPORT_API void bpfport_interrupt(void);

/*
 * Called for each event. data starts with struct bpfport_ev_hdr, and the
 * event struct its type names follows (<bpfport/events.h>, generated from
 * the probes' own headers), aligned as that struct; size is already
 * checked against the type.
 * A non-zero return stops the current bpfport__poll() with that value.
 */
typedef int (*bpfport_event_fn)(void *ctx, const void *data, size_t size);

struct bpfport_opts {
	size_t sz;			/* sizeof(struct bpfport_opts) */
	const char *probes;		/* "exec,open", NULL: all probes */
	enum bpfport_mode mode;
	enum bpfport_output output;
	bpfport_event_fn on_event;
	void *ctx;
	bool dry_run;			/* load and check, never attach */
	/* External BTF (mode core-btfhub). Sources are tried in this order,
	 * the first usable one wins: btf_path, $BPFPORT_BTF, native BTF,
	 * the embedded minimized archive, the btfhub-archive directory
	 * btf_archive ($BPFPORT_BTF_ARCHIVE, else <dir of the executable>/
	 * ../share/bpfport/btfhub-archive, where an install puts it). */
	const char *btf_path;		/* raw .btf or btfhub .btf.tar.xz */
	const char *btf_archive;	/* btfhub-archive directory */
	const char *os_release;		/* os-release for the archive lookup */
	bool hide_native_btf;		/* behave as if native BTF were absent */
	bool btf_only;			/* use btf_path alone (preflight) */
	/* Runtime compilation (mode runtime), the last fallback. */
	const char *kernel_headers;	/* else $BPFPORT_KERNEL_HEADERS, then
					 * /lib/modules/R/build ... */
	const char *cache_dir;		/* else $BPFPORT_CACHE_DIR, then
					 * /var/cache/bpfport */
	/* The runtime compiler helper, bpfport-cc. NULL: next to the calling
	 * executable, then <exe dir>/../libexec/bpfport/bpfport-cc, where
	 * bpfport's install puts it. A program installed elsewhere names it
	 * here: `pkg-config --variable=compiler_helper bpfport`, or CMake's
	 * bpfport_COMPILER_HELPER after find_package(bpfport). Without it
	 * only the CO-RE modes can run. */
	const char *rtc_compiler;
	unsigned int compile_timeout_ms;	/* 0: 60000 */
	/* The event buffer and its consumer (bpfport__poll()). Wakeups are
	 * batched: the probes wake the consumer only when a fraction of the
	 * buffer waits (1/8 of the ring buffer, 1/4 of a CPU's perf
	 * buffer); a timer delivers the rest. */
	size_t buffer_size;		/* bytes: the ring buffer's, or each
					 * CPU's perf buffer's; a power of 2
					 * from the page size to 1 GiB. 0:
					 * 16 MiB, or 8 MiB over the CPUs
					 * (at least 256 KiB each) */
	unsigned int flush_interval_ms;	/* an event is delivered at most
					 * this long after the probe output
					 * it, when bpfport__poll() is called
					 * (1 to 10000); 0: 20 */
	size_t :0;
};

#define BPFPORT_OPTS(NAME, ...)						\
	struct bpfport_opts NAME = {					\
		.sz = sizeof(struct bpfport_opts),			\
		__VA_ARGS__						\
	}

struct bpfport;

/*
 * Chooses the build mode, mounts tracefs/bpffs when missing, loads every
 * selected probe (verifier included) and creates the event buffer.
 * Nothing is attached yet. Returns NULL with errno set on failure; with
 * opts->dry_run, probes that fail to load are recorded, not fatal.
 */
BPFPORT_API struct bpfport *bpfport__open(const struct bpfport_opts *opts);

/* Attaches every loaded probe. A required probe that fails to attach is an
 * error; an optional one is recorded as missing. */
BPFPORT_API int bpfport__attach(struct bpfport *bp);

/*
 * Waits up to timeout_ms (-1: no limit) until events are due, then
 * delivers every event buffered, in one go. Events are due when the
 * probes woke the consumer (a fraction of the buffer waits) or
 * opts.flush_interval_ms passed since the last delivery, so an event is
 * delivered at most that long after it was output when the caller keeps
 * polling. bpfport__poll(bp, 0) delivers what waits, due or not, without
 * waiting. Returns the number of events delivered (0 on timeout or
 * EINTR: nothing delivered) or a negative errno.
 */
BPFPORT_API int bpfport__poll(struct bpfport *bp, int timeout_ms);

/* Detaches and unloads everything. Safe on NULL. Nothing is pinned, so
 * nothing outlives the object. Events still buffered are discarded: a
 * caller that wants them calls bpfport__detach(), then bpfport__poll(bp,
 * 0), first. */
BPFPORT_API void bpfport__destroy(struct bpfport *bp);

/*
 * A file descriptor to join the caller's own event loop (like libbpf's
 * ring_buffer__epoll_fd()): it becomes readable when events are due (as
 * for bpfport__poll(): the probes woke the consumer, or the flush interval
 * passed); then call bpfport__poll(bp, 0). Owned by bp. -EINVAL before
 * bpfport__open() succeeded or for a dry-run object.
 */
BPFPORT_API int bpfport__epoll_fd(const struct bpfport *bp);

/*
 * Detaches every probe and keeps the rest: what they output so far stays
 * buffered for bpfport__poll(), and nothing is output after this returns.
 * So detach, then bpfport__poll(bp, 0), delivers every event the probes
 * output, and the stats count each one delivered or dropped (the CLI's
 * run does this at exit). 0, or -EINVAL for an object never attached.
 */
BPFPORT_API int bpfport__detach(struct bpfport *bp);

/* One step of the mode chain that bpfport__open() tried, in order. */
struct bpfport_attempt {
	enum bpfport_mode mode;
	const char *source;	/* "file", "env", "native", "embedded",
				 * "archive" (BTF) or "headers" (runtime) */
	bool ok;		/* the mode chosen */
	const char *reason;	/* reason code: "native-btf", "no-native-btf", ... */
	const char *detail;	/* one line for humans */
};

/* How many steps were tried; fills *a with step i (strings owned by bp).
 * bpfport__attempt() returns 0 or -EINVAL (i out of range). */
BPFPORT_API size_t bpfport__attempt_cnt(const struct bpfport *bp);
BPFPORT_API int bpfport__attempt(const struct bpfport *bp, size_t i,
				 struct bpfport_attempt *a);

/* One probe, as loaded and attached here. */
struct bpfport_probe {
	const char *name;	/* "exec", "open", "tcp", "oom" */
	bool optional;		/* missing is reported, never fatal */
	bool selected;		/* asked for in opts.probes */
	bool loaded;
	bool attached;
	const char *reason;	/* why not loaded or attached; NULL when fine */
	const char *detail;
};

/* How many probes this library has; fills *p with probe i (strings owned
 * by bp). bpfport__probe() returns 0 or -EINVAL. */
BPFPORT_API size_t bpfport__probe_cnt(const struct bpfport *bp);
BPFPORT_API int bpfport__probe(const struct bpfport *bp, size_t i,
			       struct bpfport_probe *p);

struct bpfport_stats {
	size_t sz;
	uint64_t events;		/* delivered to on_event */
	uint64_t drops;			/* kernel side: buffer full */
	uint64_t lost;			/* perf buffer: lost samples */
	uint64_t malformed;		/* wrong size or type, not delivered */
	size_t :0;
};

BPFPORT_API int bpfport__stats(const struct bpfport *bp,
			       struct bpfport_stats *stats);

BPFPORT_API enum bpfport_mode bpfport__mode(const struct bpfport *bp);
BPFPORT_API enum bpfport_output bpfport__output(const struct bpfport *bp);

/* Writes the one-line summary ("mode=core reason=... attached=...") that
 * the CLI prints at exit, without a trailing newline. */
BPFPORT_API int bpfport__summary(const struct bpfport *bp, char *buf,
				 size_t len, bool with_stats);

BPFPORT_API const char *bpfport_mode_name(enum bpfport_mode mode);
BPFPORT_API const char *bpfport_output_name(enum bpfport_output output);

/* Formats one event (as given to bpfport_event_fn; @data may be at any
 * alignment) as a JSON object or a text line, without a newline. Returns 0
 * or -EINVAL for a bad event. */
BPFPORT_API int bpfport_event__fprint(FILE *out, const void *data,
				      size_t size, enum bpfport_format fmt);

#ifdef __cplusplus
}
#endif
#endif /* BPFPORT_BPFPORT_H */
