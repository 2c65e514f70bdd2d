// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A compiler helper that misbehaves on purpose, for test_rtc's isolation
 * group: librtc must bound and classify whatever a helper does with its
 * reply pipe. BPFPORT_RTC_TEST_HOOK (the one variable a helper gets):
 *   close-hang  says VERSION, closes the pipe, never exits
 *   bad-result  a RESULT of INT32_MIN
 *   bad-frame   a frame whose zero field is set
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtc_internal.h"

int main(void)
{
	const char *hook = getenv(RTC_TEST_HOOK_ENV);
	int32_t res = INT32_MIN;

	rtc_frame_send(RTC_FD_REPLY, FRAME_VERSION, "fake", 4);
	if (!hook)
		return 2;
	if (!strcmp(hook, "close-hang")) {
		close(RTC_FD_REPLY);
		for (;;)
			pause();
	}
	if (!strcmp(hook, "bad-result"))
		return rtc_frame_send(RTC_FD_REPLY, FRAME_RESULT, &res, sizeof(res)) ? 1 : 0;
	if (!strcmp(hook, "bad-frame")) {
		struct frame_hdr h = { .type = FRAME_RESULT, .zero = 1, .len = sizeof(res) };

		res = 0;
		write(RTC_FD_REPLY, &h, sizeof(h));
		write(RTC_FD_REPLY, &res, sizeof(res));
		return 0;
	}
	return 2;
}
