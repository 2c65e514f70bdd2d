/* The public header compiles alone, pedantic, as C99. */
#include <bpfport/rtc.h>

int rtc_header_test_dummy(void);
int rtc_header_test_dummy(void)
{
	RTC_OPTS(opts, .main_file = "prog.bpf.c");

	return (int)opts.sz;
}
