/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What other trees call a machine: one table from uname -m to the kernel's
 * arch directory (arch/x86, arch/arm64: kernel headers) and to btfhub's
 * arch directory (<id>/<version>/<arch>/ of btfhub-archive).
 */
#ifndef BPFPORT_UTIL_ARCH_H
#define BPFPORT_UTIL_ARCH_H

/* uname -m of the running machine ("unknown" if uname(2) fails). */
const char *arch_machine(void);

/* The kernel's arch directory for uname -m @machine (NULL: this machine):
 * "x86_64", "i686" -> "x86", "aarch64" -> "arm64", "armv7l" -> "arm",
 * "ppc64le" -> "powerpc", "s390x" -> "s390", "riscv64" -> "riscv"; a
 * machine the table does not know is its own name. Never NULL. */
const char *arch_kernel_dir(const char *machine);

/* btfhub's name for uname -m @machine (NULL: this machine): "aarch64" ->
 * "arm64"; every other name (x86_64, s390x, ...) is uname's. Never NULL. */
const char *arch_btfhub(const char *machine);

#endif /* BPFPORT_UTIL_ARCH_H */
