// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BTF validation (btfhub/validate.c), the gate before libbpf: any input
 * gets 0 or one of its errors with a one-line message; what it accepts,
 * libbpf 1.1 parses and walks without harm (the reason it exists: libbpf
 * crashed on bad type ids and string offsets, and looped on a type that
 * contains itself).
 */
#include <errno.h>
#include <stdarg.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btfhub.h"
#include "fuzz.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	struct btf *btf;
	__u32 id, n;
	int ret;

	ret = btfhub_btf_validate(data, size, "fuzz", err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -ENOEXEC || ret == -EBADMSG || ret == -ENOMEM);
		FUZZ_CHECK_MSG(err);
		return 0;
	}
	libbpf_set_print(quiet);
	btf = btf__new(data, size);
	if (!btf)
		return 0;	/* refused: no harm either */
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		FUZZ_CHECK(t && btf__name_by_offset(btf, t->name_off));
		btf__resolve_size(btf, id);
		btf__resolve_type(btf, id);
		btf__align_of(btf, id);
	}
	btf__free(btf);
	return 0;
}
