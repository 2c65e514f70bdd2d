// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A program built outside the tree against an installed bpfport, the way a
 * library user builds one: with pkg-config, or with find_package(bpfport)
 * (CMakeLists.txt here). tests/integration/install_test.py installs
 * bpfport, moves the tree, builds this against it and runs it.
 *
 * It loads the exec probe in mode core, spawns `sh -c 'exit 7'` and checks
 * the child's events as the library delivers them: its exec and its exit,
 * each with this process as ppid, the exit with code 7.
 * Exit 0 pass, 1 fail (the reason on stdout), 77 skip (not root, no
 * native BTF).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpfport/bpfport.h>
#include <bpfport/events.h>

struct seen {
	pid_t child;
	int execs, exits;
	__u32 exec_ppid, exit_ppid;
	__s32 exit_code;
};

static int on_event(void *ctx, const void *data, size_t size)
{
	const struct exec_event *e = data;
	struct seen *s = ctx;

	if (size < sizeof(*e) || e->hdr.pid != (__u32)s->child)
		return 0;
	if (e->hdr.type == BPFPORT_EV_EXEC) {
		s->execs++;
		s->exec_ppid = e->ppid;
	} else if (e->hdr.type == BPFPORT_EV_EXIT) {
		s->exits++;
		s->exit_ppid = e->ppid;
		s->exit_code = e->exit_code;
	}
	return 0;
}

int main(void)
{
	struct seen s = { 0 };
	BPFPORT_OPTS(opts, .probes = "exec", .mode = BPFPORT_MODE_CORE,
		     .on_event = on_event, .ctx = &s);
	struct bpfport *bp;
	int status, tries;

	if (geteuid()) {
		printf("SKIP: needs root (BPF load and attach)\n");
		return 77;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		printf("SKIP: needs native BTF (mode core)\n");
		return 77;
	}
	bp = bpfport__open(&opts);
	if (!bp || bpfport__attach(bp)) {
		printf("FAIL: %s: %s\n", bp ? "bpfport__attach" : "bpfport__open",
		       bpfport_errmsg());
		bpfport__destroy(bp);
		return 1;
	}
	s.child = fork();
	if (!s.child) {
		execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
		_exit(127);
	}
	if (s.child < 0 || waitpid(s.child, &status, 0) != s.child ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 7) {
		printf("FAIL: the child sh -c 'exit 7' did not exit 7\n");
		bpfport__destroy(bp);
		return 1;
	}
	for (tries = 0; tries < 50 && !(s.execs && s.exits); tries++)
		if (bpfport__poll(bp, 100) < 0)
			break;
	bpfport__destroy(bp);
	if (s.execs != 1 || s.exits != 1 || s.exec_ppid != (__u32)getpid() ||
	    s.exit_ppid != (__u32)getpid() || s.exit_code != 7) {
		printf("FAIL: child %d: %d exec event(s) (ppid %u), %d exit event(s) "
		       "(ppid %u, exit code %d); expected one each, ppid %d, exit code 7\n",
		       (int)s.child, s.execs, s.exec_ppid, s.exits, s.exit_ppid,
		       s.exit_code, (int)getpid());
		return 1;
	}
	printf("PASS: child %d: exec and exit events, ppid %d, exit code 7\n",
	       (int)s.child, (int)getpid());
	return 0;
}
