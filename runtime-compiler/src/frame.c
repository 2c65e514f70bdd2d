// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The frames of rtc_internal.h, for librtc and the helper alike. */
#include <string.h>

#include "rtc_internal.h"
#include "util/fsio.h"

int rtc_frame_send(int fd, uint32_t type, const void *data, size_t len)
{
	struct frame_hdr h = { .type = type, .len = len };
	int err = fsio_write_all(fd, &h, sizeof(h));

	return err || !len ? err : fsio_write_all(fd, data, len);
}

int rtc_frame_next(const void *buf, size_t len, size_t *off,
		   struct frame_hdr *h, const void **data)
{
	const char *p = buf;

	if (*off >= len)
		return 0;
	if (len - *off < sizeof(*h))
		return -1;
	memcpy(h, p + *off, sizeof(*h));
	if (h->zero)
		return -2;
	if (h->len > len - *off - sizeof(*h))
		return -1;
	*data = p + *off + sizeof(*h);
	*off += sizeof(*h) + h->len;
	return 1;
}
