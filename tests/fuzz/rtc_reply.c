// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compile child's reply as the parent reads it (runtime-compiler/
 * src/frame.c rtc_frame_next(), src/reply.c rtc_reply_parse()): the helper
 * compiles hostile headers, so its frames are input like any other. Every
 * frame lies within the buffer; the reply holds what its frames said and
 * nothing more: a result only from a RESULT frame, a version string that
 * fits, an object no larger than the input.
 */
#include <errno.h>

#include "bpfport/rtc.h"
#include "fuzz.h"
#include "rtc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtc_reply r = { 0 };
	struct frame_hdr h;
	const void *p;
	size_t off = 0, last;
	int ret;

	for (;;) {
		last = off;
		ret = rtc_frame_next(data, size, &off, &h, &p);
		if (ret <= 0)
			break;
		FUZZ_CHECK(off > last && off <= size && !h.zero);
		FUZZ_CHECK((const uint8_t *)p == data + last + sizeof(h) &&
			   h.len == off - last - sizeof(h));
	}
	FUZZ_CHECK(ret == 0 || ret == -1 || ret == -2);
	FUZZ_CHECK(off == last && (ret != 0 || off >= size));

	ret = rtc_reply_parse(data, size, &r);
	FUZZ_CHECK(ret == 0 || ret == 1);
	if (ret == 1)
		FUZZ_CHECK(!r.malformed && r.ret <= 0);
	FUZZ_CHECK(memchr(r.version, '\0', sizeof(r.version)));
	FUZZ_CHECK(r.obj_sz <= size && (!r.obj_sz || r.obj));
	FUZZ_CHECK(r.diag.len <= size && (!r.diag.p || !r.diag.p[r.diag.len]));
	free(r.obj);
	free(r.diag.p);
	return 0;
}
