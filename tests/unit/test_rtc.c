// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the runtime compiler (runtime-compiler/): test_rtc GROUP.
 *   basic      a BTF-defined map and a tracepoint program from in-memory
 *              sources, no kernel headers; libbpf opens the object; bad
 *              input, compile errors, backend errors, a missing or unsafe
 *              helper
 *   isolation  timeout, crash, LLVM fatal error, out of memory: each is
 *              its error code, the caller lives on and never maps LLVM;
 *              the helper runs without capabilities, fds or limits to spare;
 *              a hostile helper (fake_cc.c) is bounded and classified
 *   kheaders   bpf/exec/exec.bpf.c with -DBPFPORT_RUNTIME against Debian's 6.1
 *              kernel headers from the kernel-matrix cache, with the include
 *              dirs the header layout module (mode/kheaders.c) gives
 * Env: BPFPORT_RTC_COMPILER (bpfport-cc; else the default search),
 * BPFPORT_SOURCE_DIR (the source tree; else the build's), BPFPORT_KERNEL_HEADERS
 * (a linux-headers-R-<flavour> dir) or BPFPORT_KERNEL_CACHE (default
 * /var/cache/bpfport-kernels, current-6.1). What cannot run here exits 77
 * ("SKIP: reason"), or fails under CI. Timings are printed as "measure:".
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <bpf/btf.h>

#include <bpfport/rtc.h>

#include "check.h"
#include "kheaders.h"	/* the header layout: include dirs of a tree */
#include "util/fsio.h"

#ifndef BPFPORT_SOURCE_DIR
#define BPFPORT_SOURCE_DIR "."
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *helper;	/* NULL: the library's default search */

/* ret must be want; on a mismatch print the compiler's diagnostics */
#define CHECK_RET(ret, want, diag)					\
	do {								\
		int r_ = (ret), w_ = (want);				\
		if (r_ != w_) {						\
			fprintf(stderr, "%s:%d: %s = %d (%s), expected %d (%s)\n" \
				"--- diagnostics ---\n%s-------------------\n", \
				__FILE__, __LINE__, #ret, r_, rtc_strerror(r_), \
				w_, rtc_strerror(w_), (diag) ? (diag) : "(null)"); \
			failures++;					\
		}							\
	} while (0)

static int skip(const char *fmt, ...)
{
	va_list ap;

	printf(getenv("CI") && *getenv("CI") ? "FAIL: cannot run under CI: " : "SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return getenv("CI") && *getenv("CI") ? 1 : 77;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static double ms(unsigned long us)
{
	return us / 1000.0;
}

static unsigned long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000UL + ts.tv_nsec / 1000;
}

static long status_kib(const char *key)
{
	char line[256];
	long v = -1;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* The parent must never map LLVM: not the helper, not what it links. */
static int parent_maps_llvm(char *which, size_t len)
{
	static const char *const libs[] = { "libLLVM", "libclang", "bpfport-cc" };
	char line[4096];
	int found = 0;
	size_t i;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		for (i = 0; i < ARRAY_SIZE(libs); i++)
			if (strstr(line, libs[i])) {
				snprintf(which, len, "%s", line);
				found = 1;
			}
	fclose(f);
	return found;
}

/* The section @name of an ELF64 object in memory, or NULL. */
static const void *elf_section(const void *obj, size_t sz, const char *name,
			       size_t *len)
{
	const Elf64_Ehdr *eh = obj;
	const Elf64_Shdr *sh, *strs;
	size_t i;

	if (sz < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || !eh->e_shoff ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(*sh) > sz ||
	    eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	sh = (const Elf64_Shdr *)((const char *)obj + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	for (i = 0; i < eh->e_shnum; i++) {
		const char *n = (const char *)obj + strs->sh_offset + sh[i].sh_name;

		if (strs->sh_offset + sh[i].sh_name < sz && !strcmp(n, name) &&
		    sh[i].sh_offset + sh[i].sh_size <= sz) {
			*len = sh[i].sh_size;
			return (const char *)obj + sh[i].sh_offset;
		}
	}
	return NULL;
}

/* bytes of CO-RE relocations in .BTF.ext (header v1: core_relo_len at 28) */
static long core_relo_bytes(const void *obj, size_t sz)
{
	size_t len = 0;
	const unsigned char *ext = elf_section(obj, sz, ".BTF.ext", &len);
	unsigned int hdr_len, relo_len;

	if (!ext)
		return 0;
	if (len < 8)
		return -1;
	memcpy(&hdr_len, ext + 4, 4);
	if (hdr_len < 32)
		return 0;
	memcpy(&relo_len, ext + 28, 4);
	return relo_len;
}

static int is_bpf_elf(const void *obj, size_t sz)
{
	const Elf64_Ehdr *eh = obj;

	return sz >= sizeof(*eh) && !memcmp(eh->e_ident, ELFMAG, SELFMAG) &&
	       eh->e_machine == EM_BPF && eh->e_type == ET_REL;
}

/* libbpf opens @obj and finds these programs (and sections) and maps. */
static void check_libbpf_open(const void *obj, size_t sz, const char *const *progs,
			      const char *const *secs, size_t nprogs,
			      const char *const *maps, size_t nmaps)
{
	struct bpf_object *bo = bpf_object__open_mem(obj, sz, NULL);
	size_t i;

	CHECK(bo != NULL);
	if (!bo) {
		fprintf(stderr, "bpf_object__open_mem: %s\n", strerror(errno));
		return;
	}
	CHECK(bpf_object__btf(bo) != NULL);
	for (i = 0; i < nprogs; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(bo, progs[i]);

		CHECK(p != NULL);
		if (!p) {
			fprintf(stderr, "  no program %s\n", progs[i]);
			continue;
		}
		if (strcmp(bpf_program__section_name(p), secs[i])) {
			fprintf(stderr, "  %s: section %s, expected %s\n", progs[i],
				bpf_program__section_name(p), secs[i]);
			failures++;
		}
		CHECK(bpf_program__type(p) == BPF_PROG_TYPE_TRACEPOINT);
	}
	for (i = 0; i < nmaps; i++) {
		if (!bpf_object__find_map_by_name(bo, maps[i])) {
			fprintf(stderr, "  no map %s\n", maps[i]);
			failures++;
		}
	}
	bpf_object__close(bo);
}

/* ------------------------------------------------------------------ */

static const char basic_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"#include \"basic.h\"\n"
	"\n"
	"struct {\n"
	"	__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"	__uint(max_entries, BASIC_ENTRIES);\n"
	"	__type(key, __u32);\n"
	"	__type(value, struct basic_val);\n"
	"} counts SEC(\".maps\");\n"
	"\n"
	"SEC(\"tracepoint/syscalls/sys_enter_getpid\")\n"
	"int on_getpid(void *ctx)\n"
	"{\n"
	"	__u32 key = 0;\n"
	"	struct basic_val *v = bpf_map_lookup_elem(&counts, &key);\n"
	"\n"
	"	if (v) {\n"
	"		__sync_fetch_and_add(&v->hits, 1);\n"
	"		v->last_pid = bpf_get_current_pid_tgid() >> 32;\n"
	"	}\n"
	"	return 0;\n"
	"}\n"
	"\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

static const char basic_hdr[] =
	"struct basic_val {\n"
	"	__u64 hits;\n"
	"	__u32 last_pid;\n"
	"	__u32 pad;\n"
	"};\n";

static const struct rtc_file basic_files[] = {
	{ "basic.bpf.c", basic_src, sizeof(basic_src) - 1 },
	{ "basic.h", basic_hdr, sizeof(basic_hdr) - 1 },
};

static const char *const basic_defines[] = { "BASIC_ENTRIES=4" };

/* rtc_opts.stop of the tests: says stop from its STOP_AFTER-th call on */
#define STOP_AFTER 4
static int stop_calls;

static bool stop_soon(void)
{
	return ++stop_calls >= STOP_AFTER;
}

static bool (*test_stop)(void);

static int compile_basic(unsigned int timeout_ms, unsigned long as_limit,
			 void **obj, size_t *sz, char **diag, struct rtc_stats *st)
{
	RTC_OPTS(o,
		.stop = test_stop,
		.main_file = "basic.bpf.c",
		.files = basic_files,
		.file_cnt = ARRAY_SIZE(basic_files),
		.defines = basic_defines,
		.define_cnt = ARRAY_SIZE(basic_defines),
		.timeout_ms = timeout_ms,
		.as_limit_bytes = as_limit,
		.compiler_path = helper,
		.stats = st,
	);

	return rtc_compile(&o, obj, sz, diag);
}

static void check_basic_object(const void *obj, size_t sz)
{
	static const char *const progs[] = { "on_getpid" };
	static const char *const secs[] = { "tracepoint/syscalls/sys_enter_getpid" };
	static const char *const maps[] = { "counts" };
	struct bpf_object *bo;
	struct bpf_map *m;
	size_t len;

	CHECK(is_bpf_elf(obj, sz));
	CHECK(elf_section(obj, sz, ".BTF", &len) != NULL);
	check_libbpf_open(obj, sz, progs, secs, 1, maps, 1);

	bo = bpf_object__open_mem(obj, sz, NULL);
	m = bo ? bpf_object__find_map_by_name(bo, "counts") : NULL;
	CHECK(m && bpf_map__max_entries(m) == 4);	/* the define reached it */
	CHECK(m && bpf_map__value_size(m) == 16);	/* the in-memory header too */
	CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_ARRAY);
	bpf_object__close(bo);
}

/* @path written with @size bytes of @data, mode @mode; 0 or -1. */
static int write_file(const char *path, const void *data, size_t size, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int ok = fd >= 0 && fsio_write_all(fd, data, size) == 0;

	if (fd >= 0)
		close(fd);
	return ok && !chmod(path, mode) ? 0 : -1;
}

/* A helper others could replace is refused before it runs, with the fix;
 * so is a file that is no executable. */
static void test_helper_checks(void)
{
	char dir[] = "/tmp/test_rtc_helper.XXXXXX", copy[64], src[4096], why[512];
	void *data = NULL;
	size_t size = 0;

	CHECK(rtc_compiler_path(helper, src, sizeof(src)) == src);
	CHECK(fsio_read_file(src, 512UL << 20, &data, &size) == 0);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(copy, sizeof(copy), "%s/bpfport-cc", dir);
	CHECK(data && write_file(copy, data, size, 0755) == 0);
	CHECK(rtc_compiler_available(copy, why, sizeof(why)) == 1);

	CHECK(chmod(copy, 0775) == 0);
	CHECK(rtc_compiler_available(copy, why, sizeof(why)) == 0);
	CHECK_HAS(why, "is writable by group/other (mode 0775)");
	CHECK_HAS(why, "chmod go-w it");
	CHECK(chmod(copy, 0755) == 0);

	CHECK(chmod(dir, 0777) == 0);
	CHECK(rtc_compiler_available(copy, why, sizeof(why)) == 0);
	CHECK_HAS(why, "the directory of the compiler helper,");
	CHECK_HAS(why, "(mode 0777)");
	CHECK(chmod(dir, 0700) == 0);

	if (geteuid() == 0) {
		CHECK(chown(copy, 65534, 65534) == 0);
		CHECK(rtc_compiler_available(copy, why, sizeof(why)) == 0);
		CHECK_HAS(why, "is owned by uid 65534, not root");
		CHECK(chown(copy, 0, 0) == 0 && chmod(copy, 0755) == 0);
		CHECK(rtc_compiler_available(copy, why, sizeof(why)) == 1);
	}

	/* its identity for the cache: the build-id readelf sees */
	{
		char id[256], cmd[4200], line[512] = "";
		FILE *p;

		CHECK(rtc_compiler_id(copy, id, sizeof(id)) == id);
		snprintf(cmd, sizeof(cmd), "readelf -n '%s' | sed -n 's/.*Build ID: //p'", copy);
		p = popen(cmd, "r");
		if (p && fgets(line, sizeof(line), p))
			line[strcspn(line, "\n")] = '\0';
		if (p)
			pclose(p);
		CHECK(line[0] && !strncmp(id, "build-id ", 9) && !strcmp(id + 9, line));
	}

	/* executable, but not a program */
	CHECK(write_file(copy, "garbage\n", 8, 0755) == 0);
	{
		char id[256];

		CHECK(rtc_compiler_id(copy, id, sizeof(id)) == id);
		CHECK(!strncmp(id, "size 8 mtime ", 13));
	}
	CHECK(rtc_compiler_available(copy, why, sizeof(why)) == 0);
	CHECK_HAS(why, "runtime compilation is not usable: cannot execute");
	CHECK_HAS(why, "Exec format error");

	unlink(copy);
	rmdir(dir);
	free(data);
}

static void test_basic(void)
{
	struct rtc_stats st = { .sz = sizeof(st) };
	char *diag = NULL, why[512], ver[256], path[4096];
	void *obj = NULL;
	size_t sz = 0;
	long rss0 = status_kib("VmRSS");
	int ret;

	unsigned long t0 = now_us();

	CHECK(rtc_compiler_available(helper, why, sizeof(why)) == 1);
	printf("measure: rtc_compiler_available (fork + exec) %.1f ms\n",
	       ms(now_us() - t0));
	CHECK(rtc_compiler_version(helper, ver, sizeof(ver)) == ver);
	CHECK_HAS(ver, "clang version");
	CHECK_HAS(ver, "bpfport-cc");
	printf("compiler: %s\n", ver);

	ret = compile_basic(0, 0, &obj, &sz, &diag, &st);
	CHECK_RET(ret, 0, diag);
	if (!ret)
		check_basic_object(obj, sz);
	printf("measure: basic compile wall=%.1f ms cpu=%.1f ms child_maxrss=%.1f MiB "
	       "obj=%zu bytes parent_rss=%ld->%ld KiB\n", ms(st.wall_us), ms(st.cpu_us),
	       st.child_maxrss_kib / 1024.0, sz, rss0, status_kib("VmRSS"));
	free(obj);
	free(diag);

	/* a main file on disk, its header in memory next to it */
	{
		char dir[] = "/tmp/test_rtc.XXXXXX", file[64];
		static const struct rtc_file hdr[] = {
			{ "/tmp/hdr-overlay/basic.h", basic_hdr, sizeof(basic_hdr) - 1 },
		};
		static const char *const inc[] = { "/tmp/hdr-overlay" };
		FILE *f;

		CHECK(mkdtemp(dir) != NULL);
		snprintf(file, sizeof(file), "%s/disk.bpf.c", dir);
		f = fopen(file, "we");
		CHECK(f != NULL);
		if (f) {
			RTC_OPTS(o, .main_file = file, .files = hdr, .file_cnt = 1,
				 .include_dirs = inc, .include_dir_cnt = 1,
				 .defines = basic_defines, .define_cnt = 1,
				 .compiler_path = helper);

			fputs(basic_src, f);
			fclose(f);
			ret = rtc_compile(&o, &obj, &sz, &diag);
			CHECK_RET(ret, 0, diag);
			if (!ret)
				check_basic_object(obj, sz);
			free(obj);
			free(diag);
			unlink(file);
		}
		rmdir(dir);
	}

	/* a syntax error: compile-failed, and the diagnostics point at it */
	{
		static const char bad[] = "int x = ;\n";
		static const struct rtc_file f[] = { { "bad.bpf.c", bad, sizeof(bad) - 1 } };
		RTC_OPTS(o, .main_file = "bad.bpf.c", .files = f, .file_cnt = 1,
			 .compiler_path = helper);

		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -RTC_ERR_FAILED, diag);
		CHECK_HAS(diag, RTC_VIRTUAL_DIR "/bad.bpf.c:1:9: error: expected expression");
		CHECK(obj == NULL && sz == 0);
		free(diag);
	}

	/* a backend error (BPF stack limit): compile-failed, with the reason */
	{
		static const char big[] =
			"#include <linux/bpf.h>\n"
			"#include <bpf/bpf_helpers.h>\n"
			"SEC(\"tracepoint/syscalls/sys_enter_getpid\")\n"
			"int big(void *ctx)\n"
			"{\n"
			"	volatile char buf[1024];\n"
			"	bpf_probe_read_kernel((void *)buf, sizeof(buf), ctx);\n"
			"	return buf[1000];\n"
			"}\n";
		static const struct rtc_file f[] = { { "big.bpf.c", big, sizeof(big) - 1 } };
		RTC_OPTS(o, .main_file = "big.bpf.c", .files = f, .file_cnt = 1,
			 .compiler_path = helper);

		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -RTC_ERR_FAILED, diag);
		CHECK_HAS(diag, "stack limit");
		free(diag);
	}

	/* flags reach the driver: -Werror turns a warning into a failure */
	{
		static const char warn[] = "int f(void) { int unused; return 0; }\n";
		static const struct rtc_file f[] = { { "w.c", warn, sizeof(warn) - 1 } };
		static const char *const extra[] = { "-Wall", "-Werror" };
		RTC_OPTS(o, .main_file = "w.c", .files = f, .file_cnt = 1,
			 .argv_extra = extra, .argc_extra = 2, .compiler_path = helper);

		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -RTC_ERR_FAILED, diag);
		CHECK_HAS(diag, "-Werror,-Wunused-variable");
		free(diag);
	}

	/* the BPF CPU is checked, not silently ignored */
	{
		RTC_OPTS(o, .main_file = "basic.bpf.c", .files = basic_files,
			 .file_cnt = ARRAY_SIZE(basic_files), .defines = basic_defines,
			 .define_cnt = 1, .mcpu = "v9", .compiler_path = helper);

		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -RTC_ERR_FAILED, diag);
		CHECK_HAS(diag, "unknown BPF CPU 'v9'");
		free(diag);
		o.mcpu = "v3";
		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, 0, diag);
		free(obj);
		free(diag);
	}

	/* no helper: a clear reason naming the path, no child needed */
	{
		RTC_OPTS(o, .main_file = "basic.bpf.c", .files = basic_files,
			 .file_cnt = ARRAY_SIZE(basic_files),
			 .compiler_path = "/nonexistent/bpfport-cc");

		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -RTC_ERR_NO_COMPILER, diag);
		CHECK_HAS(diag, "runtime compilation is not installed: "
			  "/nonexistent/bpfport-cc missing");
		free(diag);
		CHECK(rtc_compiler_available("/nonexistent/bpfport-cc", why,
					   sizeof(why)) == 0);
		CHECK_HAS(why, "runtime compilation is not installed: "
			  "/nonexistent/bpfport-cc missing");
		CHECK(rtc_compiler_version("/nonexistent/bpfport-cc", ver,
					   sizeof(ver)) == NULL && errno == ENOENT);
		CHECK(strcmp(rtc_strerror(-RTC_ERR_NO_COMPILER),
			     "runtime compilation is not installed") == 0);
	}

	/* a file that is not a helper: not usable, says why */
	CHECK(rtc_compiler_available("/etc/hostname", why, sizeof(why)) == 0 ||
	      access("/etc/hostname", F_OK));
	if (!access("/etc/hostname", F_OK))
		CHECK_HAS(why, "runtime compilation is not usable");

	test_helper_checks();

	/* bad options */
	{
		RTC_OPTS(o, .main_file = NULL);
		struct {
			struct rtc_opts o;
			long future;	/* a newer caller's field, non-zero */
		} newer = { .o = { .sz = sizeof(newer), .main_file = "x.c" }, .future = 1 };

		CHECK(rtc_compile(&o, &obj, &sz, &diag) == -EINVAL);
		free(diag);
		CHECK(rtc_compile(&newer.o, &obj, &sz, &diag) == -EINVAL);
		free(diag);
		CHECK(rtc_compile(NULL, &obj, &sz, NULL) == -EINVAL);
	}

	CHECK(strcmp(rtc_strerror(-RTC_ERR_CRASHED), "compile-crashed") == 0);
	CHECK(strcmp(rtc_strerror(RTC_ERR_OOM), "compile-oom") == 0);
	CHECK(strcmp(rtc_strerror(-RTC_ERR_TIMEOUT), "compile-timeout") == 0);
	CHECK(strcmp(rtc_strerror(-RTC_ERR_FAILED), "compile-failed") == 0);
	CHECK(strcmp(rtc_strerror(-ENOENT), strerror(ENOENT)) == 0);
	CHECK(rtc_compiler_path(helper, path, sizeof(path)) == path);
}

