/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the fuzz targets share: each defines LLVMFuzzerTestOneInput(),
 * which libFuzzer calls (-DBPFPORT_FUZZ=ON) or replay.c, over the corpus,
 * in every other build. A target checks more than "no crash": what the
 * entry point promises (its errors, its one-line messages, its output), so
 * a broken promise aborts like a crash does.
 */
#ifndef BPFPORT_FUZZ_H
#define BPFPORT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

/* An error message as the project's rules want it: set, one line, within
 * its buffer. */
#define FUZZ_CHECK_MSG(err)							\
	FUZZ_CHECK((err)[0] && memchr((err), '\0', sizeof(err)) &&		\
		   !strchr((err), '\n'))

#endif /* BPFPORT_FUZZ_H */
