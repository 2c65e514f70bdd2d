// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The caller's options, checked and completed in one place.
 *
 * Checked the way libbpf checks its own opts (OPTS_VALID): a struct from
 * an older caller (smaller sz) is completed with zeros; one from a newer
 * caller (larger sz) is accepted only if every byte this library does not
 * know is zero, so that a setting is never silently ignored. Enums out of
 * range are refused here, before anything is mounted or loaded.
 *
 * Completed: each setting that has an environment variable is taken from
 * the option, else the variable, else the default -- the same order for
 * every one of them, and nowhere else.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util/fsio.h"
#include "rtcache.h"	/* RTCACHE_DEFAULT_DIR */

#ifndef BPFPORT_BTF_ARCHIVE_REL_PATH	/* from the executable's dir */
#define BPFPORT_BTF_ARCHIVE_REL_PATH "../share/bpfport/btfhub-archive"
#endif

static char default_archive[PATH_MAX];
static pthread_once_t default_archive_once = PTHREAD_ONCE_INIT;

/* <exe dir>/../share/bpfport/btfhub-archive: where an install puts it,
 * relative to the executable like the compiler helper (the tree may be
 * moved); "" when /proc/self/exe cannot be read */
static void default_archive_init(void)
{
	char exe[PATH_MAX];

	if (!fsio_exe_dir(exe, sizeof(exe)) &&
	    (size_t)snprintf(default_archive, sizeof(default_archive), "%s/%s", exe,
			     BPFPORT_BTF_ARCHIVE_REL_PATH) >= sizeof(default_archive))
		default_archive[0] = '\0';
}

/* option, else $env, else def ("" and unset alike) */
static const char *setting(const char *opt, const char *env, const char *def)
{
	const char *v = getenv(env);

	if (opt && *opt)
		return opt;
	return v && *v ? v : def;
}

size_t bp_page_size(void)
{
	long n = sysconf(_SC_PAGESIZE);

	return n > 0 ? (size_t)n : 4096;
}

/* "bad SETTING 'GIVEN'" or "bad SETTING VALUE" */
static int bad_setting(enum bp_setting set, const char *given, size_t v, const char *rule)
{
	if (given)
		return bp_err(EINVAL, "bad %s '%s': %s", bp_setting_name(set, false), given, rule);
	return bp_err(EINVAL, "bad %s %zu: %s", bp_setting_name(set, false), v, rule);
}

int bp_buffer_size_check(size_t size, const char *given)
{
	char rule[128];

	if (size >= bp_page_size() && size <= BP_BUFFER_SIZE_MAX &&
	    !(size & (size - 1)))
		return 0;
	snprintf(rule, sizeof(rule), "give a power of 2 from the page size (%zu) to 1G, e.g. 4M",
		 bp_page_size());
	return bad_setting(BP_SET_BUFFER_SIZE, given, size, rule);
}

int bp_flush_interval_check(unsigned int ms, const char *given)
{
	char rule[64];

	if (ms >= 1 && ms <= BP_FLUSH_INTERVAL_MAX)
		return 0;
	snprintf(rule, sizeof(rule), "give milliseconds from 1 to %u", BP_FLUSH_INTERVAL_MAX);
	return bad_setting(BP_SET_FLUSH_INTERVAL, given, ms, rule);
}

int bp_opts_complete(const struct bpfport_opts *in, struct bpfport_opts *out)
{
	const char *t;
	size_t sz;

	memset(out, 0, sizeof(*out));
	if (!in || in->sz < offsetof(struct bpfport_opts, probes))
		return bp_err(EINVAL, "options: missing, or sz (%zu) too small",
			      in ? in->sz : 0);
	sz = in->sz < sizeof(*out) ? in->sz : sizeof(*out);
	for (size_t i = sizeof(*out); i < in->sz; i++)
		if (((const char *)in)[i])
			return bp_err(EINVAL, "options: set beyond what this libbpfport knows (sz %zu > %zu)",
				      in->sz, sizeof(*out));
	memcpy(out, in, sz);
	out->sz = sizeof(*out);
	if ((unsigned int)out->mode > BPFPORT_MODE_RUNTIME)
		return bp_err(EINVAL, "options: unknown mode %d", (int)out->mode);
	if ((unsigned int)out->output > BPFPORT_OUTPUT_PERFBUF)
		return bp_err(EINVAL, "options: unknown output %d", (int)out->output);
	/* 0: the default */
	if ((out->buffer_size && bp_buffer_size_check(out->buffer_size, NULL)) ||
	    (out->flush_interval_ms && bp_flush_interval_check(out->flush_interval_ms, NULL)))
		return -EINVAL;

	out->os_release = setting(out->os_release, "BPFPORT_OS_RELEASE", NULL);
	pthread_once(&default_archive_once, default_archive_init);
	out->btf_archive = setting(out->btf_archive, "BPFPORT_BTF_ARCHIVE",
				   default_archive[0] ? default_archive : NULL);
	out->cache_dir = setting(out->cache_dir, "BPFPORT_CACHE_DIR", RTCACHE_DEFAULT_DIR);
	t = getenv("BPFPORT_COMPILE_TIMEOUT_MS");
	if (!out->compile_timeout_ms && t && *t)
		out->compile_timeout_ms = (unsigned int)strtoul(t, NULL, 10);
	return 0;
}