/* ------------------------------------------------------------------ */

static int compile_with_hook(const char *hook, unsigned int timeout_ms,
			     unsigned long as_limit, char **diag,
			     struct rtc_stats *st)
{
	void *obj = NULL;
	size_t sz = 0;
	int ret;

	if (hook)
		setenv("BPFPORT_RTC_TEST_HOOK", hook, 1);
	ret = compile_basic(timeout_ms, as_limit, &obj, &sz, diag, st);
	unsetenv("BPFPORT_RTC_TEST_HOOK");
	free(obj);
	return ret;
}

static void test_isolation(void)
{
	struct rtc_stats st = { .sz = sizeof(st) };
	char *diag = NULL, which[4096];
	void *obj = NULL;
	size_t sz = 0;
	pid_t self = getpid();
	int ret;

	/* timeout: a child that never finishes (test hook "sleep") */
	ret = compile_with_hook("sleep", 700, 0, &diag, &st);
	CHECK_RET(ret, -RTC_ERR_TIMEOUT, diag);
	CHECK_HAS(diag, "timed out after 700 ms");
	CHECK(st.wall_us >= 700000 && st.wall_us < 3000000);
	printf("measure: timeout 700 ms -> returned after %.1f ms\n", ms(st.wall_us));
	free(diag);

	/* stopped: a helper that would sleep for the whole 60 s timeout is
	 * killed once rtc_opts.stop says stop (a SIGTERM to the loader), and
	 * reaped: no child is left */
	test_stop = stop_soon;
	stop_calls = 0;
	ret = compile_with_hook("sleep", 60000, 0, &diag, &st);
	test_stop = NULL;
	CHECK_RET(ret, -EINTR, diag);
	CHECK_HAS(diag, "compile stopped (interrupted): compiler helper killed");
	CHECK(stop_calls == STOP_AFTER);
	CHECK(st.wall_us < 10000000);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	printf("measure: stop after %d polls -> returned after %.1f ms\n", STOP_AFTER, ms(st.wall_us));
	free(diag);

	/* timeout, for real: no compile finishes in 1 ms */
	ret = compile_with_hook(NULL, 1, 0, &diag, NULL);
	CHECK_RET(ret, -RTC_ERR_TIMEOUT, diag);
	free(diag);

	/* crash: SIGSEGV and SIGABRT in the child, far from the memory cap */
	ret = compile_with_hook("segv", 0, 0, &diag, NULL);
	CHECK_RET(ret, -RTC_ERR_CRASHED, diag);
	CHECK_HAS(diag, "SIGSEGV");
	free(diag);
	ret = compile_with_hook("abort", 0, 0, &diag, NULL);
	CHECK_RET(ret, -RTC_ERR_CRASHED, diag);
	CHECK_HAS(diag, "SIGABRT");
	free(diag);

	/* LLVM fatal error (report_fatal_error): compile-failed, with text */
	ret = compile_with_hook("fatal", 0, 0, &diag, NULL);
	CHECK_RET(ret, -RTC_ERR_FAILED, diag);
	CHECK_HAS(diag, "rtc test hook: fatal error");
	free(diag);

	/* out of memory: a cap too small to even start the helper (16 MiB) ... */
	ret = compile_with_hook(NULL, 0, 16UL << 20, &diag, &st);
	CHECK_RET(ret, -RTC_ERR_OOM, diag);
	CHECK_HAS(diag, "out of memory");
	free(diag);
	/* ... and allocations failing inside the helper under a 512 MiB cap */
	ret = compile_with_hook("alloc", 0, 512UL << 20, &diag, &st);
	CHECK_RET(ret, -RTC_ERR_OOM, diag);
	printf("measure: alloc hook under a 512 MiB cap -> %s after %.1f ms, "
	       "child_maxrss=%.1f MiB\n", rtc_strerror(ret), ms(st.wall_us),
	       st.child_maxrss_kib / 1024.0);
	free(diag);

	/* the sandbox the helper runs in: no capabilities now or to come, no
	 * new privileges, no core dumps, the address-space cap, and only its
	 * fds 0-3 (4 is the listing's own) */
	setenv("BPFPORT_RTC_TEST_HOOK", "status", 1);
	ret = compile_basic(0, 300UL << 20, &obj, &sz, &diag, NULL);
	unsetenv("BPFPORT_RTC_TEST_HOOK");
	CHECK_RET(ret, 0, diag);
	CHECK_HAS(diag, "CapEff:\t0000000000000000\n");
	CHECK_HAS(diag, "CapPrm:\t0000000000000000\n");
	CHECK_HAS(diag, "CapInh:\t0000000000000000\n");
	CHECK_HAS(diag, "CapAmb:\t0000000000000000\n");
	if (geteuid() == 0)	/* only a root caller can drop its bounding set */
		CHECK_HAS(diag, "CapBnd:\t0000000000000000\n");
	CHECK_HAS(diag, "NoNewPrivs:\t1\n");
	CHECK_HAS(diag, "Max address space         314572800");
	CHECK_HAS(diag, "Max core file size        0 ");
	CHECK_HAS(diag, "fds: 0 1 2 3 4\n");
	free(obj);
	free(diag);

	/* a helper that closes its pipe and hangs is killed at the deadline;
	 * nonsense results and frames are refused, not believed */
	{
		RTC_OPTS(o, .main_file = "basic.bpf.c", .files = basic_files,
			 .file_cnt = ARRAY_SIZE(basic_files), .compiler_path = FAKE_CC,
			 .timeout_ms = 700, .stats = &st);

		setenv("BPFPORT_RTC_TEST_HOOK", "close-hang", 1);
		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -RTC_ERR_TIMEOUT, diag);
		CHECK(st.wall_us >= 700000 && st.wall_us < 3000000);
		free(diag);
		setenv("BPFPORT_RTC_TEST_HOOK", "bad-result", 1);
		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -RTC_ERR_CRASHED, diag);
		CHECK_HAS(diag, "malformed reply");
		free(diag);
		setenv("BPFPORT_RTC_TEST_HOOK", "bad-frame", 1);
		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -RTC_ERR_CRASHED, diag);
		CHECK_HAS(diag, "malformed reply");
		free(diag);
		unsetenv("BPFPORT_RTC_TEST_HOOK");
		CHECK(strcmp(rtc_strerror(INT_MIN), "unknown error") == 0);
	}

	/* the caller lived through all of it, never mapped LLVM, and can
	 * still compile */
	CHECK(getpid() == self);
	CHECK(parent_maps_llvm(which, sizeof(which)) == 0);
	if (parent_maps_llvm(which, sizeof(which)) > 0)
		fprintf(stderr, "parent maps: %s", which);
	ret = compile_basic(0, 0, &obj, &sz, &diag, NULL);
	CHECK_RET(ret, 0, diag);
	if (!ret)
		check_basic_object(obj, sz);
	CHECK(parent_maps_llvm(which, sizeof(which)) == 0);
	free(obj);
	free(diag);
}

