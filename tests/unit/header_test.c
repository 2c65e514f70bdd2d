/* The public header compiles alone, pedantic, in C and as C++-compatible C. */
#include <bpfport/bpfport.h>

int header_test_dummy(void);
int header_test_dummy(void)
{
	BPFPORT_OPTS(opts, .probes = "exec");

	return (int)opts.sz;
}
