/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * librtc: compile BPF C sources into a BPF ELF object, in memory, with
 * clang/LLVM -- without ever mapping LLVM into the calling process.
 *
 * Every compile runs in a child that is forked, capped in address space and
 * time, stripped of its capabilities and of every fd but the result pipe,
 * and that then exec()s the LLVM-linked compiler helper (bpfport-cc), which
 * compiles, sends the object and the diagnostics back over the pipe and
 * exits. A crash, an out-of-memory or a hang of the compiler costs the
 * caller one error code, and the caller's memory stays as it was. Without
 * the helper installed the library still links and answers
 * RTC_ERR_NO_COMPILER.
 *
 * Conventions (after libbpf): ints are 0 or a negative errno, private
 * causes in the RTC_ERR_* range (rtc_strerror() names them); pointers are
 * NULL with errno set. The library never prints.
 *
 * Thread safety: calls are independent, and safe in a threaded process:
 * everything is prepared before fork(), and the child makes only
 * async-signal-safe system calls until exec().
 */
#ifndef BPFPORT_RTC_H
#define BPFPORT_RTC_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RTC_API __attribute__((visibility("default")))

/* Private error range, returned negated (like libbpf's LIBBPF_ERRNO__*). */
enum rtc_errno {
	RTC_ERR_START = 4200,
	RTC_ERR_CRASHED = RTC_ERR_START, /* "compile-crashed": the helper died of a signal */
	RTC_ERR_OOM,		/* "compile-oom": address space cap (or OOM killer) */
	RTC_ERR_TIMEOUT,	/* "compile-timeout": killed after timeout_ms */
	RTC_ERR_FAILED,		/* "compile-failed": the diagnostics say why */
	RTC_ERR_NO_COMPILER,	/* "runtime compilation is not installed" */
	RTC_ERR_END,
};

/*
 * One source file held in memory. A relative name lives under
 * RTC_VIRTUAL_DIR ("exec.bpf.c" is "/rtc/exec.bpf.c", "bpf/bpf_helpers.h"
 * is "/rtc/bpf/bpf_helpers.h"); that directory is searched (-I) right after
 * include_dirs, so quoted and <bpf/...> includes of in-memory files both
 * resolve. An absolute name overlays the real file system at that path.
 */
struct rtc_file {
	const char *name;
	const void *data;
	size_t size;
};

#define RTC_VIRTUAL_DIR "/rtc"

/* rtc_opts.flags */
enum rtc_flags {
	/* No -g: no .BTF in the object. libbpf cannot open an object whose
	 * maps are BTF-defined (__uint/__type in SEC(".maps")) without it. */
	RTC_F_NO_BTF = 1U << 0,
};

/* Measurements of one compile (optional output, rtc_opts.stats). */
struct rtc_stats {
	size_t sz;			/* sizeof(struct rtc_stats), set by the caller */
	unsigned long wall_us;		/* fork to reap */
	unsigned long cpu_us;		/* helper user + system time */
	long child_maxrss_kib;		/* helper peak RSS */
	unsigned long as_budget_bytes;	/* the helper's address-space cap */
	/* With kernel headers: how many of the headers' function bodies
	 * the parser skipped (distinct names), and whether the program
	 * called one of them, so that it was parsed again with all bodies
	 * (the object is the same either way). */
	unsigned long skipped_bodies;
	int reparsed;
};