/* ------------------------------------------------------------------ */

struct src {
	const char *name;	/* in-memory name */
	const char *path;	/* read from */
};

/* A Debian linux-headers-R-amd64 dir for 6.1, or NULL and why. */
static const char *find_kheaders(char *dir, size_t len, char *why, size_t wlen)
{
	const char *env = getenv("BPFPORT_KERNEL_HEADERS");
	const char *cache = getenv("BPFPORT_KERNEL_CACHE");
	char path[PATH_MAX], rel[256] = "";
	FILE *f;

	if (env && *env) {
		snprintf(dir, len, "%s", env);
	} else {
		if (!cache || !*cache)
			cache = "/var/cache/bpfport-kernels";
		snprintf(path, sizeof(path), "%.3000s/current-6.1/release", cache);
		f = fopen(path, "re");
		if (!f || !fgets(rel, sizeof(rel), f)) {
			snprintf(why, wlen, "no Debian 6.1 kernel headers (%.3100s missing): "
				 "get them with tests/kernels/fetch 6.1", path);
			if (f)
				fclose(f);
			return NULL;
		}
		fclose(f);
		rel[strcspn(rel, "\n")] = '\0';
		snprintf(dir, len, "%.3000s/current-6.1/root/usr/src/linux-headers-%s",
			 cache, rel);
	}
	snprintf(path, sizeof(path), "%.3000s/include/generated/autoconf.h", dir);
	if (access(path, R_OK)) {
		snprintf(why, wlen, "no kernel headers at %.1000s (%.1000s missing): "
			 "get them with tests/kernels/fetch 6.1", dir, path);
		return NULL;
	}
	return dir;
}

