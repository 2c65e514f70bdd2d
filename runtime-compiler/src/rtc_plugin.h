/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The interface between librtc (C, in the forked child) and the LLVM
 * plugin librtc_llvm.so (C++ behind extern "C"). Private: the plugin and
 * the library are built and installed together; RTC_PLUGIN_ABI guards a
 * mismatch anyway.
 */
#ifndef BPFPORT_RTC_PLUGIN_H
#define BPFPORT_RTC_PLUGIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RTC_PLUGIN_ABI 2
#define RTC_PLUGIN_SYMBOL "rtc_llvm_plugin"
#define RTC_PLUGIN_NAME "librtc_llvm.so"

/* Test hooks, read by the plugin inside the child only (documented in
 * runtime-compiler/README.md): sleep | segv | abort | alloc | fatal. */
#define RTC_TEST_HOOK_ENV "BPFPORT_RTC_TEST_HOOK"

struct rtc_plugin_file {
	const char *path;	/* absolute */
	const char *data;
	size_t size;
};

struct rtc_plugin_req {
	/* clang driver arguments after argv[0], input file included */
	const char *const *args;
	size_t argc;
	const struct rtc_plugin_file *files;	/* in-memory overlay */
	size_t file_cnt;
	const char *mcpu;			/* BPF CPU, e.g. "v2" */
	/* Function bodies in files under these directories are skipped by
	 * the parser (the kernel's and clang's headers: BPF code does not
	 * call their inline functions). If the program does call one, the
	 * plugin parses again with all bodies. */
	const char *const *skip_body_dirs;
	size_t skip_body_dir_cnt;
	/* Called instead of returning when memory runs out or LLVM hits a
	 * fatal error; neither returns. */
	void (*on_oom)(void);
	void (*on_fatal)(const char *msg);
};

struct rtc_plugin_out {
	void *obj;		/* malloc()ed ELF */
	size_t obj_sz;
	char *diag;		/* malloc()ed text, or NULL */
	unsigned long skipped_bodies;	/* header function bodies not parsed */
	int reparsed;		/* the program called one: parsed in full */
};

struct rtc_plugin {
	unsigned int abi;	/* RTC_PLUGIN_ABI */
	/* "Debian clang version 14.0.6; LLVM 14.0.6; rtc-plugin 1" */
	const char *(*version)(void);
	/* clang's resource dir (builtin headers), found at run time */
	const char *(*resource_dir)(void);
	/* 0 on success (out->obj set), -1 when compilation failed (out->diag
	 * says why). */
	int (*compile)(const struct rtc_plugin_req *req,
		       struct rtc_plugin_out *out);
};

typedef const struct rtc_plugin *(*rtc_plugin_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* BPFPORT_RTC_PLUGIN_H */
