// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kheaders.tar.xz extraction (runtime-compiler/mode/kheaders_extract.c),
 * the real entry point, from a memfd: xz streamed from a file, the tar
 * walk, and the writes into the private directory. The first input byte
 * chooses: odd, the rest is the .tar.xz as it is; even, the rest is a tar
 * that is xz-compressed here, so that mutations reach the tar reader and
 * the extraction instead of dying in the xz checks. Extracted or not:
 * -errno with a one-line message and nothing left, or a tree in which
 * every symlink stays inside (followed lexically), removed entirely by
 * kheaders_tmp_remove().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <lzma.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "kheaders.h"

static const char *walk_root;	/* the extraction dir nftw() walks */

/* Does the link at @path (below walk_root) to @target stay inside
 * walk_root, followed lexically, component by component from the link's
 * own directory? The oracle is this test's own, not the extractor's rule
 * (which refuses every ".."), so that the two can disagree. */
static bool link_stays_inside(const char *path, const char *target)
{
	const char *rel = path + strlen(walk_root), *p;
	char buf[2 * PATH_MAX];
	size_t depth = 0;
	int n;

	if (*target == '/')
		return false;
	n = (int)(strrchr(rel, '/') - rel);	/* the link's dir, "" at the root */
	snprintf(buf, sizeof(buf), "%.*s/%s", n, rel, target);
	for (p = buf; *p; p += strspn(p, "/")) {
		size_t len = strcspn(p, "/");

		if (len == 2 && !strncmp(p, "..", 2)) {
			if (!depth)
				return false;
			depth--;
		} else if (len && !(len == 1 && *p == '.')) {
			depth++;
		}
		p += len;
	}
	return true;
}

static int check_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char target[PATH_MAX];
	ssize_t n;

	(void)ftw;
	if (type == FTW_SL) {
		n = readlink(path, target, sizeof(target) - 1);
		FUZZ_CHECK(n > 0);
		target[n] = '\0';
		FUZZ_CHECK(link_stays_inside(path, target));
	} else {
		FUZZ_CHECK(type == FTW_F || type == FTW_D || type == FTW_DP);
		FUZZ_CHECK(S_ISREG(st->st_mode) || S_ISDIR(st->st_mode));
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kheaders kh = { .tmpfd = -1 };
	char path[64], why[1024] = "", dir[PATH_MAX];
	const uint8_t *in = data + 1;
	uint8_t *xz = NULL;
	size_t n = size ? size - 1 : 0, xz_len = 0;
	int fd, ret;

	if (size && !(data[0] & 1)) {
		size_t cap = lzma_stream_buffer_bound(n);

		xz = malloc(cap);
		FUZZ_CHECK(xz && lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, in, n, xz,
							 &xz_len, cap) == LZMA_OK);
		in = xz;
		n = xz_len;
	}
	fd = memfd_create("fuzz-kheaders", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && (!n || write(fd, in, n) == (ssize_t)n));
	free(xz);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	ret = kheaders_extract(path, &kh, why, sizeof(why));
	close(fd);
	if (ret) {
		FUZZ_CHECK(ret < 0 && !kh.tmpdir[0]);
		FUZZ_CHECK_MSG(why);
		return 0;
	}
	FUZZ_CHECK(kh.tmpdir[0] && kh.tmpfd >= 0);
	walk_root = kh.tmpdir;
	FUZZ_CHECK(!nftw(kh.tmpdir, check_entry, 16, FTW_PHYS));
	memcpy(dir, kh.tmpdir, sizeof(dir));
	kheaders_tmp_remove(&kh);
	FUZZ_CHECK(!kh.tmpdir[0] && kh.tmpfd < 0 && access(dir, F_OK) && errno == ENOENT);
	return 0;
}
