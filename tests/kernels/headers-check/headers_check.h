/* Shared by headers_check.bpf.c and headers_check.c: the .bss of the BPF
 * object, one struct so both sides agree on its layout. */
#ifndef HEADERS_CHECK_H
#define HEADERS_CHECK_H

struct headers_check_result {
	__u32 target_tgid;	/* set by the loader: only its own calls count */
	__u32 hits;		/* getppid() calls seen */
	__s32 err_parent;	/* bpf_probe_read of task->real_parent */
	__s32 err_tgid;		/* bpf_probe_read of real_parent->tgid */
	__u32 parent_tgid;	/* what the headers' offsets read */
	__u32 pad;
};

#endif
