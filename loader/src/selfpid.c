// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The agent's own tgid as the kernel sees it, for the probes' self-filter
 * (struct bpfport_cfg.self_tgid, compared with bpf_get_current_pid_tgid()).
 *
 * The kernel's pids are those of the initial pid namespace. getpid() is
 * one of them only there: in a container with its own pid namespace (a
 * pod without hostPID) it is the container's pid, often 1, and the filter
 * would drop that host process's events and keep the agent's own. No
 * system call translates a pid to an ancestor namespace, so the kernel is
 * asked: a tracepoint program that records bpf_get_current_pid_tgid() of
 * the task whose comm is a marker, while this thread renames itself to the
 * marker and back (task:task_rename fires in the renaming task, before
 * its comm changes: the second rename is seen with the marker). */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "internal.h"
#include "util/fsio.h"

/* the inode of the initial pid namespace (include/linux/proc_ns.h) */
#define PROC_PID_INIT_INO 0xEFFFFFFCU

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
/* a 64-bit immediate takes two instructions; src BPF_PSEUDO_MAP_FD: a map */
#define LD_IMM64(d, s, v) \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, s, 0, (__u32)(v)), \
	INSN(0, 0, 0, 0, (__u32)((__u64)(v) >> 32))

static bool in_initial_pid_ns(void)
{
	struct stat st;

	return !stat("/proc/self/ns/pid", &st) && st.st_ino == PROC_PID_INIT_INO;
}

static int tracepoint_id(const char *tp, char *detail, size_t dlen)
{
	const char *t = tracefs_path();
	char path[256], buf[32];
	int n;

	if (!t) {
		snprintf(detail, dlen, "tracefs is not mounted");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/id", t, tp);
	n = fsio_read_small(path, buf, sizeof(buf));
	if (n < 0) {
		snprintf(detail, dlen, "%s: %s", path, strerror(-n));
		return n;
	}
	return atoi(buf);
}

/* Loads the recorder for @marker's comm into @map_fd; returns its fd. */
static int recorder_load(int map_fd, const char marker[16], char *detail, size_t dlen)
{
	__u64 lo, hi;
	int fd;

	memcpy(&lo, marker, 8);
	memcpy(&hi, marker + 8, 8);

	const struct bpf_insn insns[] = {
		/* char comm[16] at fp-16 */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, -16),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 16),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_comm),
		/* not the marker: out */
		INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, -16, 0),
		LD_IMM64(BPF_REG_2, 0, lo),
		INSN(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_2, 16, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, -8, 0),
		LD_IMM64(BPF_REG_2, 0, hi),
		INSN(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_2, 12, 0),
		/* value (u32) at fp-20: the tgid; key 0 at fp-24 */
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid),
		INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32),
		INSN(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_0, -20, 0),
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -24, 0),
		LD_IMM64(BPF_REG_1, BPF_PSEUDO_MAP_FD, map_fd),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -24),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -20),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_ANY),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem),
		/* out: */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "bpfport_self", "GPL", insns,
			   ARRAY_SIZE(insns), NULL);
	if (fd < 0) {
		int err = errno;

		snprintf(detail, dlen, "loading the pid recorder: %s", strerror(err));
		errno = err;
	}
	return fd;
}

static int kernel_tgid(uint32_t *tgid, char *detail, size_t dlen)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT,
					.size = sizeof(attr), .sample_period = 1 };
	int map_fd = -1, prog_fd = -1, pfd = -1, id, err;
	char marker[16], old[16] = "";
	unsigned int r;
	__u32 zero = 0;

	id = tracepoint_id("task/task_rename", detail, dlen);
	if (id < 0)
		return id;
	attr.config = id;
	/* 15 characters and the NUL: unique to this thread for the instant
	 * it carries it */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned int)time(NULL) ^ (unsigned int)getpid() << 16;
	snprintf(marker, sizeof(marker), "bpfport-%07x", r & 0xfffffff);
	map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bpfport_self", 4, 4, 1, NULL);
	if (map_fd < 0) {
		err = -errno;
		snprintf(detail, dlen, "creating the pid map: %s", strerror(-err));
		goto out;
	}
	prog_fd = recorder_load(map_fd, marker, detail, dlen);
	if (prog_fd < 0) {
		err = -errno;
		goto out;
	}
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) ||
	    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		err = -errno;
		snprintf(detail, dlen, "attaching the pid recorder to task:task_rename: %s",
			 strerror(-err));
		goto out;
	}
	prctl(PR_GET_NAME, old);
	prctl(PR_SET_NAME, marker);
	prctl(PR_SET_NAME, old);	/* fires with the marker as comm */
	*tgid = 0;
	err = bpf_map_lookup_elem(map_fd, &zero, tgid) ? -errno : 0;
	if (!err && !*tgid) {
		err = -ENOENT;
		snprintf(detail, dlen, "task:task_rename did not fire for this thread");
	} else if (err) {
		snprintf(detail, dlen, "reading the pid map: %s", strerror(-err));
	}
out:
	if (pfd >= 0)
		close(pfd);
	if (prog_fd >= 0)
		close(prog_fd);
	if (map_fd >= 0)
		close(map_fd);
	return err;
}

uint32_t self_tgid(void)
{
	uint32_t tgid;
	char why[320];

	if (in_initial_pid_ns())
		return getpid();
	if (kernel_tgid(&tgid, why, sizeof(why))) {
		pr_warn("in a pid namespace of its own, this agent's own events are not filtered out: %s\n",
			why);
		return 0;
	}
	pr_debug("in a pid namespace of its own: pid %d here, %u to the kernel\n", getpid(), tgid);
	return tgid;
}
