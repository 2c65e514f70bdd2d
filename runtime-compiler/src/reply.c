// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The parent's side of the reply: the helper's frames, read into struct
 * rtc_reply (rtc.c classifies how the helper ended), and the byte buffer
 * that holds the reply and the diagnostics. The helper runs hostile
 * headers through LLVM, so nothing in its reply is trusted: lengths are
 * the frames', fixed-size frames of another size are ignored, and a
 * result this library gave no meaning to is a malformed reply.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfport/rtc.h"
#include "rtc_internal.h"

int rtc_buf_reserve(struct rtc_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (more > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	while (cap < b->len + more + 1)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int rtc_buf_add(struct rtc_buf *b, const void *data, size_t len)
{
	if (rtc_buf_reserve(b, len))
		return -ENOMEM;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int rtc_reply_parse(const void *buf, size_t len, struct rtc_reply *oc)
{
	struct frame_hdr h;
	const void *data;
	size_t off = 0;
	int have_result = 0, more;

	while ((more = rtc_frame_next(buf, len, &off, &h, &data)) > 0) {
		const char *p = data;

		switch (h.type) {
		case FRAME_VERSION:
			oc->started = 1;
			snprintf(oc->version, sizeof(oc->version), "%.*s",
				 (int)(h.len < sizeof(oc->version) ? h.len : sizeof(oc->version) - 1), p);
			break;
		case FRAME_DIAG:
			rtc_buf_add(&oc->diag, p, h.len);
			break;
		case FRAME_OBJ:
			free(oc->obj);
			oc->obj = malloc(h.len ? h.len : 1);
			if (!oc->obj)
				return -ENOMEM;
			memcpy(oc->obj, p, h.len);
			oc->obj_sz = h.len;
			break;
		case FRAME_INFO:
			if (h.len == sizeof(oc->info))
				memcpy(&oc->info, p, sizeof(oc->info));
			break;
		case FRAME_EXEC_ERRNO:
			if (h.len == sizeof(int32_t))
				memcpy(&oc->exec_errno, p, sizeof(int32_t));
			break;
		case FRAME_RESULT:
			if (h.len == sizeof(int32_t)) {
				int32_t r;

				memcpy(&r, p, sizeof(r));
				/* 0, -errno or -RTC_ERR_x: anything else is not
				 * a result this library gave meaning to */
				if (r > 0 || (r < -4095 && (r <= -RTC_ERR_END ||
							    r > -RTC_ERR_START))) {
					oc->malformed = 1;
					return 0;
				}
				oc->ret = r;
				have_result = 1;
			}
			break;
		}
	}
	if (more == -2)
		oc->malformed = 1;	/* (-1, cut short: the status says why) */
	return oc->malformed ? 0 : have_result;	/* no result in a malformed reply */
}