/*
 * What the loader generates from the running kernel's tracefs format files
 * (runtime-compiler/mode/tpformat.h): here Debian 6.1's layouts, written out, since
 * this host's tracefs is another kernel's.
 */
static const char tp_61[] =
	"struct trace_event_raw_sched_process_exec {\n"
	"	unsigned short common_type;\n"
	"	unsigned char common_flags;\n"
	"	unsigned char common_preempt_count;\n"
	"	int common_pid;\n"
	"	unsigned int __data_loc_filename;\n"
	"	int pid;\n"
	"	int old_pid;\n"
	"};\n"
	"#define BPFPORT_TP_HAS_sched_process_exec_filename 1\n"
	"#define BPFPORT_TP_DATALOC_sched_process_exec_filename 1\n"
	"#define BPFPORT_TP_HAS_sched_process_exec_pid 1\n"
	"#define BPFPORT_TP_HAS_sched_process_exec_old_pid 1\n"
	"struct trace_event_raw_sched_process_fork {\n"
	"	unsigned short common_type;\n"
	"	unsigned char common_flags;\n"
	"	unsigned char common_preempt_count;\n"
	"	int common_pid;\n"
	"	char parent_comm[16];\n"
	"	int parent_pid;\n"
	"	char child_comm[16];\n"
	"	int child_pid;\n"
	"};\n"
	"_Static_assert(__builtin_offsetof(struct trace_event_raw_sched_process_fork,"
	" child_pid) == 44, \"child_pid\");\n"
	"#define BPFPORT_TP_HAS_sched_process_fork_parent_comm 1\n"
	"#define BPFPORT_TP_HAS_sched_process_fork_parent_pid 1\n"
	"#define BPFPORT_TP_HAS_sched_process_fork_child_comm 1\n"
	"#define BPFPORT_TP_HAS_sched_process_fork_child_pid 1\n";

