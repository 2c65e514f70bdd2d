/* Header check, BCC style: the real kernel headers define task_struct, and
 * current->real_parent->tgid is read with plain bpf_probe_read at the
 * offsets those headers give -- no CO-RE, no BTF.  Compiled with the host
 * triple against one kernel's headers, then `llc -march=bpf`; the value is
 * right only on the kernel whose headers were used.
 */
#include <linux/types.h>
#include <linux/sched.h>
#include <uapi/linux/bpf.h>
#include "headers_check.h"

#define SEC(name) __attribute__((section(name), used))

/* Helpers by number, as BCC declares them (no libbpf headers here: they
 * would pull the host's userspace headers in next to the kernel's). */
static long (*bpf_probe_read)(void *dst, __u32 size, const void *src) =
	(void *)BPF_FUNC_probe_read;
static __u64 (*bpf_get_current_task)(void) = (void *)BPF_FUNC_get_current_task;
static __u64 (*bpf_get_current_pid_tgid)(void) =
	(void *)BPF_FUNC_get_current_pid_tgid;

struct headers_check_result result;

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *parent = NULL;
	__u32 tgid = 0;

	if ((bpf_get_current_pid_tgid() >> 32) != result.target_tgid)
		return 0;
	result.err_parent = bpf_probe_read(&parent, sizeof(parent), &task->real_parent);
	result.err_tgid = bpf_probe_read(&tgid, sizeof(tgid), &parent->tgid);
	result.parent_tgid = tgid;
	__sync_fetch_and_add(&result.hits, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
