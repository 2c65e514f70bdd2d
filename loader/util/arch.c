// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one arch table. Kernel directories follow the kernel's own
 * SUBARCH/SRCARCH rules in its top-level Makefile; btfhub files its BTF
 * under the names of its pahole/bpftool runs (arm64 for aarch64).
 */
#include <stdbool.h>
#include <string.h>
#include <sys/utsname.h>

#include "arch.h"

static const struct {
	const char *machine;	/* uname -m, or its prefix */
	bool prefix;
	const char *kernel;	/* arch/<kernel>/ */
	const char *btfhub;	/* NULL: uname's name */
} arch_table[] = {
	{ "x86_64", false, "x86", NULL },
	{ "amd64", false, "x86", NULL },
	{ "i386", false, "x86", NULL },
	{ "i486", false, "x86", NULL },
	{ "i586", false, "x86", NULL },
	{ "i686", false, "x86", NULL },
	{ "aarch64", false, "arm64", "arm64" },
	{ "arm64", false, "arm64", NULL },
	{ "arm", true, "arm", NULL },
	{ "ppc", true, "powerpc", NULL },
	{ "s390", true, "s390", NULL },
	{ "riscv", true, "riscv", NULL },
	{ "mips", true, "mips", NULL },
	{ "loongarch", true, "loongarch", NULL },
	{ "sparc", true, "sparc", NULL },
};

const char *arch_machine(void)
{
	static struct utsname u;

	if (!u.machine[0] && uname(&u))
		return "unknown";
	return u.machine;
}

static int arch_find(const char *m)
{
	size_t i;

	for (i = 0; i < sizeof(arch_table) / sizeof(arch_table[0]); i++) {
		const char *t = arch_table[i].machine;

		if (arch_table[i].prefix ? !strncmp(m, t, strlen(t)) : !strcmp(m, t))
			return (int)i;
	}
	return -1;
}

const char *arch_kernel_dir(const char *machine)
{
	const char *m = machine ? machine : arch_machine();
	int i = arch_find(m);

	return i < 0 ? m : arch_table[i].kernel;
}

const char *arch_btfhub(const char *machine)
{
	const char *m = machine ? machine : arch_machine();
	int i = arch_find(m);

	return i < 0 || !arch_table[i].btfhub ? m : arch_table[i].btfhub;
}
