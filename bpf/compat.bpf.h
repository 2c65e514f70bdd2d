/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One source, two compilations: everything that differs between the CO-RE
 * build (types declared here, relocated against kernel BTF by libbpf) and
 * the runtime build (BPFPORT_RUNTIME: the host's kernel headers define the
 * types, reads are plain probe reads) lives in this header. Probe code uses
 * only BP_READ()/BP_FIELD_EXISTS() and the types named here.
 */
#ifndef BPFPORT_COMPAT_BPF_H
#define BPFPORT_COMPAT_BPF_H

#ifdef BPFPORT_RUNTIME
/* ---- runtime compilation against kernel headers ----
 * Built in process by the runtime compiler with the host triple and the
 * kernel's own include order (-D__KERNEL__), then retargeted to BPF. The
 * libbpf headers (bpf/bpf_helpers.h ...) are embedded in the agent beside
 * these sources, so the target host needs no libbpf-dev. */
#include <linux/types.h>
#include <linux/sched.h>
/* the network and OOM headers cost ~1 s of compile: only where needed */
#ifdef BPFPORT_NEED_OOM
#include <linux/oom.h>
#endif
#ifdef BPFPORT_NEED_NET
#include <linux/tcp.h>
#include <net/sock.h>
#endif
#include <uapi/linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* No kernel BTF in this mode, hence no CO-RE relocation: plain reads.
 * (libbpf turns bpf_probe_read_kernel into bpf_probe_read before 5.5.) */
#define BP_READ(dst, ptr, field) \
	bpf_probe_read_kernel(&(dst), sizeof(dst), &(ptr)->field)
#define BP_FIELD_EXISTS(ptr, field) 1
#define BP_ATTR

/* Tracepoint records: generated from tracefs format files into
 * bpfport_tp.h (struct trace_event_raw_<event> with the kernel's own
 * offsets, and BPFPORT_TP_HAS_<event>_<field> for each field). */
#include "bpfport_tp.h"
#define BPFPORT_HAVE_TP_STRUCTS

/* syscalls:sys_{enter,exit}_* share one stable layout (common header,
 * then the syscall number and the arguments or the return value). */
struct trace_event_raw_sys_enter {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	long id;
	unsigned long args[6];
};

struct trace_event_raw_sys_exit {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	long id;
	long ret;
};

#else
/* ---- CO-RE: no vmlinux.h, only the fields we use ---- */
#include <linux/types.h>
#include <linux/bpf.h>
#include <asm/ptrace.h>	/* struct pt_regs for kprobes (uapi names) */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef int pid_t;

#define BP_ATTR __attribute__((preserve_access_index))

struct task_struct {
	pid_t pid;
	pid_t tgid;
	int exit_code;
	u64 start_time;
	struct task_struct *real_parent;
	char comm[16];
} BP_ATTR;

struct sock_common {
	unsigned short skc_family;
} BP_ATTR;

struct sock {
	struct sock_common __sk_common;
} BP_ATTR;

struct tcp_sock {
	u64 bytes_received;
	u64 bytes_acked;
} BP_ATTR;

struct oom_control {
	struct task_struct *chosen;
	unsigned long totalpages;
} BP_ATTR;

#define BP_READ(dst, ptr, field) \
	bpf_core_read(&(dst), sizeof(dst), &(ptr)->field)
#define BP_FIELD_EXISTS(ptr, field) bpf_core_field_exists((ptr)->field)
#endif /* BPFPORT_RUNTIME */

/*
 * Tracepoint contexts. Kernel headers do not define trace_event_raw_*; in
 * CO-RE mode the attribute lets libbpf relocate each field by name (the
 * sched_process_fork layout changed in 6.x: comms became __data_loc).
 * The runtime build replaces these with layouts read from tracefs.
 */
#ifndef BPFPORT_HAVE_TP_STRUCTS
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
} BP_ATTR;

struct trace_event_raw_sched_process_exec {
	struct trace_entry ent;
	unsigned int __data_loc_filename;
	pid_t pid;
	pid_t old_pid;
} BP_ATTR;

struct trace_event_raw_sched_process_fork {
	struct trace_entry ent;
	char parent_comm[16];
	pid_t parent_pid;
	char child_comm[16];
	pid_t child_pid;
} BP_ATTR;

struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
} BP_ATTR;

struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
} BP_ATTR;

struct trace_event_raw_inet_sock_set_state {
	struct trace_entry ent;
	const void *skaddr;
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
} BP_ATTR;
#endif

/* The ring buffer's constants (uapi enum bpf_map_type, the
 * bpf_ringbuf_output() flags, the bpf_ringbuf_query() selectors) are absent
 * from pre-5.8 kernel headers, which the runtime build compiles against
 * (the ringbuf programs and map are then never loaded, see common.bpf.h). */
#define BP_MAP_TYPE_RINGBUF 27
#define BP_RB_NO_WAKEUP (1ULL << 0)
#define BP_RB_FORCE_WAKEUP (1ULL << 1)
#define BP_RB_AVAIL_DATA 0

#endif /* BPFPORT_COMPAT_BPF_H */
