// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The btfhub lookup key from an os-release (util/osrelease.c) and the
 * archive lookup rules over a list of paths (btfhub/lookup.c). The input
 * is the os-release text, a NUL, then lines: the kernel release, then
 * the archive's paths. The key is built as btfhub_key_from_system()
 * builds it, with the release taken from the input instead of uname.
 */
#include <errno.h>

#include "btfhub.h"
#include "fuzz.h"
#include "util/osrelease.h"

#define MAX_PATHS 64

/* A field of the parsed os-release: within its array, one line. */
#define FIELD_OK(f) (memchr((f), '\0', sizeof(f)) && !strchr((f), '\n'))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *paths[MAX_PATHS];
	struct btfhub_key k = { .arch = "x86_64" };
	struct os_release os;
	char *text, *rest, *line, *save = NULL, err[2048] = "";
	size_t n = 0, match = MAX_PATHS;
	int ret;

	text = malloc(size + 1);
	FUZZ_CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	rest = strlen(text) < size ? text + strlen(text) + 1 : text + size;

	ret = os_release_parse(text, &os);
	FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -ENAMETOOLONG);
	FUZZ_CHECK(FIELD_OK(os.id) && FIELD_OK(os.version_id) && FIELD_OK(os.name) &&
		   FIELD_OK(os.pretty_name) && FIELD_OK(os.id_like));
	FUZZ_CHECK(ret != 0 || os.id[0]);
	_Static_assert(sizeof(k.id) >= sizeof(os.id) &&
		       sizeof(k.version_id) >= sizeof(os.version_id), "key fields");
	strcpy(k.id, os.id);
	strcpy(k.version_id, os.version_id);

	line = strtok_r(rest, "\n", &save);
	snprintf(k.release, sizeof(k.release), "%s", line ? line : "5.4.0-1");
	while (n < MAX_PATHS && (line = strtok_r(NULL, "\n", &save)))
		paths[n++] = line;
	ret = btfhub_lookup_paths(paths, n, &k, &match, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -ENOENT || ret == -ENOTUNIQ || ret == -EINVAL);
		FUZZ_CHECK_MSG(err);
	} else {	/* the match names this release */
		FUZZ_CHECK(match < n && strstr(paths[match], k.release));
	}
	free(text);
	return 0;
}
