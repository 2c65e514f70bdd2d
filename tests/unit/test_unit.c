// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests that need no privilege. One runner, registered with CTest as
 * one test per group (like libgit2's clar): test_unit GROUP.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "args.h"
#include "events.h"
#include "exec/exec.h"
#include "open/open.h"
#include "oom/oom.h"
#include "tcp/tcp.h"
#include "check.h"

/* bpf/tcp/tcp.c, user side only */
const char *tcp_state_name(unsigned int state);

static const char *fixtures;

static char *fixture(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	return path;
}

/* Formats through a memory stream. */
static char *capture_event(const void *data, size_t size, enum bpfport_format f,
			   int *ret)
{
	static char buf[8192];
	FILE *m = fmemopen(buf, sizeof(buf), "w");

	*ret = bpfport_event__fprint(m, data, size, f);
	fclose(m);
	return buf;
}

/* ---- json ---- */
static void test_json(void)
{
	/* writer: nesting and commas */
	{
		char buf[512];
		FILE *m = fmemopen(buf, sizeof(buf), "w");
		struct jw jw;

		jw_init(&jw, m, false, false);
		jw_start_object(&jw);
		jw_kv_str(&jw, "a", "x\"y");
		jw_key(&jw, "b");
		jw_start_array(&jw);
		jw_uint(&jw, 1);
		jw_int(&jw, -2);
		jw_start_object(&jw);
		jw_end_object(&jw);
		jw_end_array(&jw);
		jw_kv_bool(&jw, "c", true);
		jw_key(&jw, "d");
		jw_null(&jw);
		jw_end_object(&jw);
		fclose(m);
		CHECK_STR(buf, "{\"a\":\"x\\\"y\",\"b\":[1,-2,{}],\"c\":true,\"d\":null}");
	}
}

/* ---- argument parsing ---- */
static void test_args(void)
{
	struct run_args r;
	struct check_args c;
	char err[256];
	double d;

	{
		char *argv[] = { "run", "--probes", "exec,tcp", "-m", "core", "-d",
				 "2.5", "--output", "perfbuf", "-f", "text", NULL };
		CHECK(run_args_parse(11, argv, &r, err, sizeof(err)) == ARGS_OK);
		CHECK_STR(r.probes, "exec,tcp");
		CHECK(r.mode == BPFPORT_MODE_CORE);
		CHECK(r.duration == 2.5);
		CHECK(r.output == BPFPORT_OUTPUT_PERFBUF);
		CHECK(r.format == BPFPORT_FORMAT_TEXT);
	}
	{
		char *argv[] = { "run", NULL };
		CHECK(run_args_parse(1, argv, &r, err, sizeof(err)) == ARGS_OK);
		CHECK(r.probes == NULL && r.duration < 0);
		CHECK(r.mode == BPFPORT_MODE_AUTO && r.output == BPFPORT_OUTPUT_AUTO);
		CHECK(r.format == BPFPORT_FORMAT_JSON);
	}
	{
		char *argv[] = { "run", "--duration", "abc", NULL };
		CHECK(run_args_parse(3, argv, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "bad --duration 'abc'"));
	}
	{
		char *argv[] = { "run", "--output", "pipe", NULL };
		CHECK(run_args_parse(3, argv, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "--output 'pipe'"));
	}
	{
		char *argv[] = { "run", "--mode", "magic", NULL };
		CHECK(run_args_parse(3, argv, &r, err, sizeof(err)) == ARGS_ERROR);
	}
	{
		char *argv[] = { "run", "--frobnicate", NULL };
		CHECK(run_args_parse(2, argv, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "unknown option '--frobnicate'"));
	}
	{
		char *argv[] = { "run", "-d", NULL };
		CHECK(run_args_parse(2, argv, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "needs a value"));
	}
	{
		char *argv[] = { "run", "extra", NULL };
		CHECK(run_args_parse(2, argv, &r, err, sizeof(err)) == ARGS_ERROR);
	}
	{
		char *argv[] = { "check", "--json", "-p", "oom", NULL };
		CHECK(check_args_parse(4, argv, &c, err, sizeof(err)) == ARGS_OK);
		CHECK(c.json && !c.pretty);
		CHECK_STR(c.probes, "oom");
	}
	{
		char *argv[] = { "check", "-h", NULL };
		CHECK(check_args_parse(2, argv, &c, err, sizeof(err)) == ARGS_HELP);
	}
	{
		char *argv[] = { "check", "--mode", "magic", NULL };
		CHECK(check_args_parse(3, argv, &c, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "bad --mode 'magic'"));
	}
	{
		char *argv[] = { "check", "extra", NULL };
		CHECK(check_args_parse(2, argv, &c, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "unexpected argument 'extra' (see 'bpfport check --help')"));
	}
	{
		struct fleet_args fa;
		char *archive[] = { "fleet", "--csv", "/a", NULL };
		char *reports[] = { "fleet", "-r", "/r", "-j", "-p", "exec", NULL };
		char *both[] = { "fleet", "--reports", "/r", "/a", NULL };
		char *none[] = { "fleet", "--json", NULL };

		CHECK(fleet_args_parse(3, archive, &fa, err, sizeof(err)) == ARGS_OK);
		CHECK_STR(fa.dir, "/a");
		CHECK(fa.csv && !fa.reports);
		CHECK(fleet_args_parse(6, reports, &fa, err, sizeof(err)) == ARGS_OK);
		CHECK_STR(fa.reports, "/r");
		CHECK_STR(fa.probes, "exec");
		CHECK(fa.json && !fa.dir);
		CHECK(fleet_args_parse(4, both, &fa, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "unexpected argument '/a'"));
		CHECK(fleet_args_parse(2, none, &fa, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "or --reports DIR"));
	}
	{
		struct compile_args ca;
		char *ok[] = { "compile", "-k", "/h", "-p", "exec", "--cache-dir", "/c",
			       "-o", "out.o", "-v", NULL };
		char *no_out[] = { "compile", "-p", "exec", NULL };
		char *extra[] = { "compile", "-o", "x", "y", NULL };
		char *unknown[] = { "compile", "--frobnicate", NULL };
		char *no_value[] = { "compile", "-o", NULL };
		char *long_out[] = { "compile", "--out", "dir", NULL };
		char *run_short_o[] = { "run", "-o", "perfbuf", NULL };

		CHECK(compile_args_parse(10, ok, &ca, err, sizeof(err)) == ARGS_OK);
		CHECK_STR(ca.kernel_headers, "/h");
		CHECK_STR(ca.probes, "exec");
		CHECK_STR(ca.cache_dir, "/c");
		CHECK_STR(ca.out, "out.o");
		CHECK(ca.verbose);
		CHECK(compile_args_parse(3, no_out, &ca, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "compile needs -o OUT"));
		CHECK(compile_args_parse(4, extra, &ca, err, sizeof(err)) == ARGS_ERROR);
		CHECK(compile_args_parse(2, unknown, &ca, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "unknown option '--frobnicate' (see 'bpfport compile --help')"));
		CHECK(compile_args_parse(2, no_value, &ca, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "option '-o' needs a value"));
		/* -o is an output file wherever it exists; run's --output (the
		 * event buffer) is long only */
		CHECK(compile_args_parse(3, long_out, &ca, err, sizeof(err)) == ARGS_OK);
		CHECK_STR(ca.out, "dir");
		CHECK(run_args_parse(3, run_short_o, &r, err, sizeof(err)) == ARGS_ERROR);
	}

	{
		char *ok[] = { "run", "--buffer-size", "16M", "--flush-interval", "50", NULL };
		char *not_pow2[] = { "run", "--buffer-size", "3M", NULL };
		char *tiny[] = { "run", "--buffer-size", "1024", NULL };
		char *huge[] = { "run", "--buffer-size", "2G", NULL };
		char *unit[] = { "run", "--buffer-size", "4MB", NULL };
		char *zero_ms[] = { "run", "--flush-interval", "0", NULL };
		char *long_ms[] = { "run", "--flush-interval", "10001", NULL };
		char *frac_ms[] = { "run", "--flush-interval", "2.5", NULL };

		bpfport_set_cli_names(true);	/* as the CLI does */
		CHECK(run_args_parse(5, ok, &r, err, sizeof(err)) == ARGS_OK);
		CHECK(r.buffer_size == 16 << 20 && r.flush_interval_ms == 50);
		CHECK(run_args_parse(3, not_pow2, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "bad --buffer-size '3M': give a power of 2"));
		CHECK(run_args_parse(3, tiny, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "from the page size"));
		CHECK(run_args_parse(3, huge, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(run_args_parse(3, unit, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "bad --buffer-size '4MB': give bytes, with K, M or G"));
		CHECK(run_args_parse(3, zero_ms, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "bad --flush-interval '0': give milliseconds from 1 to 10000"));
		CHECK(run_args_parse(3, long_ms, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(run_args_parse(3, frac_ms, &r, err, sizeof(err)) == ARGS_ERROR);
		CHECK(strstr(err, "bad --flush-interval '2.5'"));
		bpfport_set_cli_names(false);
	}
	{
		size_t z;

		CHECK(parse_size("4096", &z) == 0 && z == 4096);
		CHECK(parse_size("64K", &z) == 0 && z == 64 << 10);
		CHECK(parse_size("1G", &z) == 0 && z == (size_t)1 << 30);
		CHECK(parse_size("", &z) == -EINVAL);
		CHECK(parse_size("K", &z) == -EINVAL);
		CHECK(parse_size("-4K", &z) == -EINVAL);
		CHECK(parse_size("4k", &z) == -EINVAL);
		CHECK(parse_size("99999999999999", &z) == -EINVAL);
		CHECK(parse_size("2048G", &z) == -EINVAL);
	}

	CHECK(parse_duration("0", &d) == 0 && d == 0);
	CHECK(parse_duration("10", &d) == 0 && d == 10);
	CHECK(parse_duration("0.25", &d) == 0 && d == 0.25);
	CHECK(parse_duration("-1", &d) == -EINVAL);
	CHECK(parse_duration("", &d) == -EINVAL);
	CHECK(parse_duration("1e3", &d) == -EINVAL);
	CHECK(parse_duration("inf", &d) == -EINVAL);
	CHECK(parse_duration("nan", &d) == -EINVAL);
	CHECK(parse_duration("0x10", &d) == -EINVAL);
	CHECK(parse_duration("10s", &d) == -EINVAL);
	CHECK(parse_duration("99999999", &d) == -EINVAL);

	{
		uint32_t mask;

		CHECK(probe_list_parse("exec,oom", &mask) == 0 && mask == 0x9);
		CHECK(probe_list_parse(NULL, &mask) == 0 && mask == 0xf);
		CHECK(probe_list_parse("all", &mask) == 0 && mask == 0xf);
		CHECK(probe_list_parse("exec,bogus", &mask) == -EINVAL);
		CHECK(strstr(bpfport_errmsg(), "unknown probe 'bogus'"));
		CHECK(probe_list_parse("execx", &mask) == -EINVAL);
		CHECK(probe_list_parse("", &mask) == -EINVAL);
		CHECK(probe_list_parse(",", &mask) == -EINVAL);
	}
}

/* ---- os-release ---- */
static void test_osrelease(void)
{
	struct os_release o;

	CHECK(os_release_read(fixture("os-release-debian"), &o, NULL, 0) == 0);
	CHECK_STR(o.id, "debian");
	CHECK_STR(o.version_id, "12");
	CHECK_STR(o.pretty_name, "Debian GNU/Linux 12 (bookworm)");

	CHECK(os_release_read(fixture("os-release-centos8"), &o, NULL, 0) == 0);
	CHECK_STR(o.id, "centos");
	CHECK_STR(o.version_id, "8");
	CHECK_STR(o.id_like, "rhel fedora");

	CHECK(os_release_read(fixture("os-release-amzn2"), &o, NULL, 0) == 0);
	CHECK_STR(o.id, "amzn");
	CHECK_STR(o.version_id, "2");

	CHECK(os_release_read(fixture("os-release-quoted"), &o, NULL, 0) == 0);
	CHECK_STR(o.id, "ubuntu");
	CHECK_STR(o.version_id, "20.04");
	CHECK_STR(o.pretty_name, "Ubuntu \"Focal\" \\ 20.04");
	CHECK_STR(o.name, "Ubuntu");

	CHECK(os_release_parse("NAME=x\n# ID=commented\n", &o) == -ENOENT);
	CHECK(os_release_read(fixture("does-not-exist"), &o, NULL, 0) == -ENOENT);
}

/* ---- kernel config ---- */
static void test_kconfig(void)
{
	struct kconfig_item items[] = {
		{ .name = "CONFIG_DEBUG_INFO_BTF" }, { .name = "CONFIG_IKHEADERS" },
		{ .name = "CONFIG_BPF_EVENTS" }, { .name = "CONFIG_NR_CPUS" },
		{ .name = "CONFIG_LOCALVERSION" }, { .name = "CONFIG_ABSENT" },
	};
	char n[64], v[64];
	int pass;

	for (pass = 0; pass < 2; pass++) {
		const char *f = pass ? "kconfig-sample.gz" : "kconfig-sample";

		CHECK(kconfig_read(fixture(f), items, ARRAY_SIZE(items)) == 0);
		CHECK_STR(items[0].value, "y");
		CHECK_STR(items[1].value, "n");
		CHECK_STR(items[2].value, "m");
		CHECK_STR(items[3].value, "512");
		CHECK_STR(items[4].value, "\"-custom\"");
		CHECK_STR(items[5].value, "n");
	}
	CHECK(kconfig_read(fixture("nope.gz"), items, ARRAY_SIZE(items)) < 0);
	/* a FIFO is refused at once (the alarm fails the test instead of
	 * hanging it); over KCONFIG_MAX, compressed or not, too */
	{
		char dir[] = "/tmp/bpfport-test-kconfig-XXXXXX", p[PATH_MAX];
		char *zeros = calloc(1, KCONFIG_MAX + 1);
		gzFile gz;
		int fd;

		CHECK(mkdtemp(dir) && zeros);
		snprintf(p, sizeof(p), "%s/fifo", dir);
		CHECK(!mkfifo(p, 0600));
		alarm(10);
		CHECK(kconfig_read(p, items, ARRAY_SIZE(items)) == -EINVAL);
		alarm(0);
		CHECK(!unlink(p));
		snprintf(p, sizeof(p), "%s/big", dir);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		CHECK(fd >= 0 && !ftruncate(fd, KCONFIG_MAX + 1));
		close(fd);
		CHECK(kconfig_read(p, items, ARRAY_SIZE(items)) == -EFBIG);
		gz = gzopen(p, "wb9");
		CHECK(gz && gzwrite(gz, zeros, KCONFIG_MAX + 1) == KCONFIG_MAX + 1);
		gzclose(gz);
		CHECK(kconfig_read(p, items, ARRAY_SIZE(items)) == -EFBIG);
		gz = gzopen(p, "wb9");
		CHECK(gz && gzwrite(gz, zeros, KCONFIG_MAX) == KCONFIG_MAX);
		gzclose(gz);
		CHECK(kconfig_read(p, items, ARRAY_SIZE(items)) == 0);
		CHECK(!unlink(p) && !rmdir(dir));
		free(zeros);
	}
	CHECK(kconfig_parse_line("# CONFIG_KPROBES is not set\n", n, sizeof(n), v, sizeof(v)) == 1);
	CHECK_STR(n, "CONFIG_KPROBES");
	CHECK_STR(v, "n");
	CHECK(kconfig_parse_line("# random comment\n", n, sizeof(n), v, sizeof(v)) == 0);
	CHECK(kconfig_parse_line("CONFIG_X\n", n, sizeof(n), v, sizeof(v)) == 0);

	/* the one locator (check and the runtime cache key): <sysroot>/boot/
	 * config-R, else the running kernel's /proc/config.gz */
	{
		char root[] = "/tmp/bpfport-test-kconfig-XXXXXX", p[PATH_MAX], want[PATH_MAX + 64];
		bool proc = !access("/proc/config.gz", F_OK);
		FILE *f;

		CHECK(mkdtemp(root) != NULL);
		snprintf(p, sizeof(p), "%s/boot", root);
		CHECK(!mkdir(p, 0755));
		snprintf(want, sizeof(want), "%s/boot/config-9.9.9-test", root);
		f = fopen(want, "we");
		CHECK(f && fputs("CONFIG_BPF=y\n", f) >= 0 && !fclose(f));
		setenv("BPFPORT_SYSROOT", root, 1);
		CHECK(kconfig_find("9.9.9-test", p, sizeof(p)) == 0);
		CHECK_STR(p, want);
		CHECK(kconfig_find("9.9.9-other", p, sizeof(p)) == (proc ? 0 : -ENOENT));
		CHECK_STR(p, proc ? "/proc/config.gz" : "");
		CHECK(kconfig_find("9.9.9-test", p, 20) == (proc ? 0 : -ENOENT));	/* the first too long */
		unsetenv("BPFPORT_SYSROOT");
		CHECK(kconfig_find("9.9.9-test", p, sizeof(p)) == (proc ? 0 : -ENOENT));
		if (!kconfig_find(NULL, p, sizeof(p)))
			CHECK(!strncmp(p, "/boot/config-", 13) || !strcmp(p, "/proc/config.gz"));
		unlink(want);
		snprintf(p, sizeof(p), "%s/boot", root);
		rmdir(p);
		rmdir(root);
	}
}

/* ---- event decoding ---- */
static void test_decode(void)
{
	struct exec_event e = {};
	struct open_event o = {};
	struct tcp_event t = {};
	struct oom_event k = {};
	char *s;
	int ret;

	e.hdr = (struct bpfport_ev_hdr){ .type = BPFPORT_EV_EXIT,
					 .size = sizeof(e), .pid = 42,
					 .ts_ns = 99 };
	e.ppid = 7;
	e.exit_code = 7;
	e.signal = 0;
	e.lifetime_ns = 1234;
	/* comm is not NUL-terminated: all 16 bytes are used */
	memcpy(e.comm, "0123456789abcdef", 16);
	s = capture_event(&e, sizeof(e), BPFPORT_FORMAT_JSON, &ret);
	CHECK(ret == 0);
	CHECK_STR(s, "{\"type\":\"exit\",\"ts_ns\":99,\"pid\":42,\"ppid\":7,\"uid\":0,"
		     "\"comm\":\"0123456789abcdef\",\"exit_code\":7,\"signal\":0,"
		     "\"lifetime_ns\":1234}");
	s = capture_event(&e, sizeof(e), BPFPORT_FORMAT_TEXT, &ret);
	CHECK_STR(s, "exit ts_ns=99 pid=42 ppid=7 uid=0 comm=\"0123456789abcdef\" "
		     "exit_code=7 signal=0 lifetime_ns=1234");
	{	/* as a perf buffer sample is: 4-byte aligned (UBSan: misaligned
		 * reads of the structs before event_aligned()) */
		uint64_t raw[BP_MAX_EVENT_SIZE / 8 + 2] = { 0 };
		struct event_copy c;
		size_t n = sizeof(e) + 4;
		const void *a;

		memcpy((char *)raw + 4, &e, sizeof(e));
		s = capture_event((char *)raw + 4, sizeof(e), BPFPORT_FORMAT_TEXT, &ret);
		CHECK(ret == 0);
		CHECK_STR(s, "exit ts_ns=99 pid=42 ppid=7 uid=0 comm=\"0123456789abcdef\" "
			     "exit_code=7 signal=0 lifetime_ns=1234");
		a = event_aligned((char *)raw + 4, &n, &c);
		CHECK(a == c.b && n == sizeof(e) + 4 && !memcmp(a, &e, sizeof(e)));
		CHECK(event_aligned(raw, &n, &c) == raw);
		n = BP_MAX_EVENT_SIZE + 4;	/* cut to the copy */
		CHECK(event_aligned((char *)raw + 4, &n, &c) == c.b && n == BP_MAX_EVENT_SIZE);
	}

	e.hdr.type = BPFPORT_EV_EXEC;
	memcpy(e.comm, "evil\n\"x\0", 8);
	snprintf(e.filename, sizeof(e.filename), "/tmp/a\nb\"\xff");
	s = capture_event(&e, sizeof(e), BPFPORT_FORMAT_JSON, &ret);
	CHECK(strstr(s, "\"comm\":\"evil\\n\\\"x\""));
	CHECK(strstr(s, "\"filename\":\"/tmp/a\\nb\\\"\\ufffd\"}"));
	CHECK(!strchr(s, '\n'));	/* one event, one line */

	/* wrong sizes and unknown types are refused, never read past */
	CHECK(event_validate(&e, sizeof(e) - 1) == -EINVAL);
	CHECK(event_validate(&e, 4) == -EINVAL);
	e.hdr.size = sizeof(e) + 8;
	CHECK(event_validate(&e, sizeof(e)) == -EINVAL);
	e.hdr.size = sizeof(e);
	e.hdr.type = 77;
	CHECK(event_validate(&e, sizeof(e)) == -EINVAL);
	s = capture_event(&e, sizeof(e), BPFPORT_FORMAT_JSON, &ret);
	CHECK(ret == -EINVAL);
	/* perf buffers pad samples: a longer buffer is fine */
	e.hdr.type = BPFPORT_EV_FORK;
	CHECK(event_validate(&e, sizeof(e) + 4) == 0);

	o.hdr = (struct bpfport_ev_hdr){ .type = BPFPORT_EV_OPEN,
					 .size = sizeof(o), .pid = 5 };
	o.flags = 0101;
	o.ret = -2;
	strcpy(o.path, "/etc/passwd");
	s = capture_event(&o, sizeof(o), BPFPORT_FORMAT_JSON, &ret);
	CHECK(strstr(s, "\"flags\":65,\"ret\":-2,\"path\":\"/etc/passwd\"}"));

	t.hdr = (struct bpfport_ev_hdr){ .type = BPFPORT_EV_TCP,
					 .size = sizeof(t), .pid = 9 };
	t.family = 2;
	t.sport = 40000;
	t.dport = 80;
	memcpy(t.saddr, "\x7f\x00\x00\x01", 4);
	memcpy(t.daddr, "\x0a\x01\x02\x03", 4);
	t.oldstate = 4;
	t.newstate = 7;
	t.bytes_sent = 10;
	t.bytes_received = 20;
	s = capture_event(&t, sizeof(t), BPFPORT_FORMAT_JSON, &ret);
	CHECK(strstr(s, "\"family\":\"inet\",\"saddr\":\"127.0.0.1\",\"sport\":40000,"
			"\"daddr\":\"10.1.2.3\",\"dport\":80,\"oldstate\":\"FIN_WAIT1\","
			"\"newstate\":\"CLOSE\""));
	CHECK(strstr(s, "\"bytes_sent\":10,\"bytes_received\":20}"));
	t.family = 10;
	memset(t.saddr, 0, 16);
	t.saddr[15] = 1;
	t.newstate = 1;
	s = capture_event(&t, sizeof(t), BPFPORT_FORMAT_JSON, &ret);
	CHECK(strstr(s, "\"family\":\"inet6\",\"saddr\":\"::1\""));
	CHECK(!strstr(s, "bytes_sent"));	/* only on close */
	CHECK_STR(tcp_state_name(99), "UNKNOWN");

	k.hdr = (struct bpfport_ev_hdr){ .type = BPFPORT_EV_OOM,
					 .size = sizeof(k), .pid = 3 };
	k.victim_pid = 4;
	k.pages = 1000;
	strcpy(k.comm, "stress");
	strcpy(k.victim_comm, "hog");
	s = capture_event(&k, sizeof(k), BPFPORT_FORMAT_JSON, &ret);
	CHECK(strstr(s, "\"comm\":\"stress\",\"victim_pid\":4,\"victim_comm\":\"hog\",\"pages\":1000}"));
}

/* ---- the probe table, as generated from BPFPORT_PROBES ---- */
static void test_probes(void)
{
	size_t i, j, k, l;

	CHECK(probe_cnt > 0);
	for (i = 0; i < probe_cnt; i++) {
		const struct probe_desc *d = probe_table[i];

		CHECK(d->name && d->summary && d->print);
		CHECK(d->obj_end > d->obj_start);
		CHECK(d->event_size >= sizeof(struct bpfport_ev_hdr) &&
		      d->event_size <= BP_MAX_EVENT_SIZE);
		CHECK(d->events[0].type);
		for (j = 0; j < i; j++)
			CHECK(strcmp(probe_table[j]->name, d->name));
		/* an event type is one probe's: no other probe has it */
		for (k = 0; k < ARRAY_SIZE(d->events) && d->events[k].type; k++) {
			CHECK(d->events[k].name);
			CHECK(probe_by_event_type(d->events[k].type) == d);
			for (j = 0; j < probe_cnt; j++)
				for (l = 0; j != i && l < ARRAY_SIZE(d->events); l++)
					CHECK(probe_table[j]->events[l].type != d->events[k].type);
		}
	}
}

/* bp_opts_complete(): libbpf's OPTS_VALID rules, enums checked before
 * anything happens, and option > environment > default for every setting */
static void test_opts(void)
{
	struct {
		struct bpfport_opts o;
		char newer[16];		/* a newer caller's fields */
	} big;
	struct bpfport_opts out;

	unsetenv("BPFPORT_CACHE_DIR");
	unsetenv("BPFPORT_COMPILE_TIMEOUT_MS");
	unsetenv("BPFPORT_OS_RELEASE");
	unsetenv("BPFPORT_BTF_ARCHIVE");
	{
		BPFPORT_OPTS(o, .probes = "exec");

		CHECK(bp_opts_complete(&o, &out) == 0);
		CHECK_STR(out.probes, "exec");
		CHECK_STR(out.cache_dir, "/var/cache/bpfport");
		CHECK(out.btf_archive && strstr(out.btf_archive, "btfhub-archive"));
		CHECK(out.os_release == NULL);	/* the parser's own default */
		CHECK(out.compile_timeout_ms == 0);
	}
	CHECK(bp_opts_complete(NULL, &out) == -EINVAL);
	{	/* an older caller: only sz and probes */
		BPFPORT_OPTS(o, .probes = "tcp", .cache_dir = "/should/not/be/read");

		o.sz = offsetof(struct bpfport_opts, mode);
		CHECK(bp_opts_complete(&o, &out) == 0);
		CHECK_STR(out.probes, "tcp");
		CHECK_STR(out.cache_dir, "/var/cache/bpfport");
		o.sz = 0;
		CHECK(bp_opts_complete(&o, &out) == -EINVAL);
	}
	/* a newer caller: accepted when what we do not know is zero */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	CHECK(bp_opts_complete(&big.o, &out) == 0);
	CHECK(out.sz == sizeof(out));
	big.newer[3] = 1;
	CHECK(bp_opts_complete(&big.o, &out) == -EINVAL);
	CHECK(strstr(bpfport_errmsg(), "beyond what this libbpfport knows") != NULL);
	{
		BPFPORT_OPTS(o, .mode = (enum bpfport_mode)17);

		CHECK(bp_opts_complete(&o, &out) == -EINVAL);
		CHECK(strstr(bpfport_errmsg(), "unknown mode 17") != NULL);
		o.mode = BPFPORT_MODE_NONE;	/* a result, not a request */
		CHECK(bp_opts_complete(&o, &out) == -EINVAL);
		o.mode = BPFPORT_MODE_RUNTIME;
		o.output = (enum bpfport_output)9;
		CHECK(bp_opts_complete(&o, &out) == -EINVAL);
	}
	/* the environment fills what the options leave empty, never more */
	setenv("BPFPORT_CACHE_DIR", "/env/cache", 1);
	setenv("BPFPORT_COMPILE_TIMEOUT_MS", "50", 1);
	setenv("BPFPORT_OS_RELEASE", "/env/os-release", 1);
	setenv("BPFPORT_BTF_ARCHIVE", "/env/archive", 1);
	{
		BPFPORT_OPTS(o);

		CHECK(bp_opts_complete(&o, &out) == 0);
		CHECK_STR(out.cache_dir, "/env/cache");
		CHECK(out.compile_timeout_ms == 50);
		CHECK_STR(out.os_release, "/env/os-release");
		CHECK_STR(out.btf_archive, "/env/archive");
	}
	{
		BPFPORT_OPTS(o, .cache_dir = "/opt/cache", .compile_timeout_ms = 7000,
			     .os_release = "/opt/os-release", .btf_archive = "/opt/archive");

		CHECK(bp_opts_complete(&o, &out) == 0);
		CHECK_STR(out.cache_dir, "/opt/cache");
		CHECK(out.compile_timeout_ms == 7000);
		CHECK_STR(out.os_release, "/opt/os-release");
		CHECK_STR(out.btf_archive, "/opt/archive");
	}
	unsetenv("BPFPORT_CACHE_DIR");
	unsetenv("BPFPORT_COMPILE_TIMEOUT_MS");
	unsetenv("BPFPORT_OS_RELEASE");
	unsetenv("BPFPORT_BTF_ARCHIVE");
}

int main(int argc, char **argv)
{
	static const struct test_group groups[] = {
		{ "json", test_json }, { "args", test_args },
		{ "osrelease", test_osrelease }, { "kconfig", test_kconfig },
		{ "decode", test_decode }, { "opts", test_opts },
		{ "probes", test_probes },
	};

	fixtures = getenv("BPFPORT_FIXTURES") ? getenv("BPFPORT_FIXTURES")
					      : "tests/fixtures";
	return run_groups(groups, ARRAY_SIZE(groups), argc, argv);
}
