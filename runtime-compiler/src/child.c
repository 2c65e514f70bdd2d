// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * librtc's compile child, between fork() and exec() of the helper. Only
 * async-signal-safe system calls here (the caller may have threads; what
 * needs memory or formatting was done before fork, in rtc.c/request.c):
 * fds put in place (request on 0, /dev/null on 1 and 2, the reply pipe on
 * 3) and every other one closed; default signal dispositions; die with the
 * parent; no capabilities, no way to gain any (no_new_privs, an empty
 * bounding set for a root caller); no core dumps, a CPU-time backstop and
 * the address-space cap; then execveat() of the helper fd the parent
 * checked, with an environment of the test hook alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rtc_internal.h"
#include "rtc_child.h"

#define FD_HELPER 4		/* the helper's fd, until exec */
#define FD_FIRST_FREE 5

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Every fd from FD_FIRST_FREE up: close_range(2) (5.9+), else the list in
 * /proc/self/fd read with getdents64 (no opendir: it allocates). Closing
 * while reading skips nothing: procfs reads fds in number order. */
static void close_others(void)
{
	char buf[4096];
	long n;
	int dir;

	if (!syscall(SYS_close_range, FD_FIRST_FREE, ~0U, 0))
		return;
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct linux_dirent64 *d = (void *)(buf + off);
			const char *s = d->d_name;
			int fd = 0;

			off += d->d_reclen;
			if (*s < '0' || *s > '9')
				continue;
			while (*s >= '0' && *s <= '9')
				fd = fd * 10 + (*s++ - '0');
			if (fd >= FD_FIRST_FREE && fd != dir)
				close(fd);
		}
	}
	close(dir);
}

/* No capabilities now or after exec: a root caller's bounding set emptied
 * (root's exec would grant the full set otherwise), ambient and inheritable
 * cleared, and no_new_privs (no set-id or file capabilities either). */
static void drop_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno == EINVAL)
			break;	/* past the kernel's last capability */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(data, 0, sizeof(data));
	syscall(SYS_capset, &hdr, data);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void set_limit(int res, rlim_t cur)
{
	struct rlimit rl;

	if (getrlimit(res, &rl))
		return;
	if (rl.rlim_max != RLIM_INFINITY && cur > rl.rlim_max)
		cur = rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > cur) {
		rl.rlim_cur = cur;
		setrlimit(res, &rl);
	}
}

void child_exec(const struct child *c)
{
	char *const argv[] = { (char *)RTC_HELPER_NAME, (char *)RTC_HELPER_ARG, NULL };
	char *const envp[] = { (char *)c->hook_env, NULL };
	const int src[] = { c->req_fd, c->null_fd, c->null_fd, c->reply_fd, c->helper_fd };
	struct sigaction sa;
	int high[5], fd, sig;
	int32_t err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* the fds in place: first all above the targets, then dup2 down */
	for (fd = 0; fd < 5; fd++)
		high[fd] = fcntl(src[fd], F_DUPFD_CLOEXEC, 16);
	for (fd = 0; fd < 5; fd++)
		if (high[fd] < 0 || dup2(high[fd], fd) < 0)
			_exit(127);
	fcntl(FD_HELPER, F_SETFD, FD_CLOEXEC);
	close_others();

	/* the caller's handlers and ignores (a Ctrl-C must stop the compile) */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&sa.sa_mask);
	sigprocmask(SIG_SETMASK, &sa.sa_mask, NULL);

	drop_privileges();
	set_limit(RLIMIT_CORE, 0);
	set_limit(RLIMIT_CPU, c->cpu_s);
	if (c->as_cap)
		set_limit(RLIMIT_AS, c->as_cap);

	syscall(SYS_execveat, FD_HELPER, "", argv, c->hook_env ? envp : &envp[1],
		AT_EMPTY_PATH);
	err = errno;
	rtc_frame_send(RTC_FD_REPLY, FRAME_EXEC_ERRNO, &err, sizeof(err));
	_exit(0);
}
