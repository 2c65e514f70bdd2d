/* headers_check OBJ [HEADERS_RELEASE]: loads the BCC-style object built by `compile`, attaches
 * it to syscalls:sys_enter_getppid, calls getppid() and checks that the
 * real_parent->tgid the program read at its headers' offsets is getppid().
 * Exit 0 when it is, 1 when not (wrong headers) or on any error.
 *
 * The object's .bss (the result) is an array map this loader creates itself
 * and hands to libbpf, as BCC creates its maps: libbpf would create it
 * BPF_F_MMAPABLE, which kernels before 5.5 reject. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "headers_check.h"

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct headers_check_result res = { 0 };
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	struct bpf_map *bss;
	struct utsname uts;
	const char *hdr = argc > 2 ? argv[2] : "?";
	__u32 zero = 0;
	pid_t ppid;
	int err, i, ret = 1, bss_fd = -1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s OBJ [HEADERS_RELEASE]\n", argv[0]);
		return 2;
	}
	libbpf_set_print(print_libbpf);
	uname(&uts);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "headers-check: open %s: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	bss = bpf_object__find_map_by_name(obj, ".bss");
	if (!bss) {
		fprintf(stderr, "headers-check: no .bss map\n");
		goto cleanup;
	}
	bss_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, sizeof(zero), sizeof(res), 1, NULL);
	if (bss_fd < 0 || bpf_map__reuse_fd(bss, bss_fd)) {
		fprintf(stderr, "headers-check: create the .bss map: %s\n", strerror(errno));
		goto cleanup;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "headers-check: load: %s\n", strerror(-err));
		goto cleanup;
	}
	res.target_tgid = getpid();
	if (bpf_map_update_elem(bpf_map__fd(bss), &zero, &res, BPF_ANY)) {
		fprintf(stderr, "headers-check: set target: %s\n", strerror(errno));
		goto cleanup;
	}
	prog = bpf_object__find_program_by_name(obj, "on_getppid");
	link = prog ? bpf_program__attach(prog) : NULL;
	if (!link) {
		fprintf(stderr, "headers-check: attach: %s\n", strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < 3; i++)
		ppid = syscall(SYS_getppid);
	if (bpf_map_lookup_elem(bpf_map__fd(bss), &zero, &res)) {
		fprintf(stderr, "headers-check: read result: %s\n", strerror(errno));
		goto cleanup;
	}

	printf("headers-check: headers %s, kernel %s: %u hits, probe_read %d/%d, "
	       "real_parent->tgid %u, getppid() %d\n",
	       hdr, uts.release, res.hits, res.err_parent, res.err_tgid,
	       res.parent_tgid, (int)ppid);
	if (res.hits == 0)
		fprintf(stderr, "headers-check: FAIL: the tracepoint never fired\n");
	else if (res.err_parent || res.err_tgid || res.parent_tgid != (__u32)ppid)
		fprintf(stderr, "headers-check: FAIL: wrong task_struct offsets for this kernel\n");
	else {
		printf("headers-check: PASS\n");
		ret = 0;
	}
cleanup:
	bpf_link__destroy(link);
	bpf_object__close(obj);
	if (bss_fd >= 0)
		close(bss_fd);
	return ret;
}
