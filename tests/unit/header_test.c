/* The public headers compile alone, pedantic, in C and as C++-compatible C. */
#include <bpfport/bpfport.h>
#include <bpfport/events.h>

int header_test_dummy(void);
int header_test_dummy(void)
{
	BPFPORT_OPTS(opts, .probes = "exec");

	return (int)opts.sz + (int)sizeof(struct exec_event);
}
