// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BTF reader (btfhub/read.c) over its in-memory entry point: raw BTF,
 * a btfhub .tar.xz or .tar, through util/xz.c and util/tar.c. Any input
 * gets a documented error with a one-line message, or a BTF that passes
 * validation.
 */
#include <errno.h>

#include "btfhub.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024] = "";
	void *btf = (void *)1;
	size_t n = 1;
	int ret;

	ret = btfhub_read_mem(data, size, "fuzz", &btf, &n, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(!btf && !n);
		FUZZ_CHECK(ret == -ENOEXEC || ret == -EBADMSG || ret == -EPERM ||
			   ret == -ENODATA || ret == -ENOTUNIQ || ret == -EFBIG ||
			   ret == -ENOMEM);
		FUZZ_CHECK_MSG(err);
		return 0;
	}
	FUZZ_CHECK(btf && n && !btfhub_btf_validate(btf, n, "fuzz", NULL, 0));
	free(btf);
	return 0;
}
