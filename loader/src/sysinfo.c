// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Facts about the running system: kernel config, privileges, and the
 * tracefs/bpffs mounts the probes need (os-release: util/osrelease.c). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "util/fsio.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef DEBUGFS_MAGIC
#define DEBUGFS_MAGIC 0x64626720
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* ---- kernel config ---- */

int kconfig_parse_line(const char *line, char *name, size_t nsz,
		       char *val, size_t vsz)
{
	const char *eq, *end;
	size_t n;

	if (!strncmp(line, "# CONFIG_", 9)) {
		end = strstr(line, " is not set");
		if (!end)
			return 0;
		n = end - (line + 2);
		if (n >= nsz)
			return 0;
		memcpy(name, line + 2, n);
		name[n] = '\0';
		snprintf(val, vsz, "n");
		return 1;
	}
	if (strncmp(line, "CONFIG_", 7))
		return 0;
	eq = strchr(line, '=');
	if (!eq || (size_t)(eq - line) >= nsz)
		return 0;
	memcpy(name, line, eq - line);
	name[eq - line] = '\0';
	n = strcspn(eq + 1, "\r\n");
	if (n >= vsz)
		n = vsz - 1;
	memcpy(val, eq + 1, n);
	val[n] = '\0';
	return 1;
}

int kconfig_load(const char *path, char **text, size_t *len)
{
	size_t n = 0, cap = 1 << 16;
	char *buf, *nb;
	gzFile f;
	int fd, got = 0, ret = 0;

	*text = NULL;
	*len = 0;
	fd = fsio_open_input(AT_FDCWD, path, 0, KCONFIG_MAX, NULL);
	if (fd < 0)
		return fd;
	f = gzdopen(fd, "rb");	/* reads plain files too */
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	buf = malloc(cap + 1);
	while (buf && (got = gzread(f, buf + n, (unsigned int)(cap - n))) > 0) {
		n += (size_t)got;
		if (n < cap)
			continue;
		/* one byte past the limit tells a larger config */
		if (n > KCONFIG_MAX) {
			ret = -EFBIG;
			break;
		}
		cap = cap * 2 > KCONFIG_MAX ? KCONFIG_MAX + 1 : cap * 2;
		nb = realloc(buf, cap + 1);
		if (!nb)
			free(buf);
		buf = nb;
	}
	if (!buf)
		ret = -ENOMEM;
	else if (!ret && got < 0)
		ret = -EIO;
	gzclose(f);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int kconfig_read(const char *path, struct kconfig_item *items, size_t cnt)
{
	char name[128], val[64], *text, *line, *save = NULL;
	size_t i, len;
	int ret;

	for (i = 0; i < cnt; i++)
		items[i].value[0] = '\0';
	ret = kconfig_load(path, &text, &len);
	if (ret)
		return ret;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!kconfig_parse_line(line, name, sizeof(name), val, sizeof(val)))
			continue;
		for (i = 0; i < cnt; i++)
			if (!strcmp(items[i].name, name))
				snprintf(items[i].value, sizeof(items[i].value),
					 "%s", val);
	}
	free(text);
	/* options absent from a complete config are "not set" */
	for (i = 0; i < cnt; i++)
		if (!items[i].value[0])
			snprintf(items[i].value, sizeof(items[i].value), "n");
	return 0;
}

/* check and the runtime cache key both take the config from here, so they
 * can never name two different files. A file that exists but cannot be
 * read is found (its reader reports why), not passed over. */
int kconfig_find(const char *release, char *path, size_t len)
{
	struct utsname u;
	int n;

	if (!release) {
		if (uname(&u))
			return -errno;
		release = u.release;
	}
	n = snprintf(path, len, "%s/boot/config-%s", fsio_sysroot(), release);
	if (n >= 0 && (size_t)n < len && !access(path, F_OK))
		return 0;
	/* the running kernel's own: /proc is this kernel's in any container,
	 * so never below the sysroot */
	n = snprintf(path, len, "/proc/config.gz");
	if (n >= 0 && (size_t)n < len && !access(path, F_OK))
		return 0;
	if (len)
		path[0] = '\0';
	return -ENOENT;
}

/* ---- privileges ---- */

bool cap_effective(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

/* kernel.perf_event_paranoid, or 2 (the upstream default) if unreadable */
static int perf_paranoid(void)
{
	char text[32];
	int v;

	if (fsio_read_small("/proc/sys/kernel/perf_event_paranoid", text, sizeof(text)) <= 0 ||
	    sscanf(text, "%d", &v) != 1)
		return 2;
	return v;
}

int privileges_check(char *buf, size_t len)
{
	bool admin = cap_effective(CAP_SYS_ADMIN);
	bool bpf = cap_effective(CAP_BPF), perfmon = cap_effective(CAP_PERFMON);
	int paranoid;

	if (admin)
		return 0;
	/* Above 2 (Debian's and Ubuntu's kernels: 3, 4) perf_event_open(),
	 * which attaches tracepoints, wants CAP_SYS_ADMIN, not CAP_PERFMON */
	paranoid = perf_paranoid();
	if (bpf && perfmon && paranoid <= 2)
		return 0;
	if (paranoid > 2)
		snprintf(buf, len,
			 "need root or CAP_SYS_ADMIN: kernel.perf_event_paranoid is %d (above 2), so "
			 "CAP_BPF and CAP_PERFMON are not enough to attach (running as uid %u): run as "
			 "root, grant CAP_SYS_ADMIN, or set kernel.perf_event_paranoid=2",
			 paranoid, (unsigned)geteuid());
	else
		snprintf(buf, len,
			 "need root or CAP_BPF and CAP_PERFMON (running as uid %u, missing %s%s%s): run as root, "
			 "or grant them with 'setcap cap_bpf,cap_perfmon+ep'",
			 (unsigned)geteuid(), bpf ? "" : "CAP_BPF",
			 !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return -EPERM;
}

/* ---- mounts ---- */

bool fs_is(const char *path, unsigned long magic)
{
	struct statfs st;

	return !statfs(path, &st) && (unsigned long)st.f_type == magic;
}

const char *tracefs_path(void)
{
	if (fs_is("/sys/kernel/tracing", TRACEFS_MAGIC))
		return "/sys/kernel/tracing";
	/* older systems: tracefs under debugfs */
	if (fs_is("/sys/kernel/debug/tracing", TRACEFS_MAGIC))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

int ensure_tracefs(const char **path, bool *mounted_now)
{
	*mounted_now = false;
	*path = tracefs_path();
	if (*path)
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		int err = errno;

		return bp_err(err,
			      "tracefs is not mounted and mounting it at /sys/kernel/tracing failed (%s): mount it with 'mount -t tracefs tracefs /sys/kernel/tracing'",
			      strerror(err));
	}
	*mounted_now = true;
	*path = "/sys/kernel/tracing";
	return 0;
}

int ensure_bpffs(bool *mounted_now)
{
	*mounted_now = false;
	if (fs_is("/sys/fs/bpf", BPF_FS_MAGIC))
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		int err = errno;

		return bp_err(err,
			      "bpffs is not mounted and mounting it at /sys/fs/bpf failed (%s): mount it with 'mount -t bpf bpf /sys/fs/bpf'",
			      strerror(err));
	}
	*mounted_now = true;
	return 0;
}
