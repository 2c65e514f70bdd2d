/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* libbpfport internals, shared with the CLI and the unit tests. */
#ifndef BPFPORT_INTERNAL_H
#define BPFPORT_INTERNAL_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpfport/bpfport.h>
#include "events.h"
#include "json.h"
#include "util/msg.h"
#include "util/osrelease.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The most probes the table (BPFPORT_PROBES) may hold: the one limit. The
 * per-probe arrays (struct bpfport, struct runtime_objs) are this long, a
 * probe mask (uint32_t) has a bit for each, and the generated table is
 * checked against it at build time. */
#define BP_MAX_PROBES 8
_Static_assert(BP_MAX_PROBES <= 32, "a probe mask is a uint32_t");

/* ---- messages ---- */
void bp_pr(enum bpfport_print_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define pr_warn(...) bp_pr(BPFPORT_WARN, __VA_ARGS__)
#define pr_info(...) bp_pr(BPFPORT_INFO, __VA_ARGS__)
#define pr_debug(...) bp_pr(BPFPORT_DEBUG, __VA_ARGS__)
/* Writes a one-line message into err (when err and errlen are set). */
#define seterr(err, errlen, ...) ((void)msg_set(err, errlen, 0, __VA_ARGS__))
/* A setting as messages name it (bpfport_set_cli_names()): the CLI's
 * option ("--kernel-headers", with @arg "--kernel-headers DIR"), else the
 * library's opts field and environment variable. */
enum bp_setting {
	BP_SET_KERNEL_HEADERS,
	BP_SET_CACHE_DIR,
	BP_SET_BTF_ARCHIVE,
	BP_SET_HIDE_NATIVE_BTF,
	BP_SET_OUTPUT,
	BP_SET_BUFFER_SIZE,
	BP_SET_FLUSH_INTERVAL,
};
const char *bp_setting_name(enum bp_setting s, bool arg);
/* Records the thread's one-line error (bpfport_errmsg()); returns -err. */
int bp_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- interruption (bpfport_interrupt()) ----
 * Every long step checks bp_interrupted() before it starts and unwinds
 * with -EINTR; bp_err_interrupted() records the one message for it. */
bool bp_interrupted(void);
int bp_err_interrupted(void);
/* Tests only: with $BPFPORT_TEST_STALL=@phase, the first time a phase is
 * reached it logs "test: stalled at PHASE" and waits (30 s at most, or
 * until interrupted), so that a test can signal the process there. The
 * phases: "open" (the event maps made, no probe loaded yet), "load" (a
 * probe loaded, the next not yet), "attach" (a program attached, the next
 * not yet), "extract" (kheaders.tar.xz half extracted). */
void bp_test_stall(const char *phase);

/* ---- system facts (sysinfo.c; os-release: util/osrelease.h) ---- */
/* Kernel config: <sysroot>/boot/config-R, else /proc/config.gz. */
struct kconfig_item {
	const char *name;	/* "CONFIG_DEBUG_INFO_BTF" */
	char value[64];		/* "y", "m", "n" (not set), "" (absent) */
};
/* Parses one config line; returns 1 when it names an option. */
int kconfig_parse_line(const char *line, char *name, size_t nsz,
		       char *val, size_t vsz);
/* Largest kernel config read, compressed or not (real ones: ~300 KB). */
#define KCONFIG_MAX	(16u << 20)
/* The whole config at @path (plain or gzip), decompressed, into *@text
 * (malloc'ed, NUL-terminated; the caller frees) and *@len. 0 or -errno:
 * those of fsio_open_input() (a FIFO is -EINVAL), -EFBIG (over KCONFIG_MAX
 * either way), -EIO (corrupt gzip data), -ENOMEM. */
int kconfig_load(const char *path, char **text, size_t *len);
/* Fills items from the config at path (kconfig_load()); 0 or -errno. */
int kconfig_read(const char *path, struct kconfig_item *items, size_t n);
/* The one locator of kernel @release's config (NULL: the running kernel):
 * $BPFPORT_SYSROOT/boot/config-R if it exists, else /proc/config.gz if it
 * exists (the running kernel's). Writes its path; -ENOENT (path "") when
 * neither exists. check reports it, the runtime cache key hashes it. */
int kconfig_find(const char *release, char *path, size_t len);

/* Privileges: 0 when BPF may be used, else -EPERM with the missing
 * capabilities named in buf. */
int privileges_check(char *buf, size_t len);
bool cap_effective(int cap);
/* uapi headers older than 5.8 lack these */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Mounts tracefs / bpffs when missing. *mounted_now tells the caller. */
int ensure_tracefs(const char **path, bool *mounted_now);
int ensure_bpffs(bool *mounted_now);
bool fs_is(const char *path, unsigned long magic);
const char *tracefs_path(void);	/* NULL when not mounted */

/* This process's tgid as the kernel (the initial pid namespace) sees it,
 * for the probes' self-filter; 0 (a warning says why) when it cannot be
 * had. selfpid.c */
uint32_t self_tgid(void);

/* ---- options (opts.c) ---- */
/* Checks the caller's opts (libbpf's OPTS_VALID rules, enums in range) and
 * copies them into *out completed: every setting with an environment
 * variable is the option, else the variable, else the default. 0 or
 * -EINVAL (bpfport_errmsg() says why). */
int bp_opts_complete(const struct bpfport_opts *in, struct bpfport_opts *out);
/* opts.buffer_size (--buffer-size): a power of 2 from the page size to
 * BP_BUFFER_SIZE_MAX; opts.flush_interval_ms (--flush-interval): 1 to
 * BP_FLUSH_INTERVAL_MAX (in opts, 0 is the default). 0 or -EINVAL,
 * bpfport_errmsg() naming the setting, the value (@given, the text the
 * user wrote, else the number) and what it takes. The one check, for the
 * library and the CLI. */
#define BP_BUFFER_SIZE_MAX	((size_t)1 << 30)
#define BP_FLUSH_INTERVAL_MAX	10000u
int bp_buffer_size_check(size_t size, const char *given);
int bp_flush_interval_check(unsigned int ms, const char *given);
size_t bp_page_size(void);

/* ---- reason codes shared by run, check and the logs ---- */
#define R_NATIVE_BTF		"native-btf"
#define R_NO_NATIVE_BTF		"no-native-btf"
#define R_BTF_CORRUPT		"btf-corrupt"
#define R_RELOCATION_FAILED	"relocation-failed"
#define R_VERIFIER_REJECTED	"verifier-rejected"
#define R_LOAD_FAILED		"load-failed"
#define R_ATTACH_FAILED		"attach-failed"
#define R_KPROBES_UNAVAILABLE	"kprobes-unavailable"
#define R_SYMBOL_NOT_FOUND	"symbol-not-found"
#define R_TRACEPOINT_MISSING	"tracepoint-missing"
#define R_TRACEFS_MISSING	"tracefs-missing"
#define R_MODE_NOT_BUILT	"mode-not-built"
#define R_FORCED		"forced"
#define R_NO_RINGBUF		"no-ringbuf"
#define R_BTF_NOT_FOUND		"btf-not-found"
#define R_BTF_AMBIGUOUS		"btf-ambiguous"
#define R_BTF_WRONG_ARCH	"btf-wrong-arch"
#define R_NO_HEADERS		"no-headers"
#define R_HEADERS_MISMATCH	"headers-mismatch"
#define R_RUNTIME_NOT_INSTALLED	"runtime-not-installed"
#define R_CACHE_UNSAFE		"cache-unsafe"
#define R_COMPILE_FAILED	"compile-failed"
#define R_COMPILE_TIMEOUT	"compile-timeout"
#define R_COMPILE_CRASHED	"compile-crashed"
#define R_COMPILE_OOM		"compile-oom"
#define R_COMPILED		"compiled"
#define R_BTF_FILE		"btf-file"
#define R_BTF_ENV		"btf-env"
#define R_BTF_EMBEDDED		"btf-embedded"
#define R_BTF_ARCHIVE		"btf-archive"
#define R_RINGBUF_SUPPORTED	"ringbuf-supported"
/* check's verdict */
#define R_NO_PRIVILEGE		"no-privilege"
#define R_NO_BPF_SYSCALL	"no-bpf-syscall"
#define R_DRY_RUN_FAILED	"dry-run-failed"
#define R_NO_MODE		"no-mode"

/* The two mode rooms' doors: btfhub/source.h (external and native BTF),
 * runtime-compiler/mode/runtime.h (compiled against the kernel headers). */
#include "source.h"
#include "runtime.h"

/* ---- features (features.c) ---- */
enum feature {
	FEAT_BPF_SYSCALL,
	FEAT_RINGBUF,
	FEAT_PERF_EVENT_ARRAY,
	FEAT_KPROBES,
	FEAT_TRACEPOINTS,
	FEAT_CNT,
};
/* 1 yes, 0 no, <0 error; cached. */
int feature_probe(enum feature f);
const char *feature_name(enum feature f);
/* Path of the native BTF the loader uses (BPFPORT_NATIVE_BTF overrides,
 * for tests and fault injection). */
const char *native_btf_path(void);
/* Can a program of this section attach here? reason set when not. */
bool section_attachable(const char *sec, const char **reason, char *detail,
			size_t dlen);

/* ---- the embedded probe sources, for the runtime build ---- */
struct embedded_file {
	const char *name;	/* include name: "exec.bpf.c", "bpf/bpf_helpers.h" */
	const char *start;
	const char *end;
};
extern const struct embedded_file embedded_sources[];
extern const size_t embedded_source_cnt;

/* ---- probes ----
 * A probe is one folder, bpf/<name>/ (README "Adding a probe"): its
 * <name>.c defines its descriptor row with PROBE(); the build generates
 * probe_table[] from the one list, BPFPORT_PROBES in CMakeLists.txt.
 * Everything else (run, check, fleet, compile, the runtime build, the help)
 * reads the table. */
struct probe_event_type {
	uint16_t type;		/* hdr.type, from the probe's <name>.h; no two
				 * probes share one (unit-probes checks) */
	const char *name;	/* the event's "type" in the output */
};

struct probe_desc {
	const char *name;
	const char *summary;
	/* May be missing (it needs what some kernels lack, e.g. kprobes): a
	 * mode is chosen, and `run` goes on, without it. */
	bool optional;
	const unsigned char *obj_start;	/* embedded CO-RE object */
	const unsigned char *obj_end;
	/* decoder: the event types, their one size, and the printer */
	int (*print)(struct jw *jw, const void *data, size_t size);
	struct probe_event_type events[4];
	uint16_t event_size;
	/* runtime build: tracepoint records ("cat/event") the probe reads,
	 * which kernel headers lack; generated from tracefs formats */
	const char *tp_records[4];
};

/* In bpf/<name>/<name>.c: PROBE(name, .summary = ..., ...); defines the row
 * probe_<name> with its name and embedded object filled in. */
#define PROBE(n, ...)							\
	extern const unsigned char bpfport_obj_##n##_start[];		\
	extern const unsigned char bpfport_obj_##n##_end[];		\
	const struct probe_desc probe_##n = {				\
		.name = #n,						\
		.obj_start = bpfport_obj_##n##_start,			\
		.obj_end = bpfport_obj_##n##_end,			\
		__VA_ARGS__						\
	}

