// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The main of a fuzz target in a build without libFuzzer: runs
 * LLVMFuzzerTestOneInput() once on every file of the directories (and
 * files) it is given, as `TARGET -runs=0 DIR...` does under libFuzzer, so
 * that the corpus and its crash regressions are tests in every build.
 * Options (-runs=0 ...) are libFuzzer's and are ignored. Each input is in
 * a buffer of its exact size, so an overread is a read past the heap
 * block. No input at all is a failure: a wrong corpus path must not pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util/fsio.h"

static size_t inputs;

static int one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	void *buf;
	size_t n;
	int ret;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	ret = fsio_read_file(path, 64u << 20, &buf, &n);
	if (ret) {
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return 1;
	}
	/* a copy of its exact size (fsio_read_file() adds a NUL) */
	{
		uint8_t *exact = malloc(n ? n : 1);

		FUZZ_CHECK(exact);
		memcpy(exact, buf, n);
		free(buf);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	inputs++;
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		int ret = nftw(argv[i], one, 16, FTW_PHYS);

		if (ret < 0)
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
		if (ret)
			return 1;
	}
	if (!inputs) {
		fprintf(stderr, "no input: give the corpus directories\n");
		return 1;
	}
	printf("%zu inputs replayed\n", inputs);
	return 0;
}