struct rtc_opts {
	size_t sz;			/* sizeof(struct rtc_opts) */
	/* Name of the file to compile: one of files[] by name, else a path
	 * on disk. Required. */
	const char *main_file;
	const struct rtc_file *files;
	size_t file_cnt;
	const char *const *include_dirs;	/* -I, in this order */
	size_t include_dir_cnt;
	const char *const *system_include_dirs;	/* -isystem, in this order */
	size_t system_include_dir_cnt;
	const char *const *defines;		/* "NAME" or "NAME=VALUE" */
	size_t define_cnt;
	/* clang driver flags, added last (e.g. "-Wall", "-Werror"). The
	 * front end runs for the host triple, so -target/-mcpu do not belong
	 * here: see mcpu. */
	const char *const *argv_extra;
	size_t argc_extra;
	/*
	 * Kernel headers: the include dirs in Kbuild's order and the header
	 * to -include before the source (include/linux/kconfig.h), as the
	 * runtime mode's header layout module gives them (kheaders_include_dirs():
	 * librtc knows no tree layout). When set: -nostdinc with clang's own
	 * include dir, -D__KERNEL__ -D__BPF_TRACING__ -D__TARGET_ARCH_<arch>
	 * -DKBUILD_MODNAME="rtc", the warnings kernel headers give under clang
	 * off, and the bodies of functions defined under these dirs are not
	 * parsed. Unset: the host's system headers (/usr/include).
	 */
	const char *const *kernel_include_dirs;
	size_t kernel_include_dir_cnt;
	const char *kernel_config_header;
	/* BPF CPU (generic, v1, v2, v3; an unknown one fails the compile):
	 * NULL is "v2", which runs on 4.18+ */
	const char *mcpu;
	unsigned int flags;		/* enum rtc_flags */
	/* The compiler helper's address space (RLIMIT_AS, set before
	 * exec). 0: 1 GiB. The static helper itself maps ~80 MiB of it. */
	unsigned long as_limit_bytes;
	unsigned int timeout_ms;	/* 0: 60000 */
	/* The compiler helper, bpfport-cc. NULL: next to the executable,
	 * then where an install puts it relative to the executable,
	 * <exe dir>/../libexec/bpfport/ (rtc_compiler_path()): an installed
	 * tree may be moved. It must be owned by root (or the caller's euid)
	 * and not writable by group/other, nor its directory. */
	const char *compiler_path;
	struct rtc_stats *stats;	/* optional output */
	/* Asked at least every STOP_POLL_MS (50 ms) while the helper runs:
	 * when it returns true the helper is killed at once and
	 * rtc_compile() returns -EINTR (the loader passes the check behind
	 * bpfport_interrupt(), so a SIGTERM stops a compile). NULL: never. */
	bool (*stop)(void);
};

#define RTC_OPTS(NAME, ...)						\
	struct rtc_opts NAME = {					\
		.sz = sizeof(struct rtc_opts),				\
		__VA_ARGS__						\
	}

/*
 * Compiles o->main_file into a BPF ELF object (-O2, BTF unless
 * RTC_F_NO_BTF, host-triple front end retargeted to bpfel/bpfeb).
 *
 * On 0, *obj (free()) holds *obj_sz bytes of ELF. *diag, when diag is not
 * NULL, is set on success and failure alike to a malloc()ed NUL-terminated
 * text (warnings, errors, what happened to the child; possibly empty) or
 * NULL if even that could not be allocated; free() it.
 *
 * Returns 0, -EINVAL (bad opts), -ENOENT (kernel_config_header does not
 * exist: *diag names it), -ENOMEM,
 * -EINTR (the child got SIGINT/SIGTERM/SIGHUP/SIGQUIT, e.g. a Ctrl-C to the
 * process group), another -errno (fork, pipe), or -RTC_ERR_FAILED,
 * -RTC_ERR_CRASHED, -RTC_ERR_OOM (also for a child SIGKILLed by someone
 * else: the OOM killer), -RTC_ERR_TIMEOUT, -RTC_ERR_NO_COMPILER, -EINTR
 * (o->stop said stop).
 */
RTC_API int rtc_compile(const struct rtc_opts *o, void **obj, size_t *obj_sz,
			char **diag);

/* Name of an error: the RTC_ERR_* strings above, else strerror(). Takes
 * err or -err. Never NULL. */
RTC_API const char *rtc_strerror(int err);

/*
 * Writes the helper path a compile with this compiler_path would use (NULL:
 * the default search) into buf. Returns buf, or NULL with errno ENOENT when
 * no candidate exists (buf then holds the installed path, for messages) or
 * ENAMETOOLONG.
 */
RTC_API const char *rtc_compiler_path(const char *compiler_path, char *buf,
				    size_t len);

/*
 * 1 when the helper exists, is safe to run (owner, mode) and answers
 * (run once, as a compile would be), else 0 and why (if not NULL) holds
 * one line, e.g. "runtime compilation is not installed:
 * /opt/bpfport/libexec/bpfport/bpfport-cc missing".
 */
RTC_API int rtc_compiler_available(const char *compiler_path, char *why,
				 size_t len);

/*
 * The compiler's identity for cache keys, asked of the helper, e.g.
 * "Debian clang version 14.0.6; LLVM 14.0.6; bpfport-cc 3".
 * Returns buf, or NULL with errno set (ENOENT: no helper).
 */
RTC_API const char *rtc_compiler_version(const char *compiler_path, char *buf,
					 size_t len);

/*
 * The helper's identity without running it: "build-id <hex>" from its ELF
 * GNU build-id note (a hash of the linked executable: for the static
 * helper, all of clang and LLVM), else "size <bytes> mtime <s>". For cache
 * keys: an object compiled by one helper is never served for another.
 * Returns buf, or NULL with errno set (ENOENT: no helper).
 */
RTC_API const char *rtc_compiler_id(const char *compiler_path, char *buf,
				    size_t len);

#ifdef __cplusplus
}
#endif

#endif /* BPFPORT_RTC_H */