/* generated (probe_table.c): one pointer per BPFPORT_PROBES entry, in order */
extern const struct probe_desc *const probe_table[];
extern const size_t probe_cnt;
const struct probe_desc *probe_by_event_type(uint16_t type);
/* "exec,open,tcp,oom": every probe's name, in table order, into buf */
const char *probe_names(char *buf, size_t len);
/* "exec,open" -> bitmask over probe_table; 0 or -EINVAL naming the bad one */
int probe_list_parse(const char *list, uint32_t *mask);

/* Checks an event buffer: header sane, type known, size as expected. The
 * buffer must be aligned as struct bpfport_ev_hdr (event_aligned()). */
int event_validate(const void *data, size_t size);

/* The largest event of any probe (unit-probes checks the table). */
#define BP_MAX_EVENT_SIZE 1024
struct event_copy {
	_Alignas(struct bpfport_ev_hdr) unsigned char b[BP_MAX_EVENT_SIZE];
};
/* @data itself when it is aligned as an event struct needs, else its first
 * *@size bytes (at most BP_MAX_EVENT_SIZE: *@size is cut to that) copied
 * to @c. Perf buffer samples are 4-byte aligned (they follow their u32
 * size); the structs' __u64 fields need 8. */
const void *event_aligned(const void *data, size_t *size, struct event_copy *c);