static int test_kheaders(void)
{
	static const struct src srcs[] = {
		{ "exec.bpf.c", "bpf/exec/exec.bpf.c" },
		{ "common.bpf.h", "bpf/common.bpf.h" },
		{ "compat.bpf.h", "bpf/compat.bpf.h" },
		{ "events.h", "bpf/events.h" },
		{ "exec.h", "bpf/exec/exec.h" },
		/* libbpf's BPF-side headers, in memory: the kernel include
		 * order has -nostdinc, and /usr/include would bring the
		 * host's libc headers next to the kernel's */
		{ "bpf/bpf_helpers.h", "/usr/include/bpf/bpf_helpers.h" },
		{ "bpf/bpf_helper_defs.h", "/usr/include/bpf/bpf_helper_defs.h" },
		{ "bpf/bpf_tracing.h", "/usr/include/bpf/bpf_tracing.h" },
		{ "bpf/bpf_core_read.h", "/usr/include/bpf/bpf_core_read.h" },
		{ "bpf/bpf_endian.h", "/usr/include/bpf/bpf_endian.h" },
	};
	static const char *const progs[] = {
		"exec_rb", "exec_pb", "fork_rb", "fork_pb", "exit_rb", "exit_pb",
	};
	static const char *const secs[] = {
		"tracepoint/sched/sched_process_exec", "tracepoint/sched/sched_process_exec",
		"tracepoint/sched/sched_process_fork", "tracepoint/sched/sched_process_fork",
		"tracepoint/sched/sched_process_exit", "tracepoint/sched/sched_process_exit",
	};
	static const char *const maps[] = { "events_rb", "events_pb", "drops", "cfg", "heap" };
	static const char *const defines[] = { "BPFPORT_RUNTIME" };
	struct rtc_file files[ARRAY_SIZE(srcs) + 1];
	struct rtc_stats st = { .sz = sizeof(st) };
	char kdir[4096], why[4096], path[4096], *diag = NULL;
	char kinc[KHEADERS_MAX_INCLUDE][PATH_MAX], kconfig_h[PATH_MAX];
	const char *kinc_ptr[KHEADERS_MAX_INCLUDE];
	size_t kinc_cnt;
	struct kheaders kh;
	const char *srcdir = getenv("BPFPORT_SOURCE_DIR");
	void *obj = NULL, *first = NULL, *data;
	size_t sz = 0, first_sz = 0, i, len;
	long rss0, rss1;
	int ret, round;

	if (!find_kheaders(kdir, sizeof(kdir), why, sizeof(why)))
		return skip("%s", why);
	ret = kheaders_find(kdir, NULL, &kh, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "kheaders_find(%s): %s\n", kdir, why);
		return 1;
	}
	kinc_cnt = kheaders_include_dirs(&kh, kinc, kconfig_h);
	CHECK(kinc_cnt == 8);	/* a split tree: include of both halves */
	for (i = 0; i < kinc_cnt; i++)
		kinc_ptr[i] = kinc[i];
	if (!srcdir || !*srcdir)
		srcdir = BPFPORT_SOURCE_DIR;
	for (i = 0; i < ARRAY_SIZE(srcs); i++) {
		if (srcs[i].path[0] == '/')
			snprintf(path, sizeof(path), "%s", srcs[i].path);
		else
			snprintf(path, sizeof(path), "%s/%s", srcdir, srcs[i].path);
		files[i].name = srcs[i].name;
		ret = fsio_read_file(path, 64u << 20, &data, &files[i].size);
		if (ret)
			return skip("cannot read %s: %s", path, strerror(-ret));
		files[i].data = data;
	}
	files[i].name = "bpfport_tp.h";
	files[i].data = strdup(tp_61);
	files[i].size = strlen(tp_61);
	printf("kernel headers: %s\n", kdir);

	/* Twice: clang-14 crashes on a second CO-RE compile in one process;
	 * one child per compile never sees a second one. */
	for (round = 1; round <= 2; round++) {
		RTC_OPTS(o,
			.main_file = "exec.bpf.c",
			.files = files,
			.file_cnt = ARRAY_SIZE(files),
			.defines = defines,
			.define_cnt = ARRAY_SIZE(defines),
			.kernel_include_dirs = kinc_ptr,
			.kernel_include_dir_cnt = kinc_cnt,
			.kernel_config_header = kconfig_h,
			.compiler_path = helper,
			.stats = &st,
		);

		rss0 = status_kib("VmRSS");
		ret = rtc_compile(&o, &obj, &sz, &diag);
		rss1 = status_kib("VmRSS");
		CHECK_RET(ret, 0, diag);
		if (ret)
			break;
		if (diag && *diag)
			printf("diagnostics:\n%s", diag);
		CHECK(is_bpf_elf(obj, sz));
		CHECK(elf_section(obj, sz, ".BTF", &len) != NULL);
		/* runtime mode exists to do without kernel BTF: no CO-RE */
		CHECK(core_relo_bytes(obj, sz) == 0);
		check_libbpf_open(obj, sz, progs, secs, ARRAY_SIZE(progs),
				  maps, ARRAY_SIZE(maps));
		/* the headers' inline function bodies were not parsed (most
		 * of the compile time) and the program needed none of them */
		CHECK(st.skipped_bodies > 500);
		CHECK(!st.reparsed);
		printf("measure: exec.bpf.c against 6.1 headers (round %d): wall=%.1f ms "
		       "cpu=%.1f ms child_maxrss=%.1f MiB obj=%zu bytes "
		       "parent_rss=%ld->%ld KiB skipped_bodies=%lu\n", round, ms(st.wall_us),
		       ms(st.cpu_us), st.child_maxrss_kib / 1024.0, sz, rss0, rss1,
		       st.skipped_bodies);
		if (round == 1) {
			first = obj;
			first_sz = sz;
		} else {
			/* reproducible, hence cacheable: same bytes each time */
			CHECK(sz == first_sz && !memcmp(obj, first, sz));
			free(obj);
		}
		free(diag);
		obj = NULL;
		diag = NULL;
	}
	free(first);
	free(diag);

	/* A program that calls an inline function of the kernel headers
	 * (uapi/linux/swab.h's __fswab16, plain C on x86) gets that body:
	 * the helper parses again in full, and the call is inlined, not left
	 * as a call to an undefined function. */
	{
		static const char src[] =
			"#include <linux/types.h>\n"
			"#include <linux/swab.h>\n"
			"__attribute__((section(\"socket\"), used))\n"
			"int bpf_swab(void *ctx) { volatile __u16 v = 0x1234; return __fswab16(v); }\n"
			"char _license[] __attribute__((section(\"license\"), used)) = \"GPL\";\n";
		static const struct rtc_file f = { "swab.c", src, sizeof(src) - 1 };
		RTC_OPTS(o, .main_file = "swab.c", .files = &f, .file_cnt = 1,
			 .kernel_include_dirs = kinc_ptr, .kernel_include_dir_cnt = kinc_cnt,
			 .kernel_config_header = kconfig_h, .compiler_path = helper,
			 .flags = RTC_F_NO_BTF, .stats = &st);

		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, 0, diag);
		CHECK(st.reparsed == 1);
		CHECK(!ret && is_bpf_elf(obj, sz) && !memmem(obj, sz, "__fswab16", 9));
		free(obj);
		free(diag);
		obj = NULL;
		diag = NULL;
	}

	/* a cap that starts the helper but does not fit this compile: its
	 * address space at the start of a compile (test hook "status"), plus
	 * 16 MiB; the compile needs more than that (the dynamic helper maps
	 * libLLVM at start, the static one is itself ~80 MiB) */
	{
		RTC_OPTS(o, .main_file = "exec.bpf.c", .files = files,
			 .file_cnt = ARRAY_SIZE(files), .defines = defines,
			 .define_cnt = ARRAY_SIZE(defines), .kernel_include_dirs = kinc_ptr,
			 .kernel_include_dir_cnt = kinc_cnt, .kernel_config_header = kconfig_h,
			 .compiler_path = helper, .stats = &st);
		const char *vm;
		unsigned long start_kib = 0;

		setenv("BPFPORT_RTC_TEST_HOOK", "status", 1);
		ret = rtc_compile(&o, &obj, &sz, &diag);
		unsetenv("BPFPORT_RTC_TEST_HOOK");
		CHECK_RET(ret, 0, diag);
		vm = diag ? strstr(diag, "VmSize:") : NULL;
		if (vm)
			start_kib = strtoul(vm + 7, NULL, 10);
		CHECK(start_kib > 0);
		free(obj);
		free(diag);
		obj = NULL;

		o.as_limit_bytes = (start_kib << 10) + (16UL << 20);
		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -RTC_ERR_OOM, diag);
		printf("measure: cap of %lu MiB (the start's + 16) -> %s after %.1f ms, "
		       "child_maxrss=%.1f MiB\n", o.as_limit_bytes >> 20, rtc_strerror(ret),
		       ms(st.wall_us), st.child_maxrss_kib / 1024.0);
		free(obj);
		free(diag);
	}

	/* headers that are not there: a clear error, no child */
	{
		static const char *const tmp_inc[] = { "/tmp/include" };
		RTC_OPTS(o, .main_file = "exec.bpf.c", .files = files,
			 .file_cnt = ARRAY_SIZE(files), .kernel_include_dirs = tmp_inc,
			 .kernel_include_dir_cnt = 1,
			 .kernel_config_header = "/tmp/include/linux/kconfig.h",
			 .compiler_path = helper);

		ret = rtc_compile(&o, &obj, &sz, &diag);
		CHECK_RET(ret, -ENOENT, diag);
		CHECK_HAS(diag, "kernel headers: no /tmp/include/linux/kconfig.h");
		free(diag);
		o.kernel_config_header = NULL;	/* dirs without the header */
		CHECK_RET(rtc_compile(&o, &obj, &sz, &diag), -EINVAL, diag);
		free(diag);
	}

	for (i = 0; i < ARRAY_SIZE(files); i++)
		free((void *)files[i].data);
	return 0;
}

/* ------------------------------------------------------------------ */

static int run_basic(void) { test_basic(); return 0; }
static int run_isolation(void) { test_isolation(); return 0; }

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} groups[] = {
		{ "basic", run_basic },
		{ "isolation", run_isolation },
		{ "kheaders", test_kheaders },
	};
	char why[4096];
	size_t i;
	int ran = 0, ret = 0;

	helper = getenv("BPFPORT_RTC_COMPILER");
	if (helper && !*helper)
		helper = NULL;
	libbpf_set_print(quiet_libbpf);
	if (!rtc_compiler_available(helper, why, sizeof(why)))
		return skip("%s (build the rtc_llvm target, or set BPFPORT_RTC_COMPILER)", why);

	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		if (argc > 1 && strcmp(argv[1], groups[i].name))
			continue;
		ret = groups[i].fn();
		ran++;
		if (ret)
			break;
	}
	if (!ran) {
		fprintf(stderr, "unknown test group '%s'\n", argv[1]);
		return 2;
	}
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : ret;
}