/* ---- per-probe results, read by check and the summary ---- */
#define BP_MAX_PROGS 8

#define BP_MAX_RELOS 24

/* Tracepoint context structs are named BP_TP_RECORD "<event>", in CO-RE
 * (compat.bpf.h) as in the records the runtime build generates. */
#define BP_TP_RECORD "trace_event_raw_"

/* One CO-RE relocation as libbpf resolved it (parsed from its log). */
struct relo_status {
	int idx;
	char spec[112];		/* "<byte_off> struct task_struct.real_parent" */
	bool has_target;
	long long target;	/* target offset (byte_off) or value */
	bool ok;		/* instruction patched */
	bool failed;		/* poisoned: the target has no such field */
	bool tp_record;		/* of a tracepoint record (BP_TP_RECORD): when
				 * it fails, the tracepoint is not there */
};

struct prog_status {
	char name[32];
	char section[96];
	bool loaded;
	bool attachable;	/* pre-attach check (tracefs id, kprobes, ksym) */
	bool attached;
	const char *reason;	/* when !attachable or attach failed */
	char detail[160];
	size_t relo_cnt;
	struct relo_status relos[BP_MAX_RELOS];
};

struct probe_status {
	const struct probe_desc *desc;
	bool selected;
	bool loaded;
	bool attached;
	const char *reason;	/* why not loaded / attached */
	char detail[256];
	size_t prog_cnt;
	struct prog_status progs[BP_MAX_PROGS];
};

struct mode_attempt {
	enum bpfport_mode mode;
	const char *source;	/* btf_src_kind_name(), NULL for runtime */
	bool ok;
	const char *reason;
	char detail[1024];
};

size_t bpfport__probe_status(const struct bpfport *bp,
			     const struct probe_status **st);
size_t bpfport__mode_attempts(const struct bpfport *bp,
			      const struct mode_attempt **att);

#endif /* BPFPORT_INTERNAL_H */
