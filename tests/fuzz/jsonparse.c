// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON reader (loader/util/jsonparse.c) that takes reports other hosts
 * wrote (bpfport fleet --reports): any input gets -EINVAL with a one-line
 * message naming the line and column, or a tree that keeps the reader's
 * promises: nesting within JSON_MAX_DEPTH, every string and name
 * NUL-terminated at its length (no NUL inside), counts that match.
 */
#include <errno.h>

#include "fuzz.h"
#include "util/jsonparse.h"

static void check_tree(const struct json_value *v, int depth)
{
	size_t i;

	FUZZ_CHECK(depth <= JSON_MAX_DEPTH);
	switch (v->type) {
	case JSON_STRING:
		FUZZ_CHECK(v->string && strlen(v->string) == v->len);
		break;
	case JSON_ARRAY:
		FUZZ_CHECK(depth < JSON_MAX_DEPTH && (!v->len || v->items));
		for (i = 0; i < v->len; i++)
			check_tree(&v->items[i], depth + 1);
		break;
	case JSON_OBJECT:
		FUZZ_CHECK(depth < JSON_MAX_DEPTH && (!v->len || v->members));
		for (i = 0; i < v->len; i++) {
			FUZZ_CHECK(v->members[i].name);
			FUZZ_CHECK(json_get(v, v->members[i].name));
			check_tree(&v->members[i].value, depth + 1);
		}
		break;
	case JSON_NULL:
	case JSON_BOOL:
	case JSON_NUMBER:
		break;
	default:
		FUZZ_CHECK(!"a type json_parse() does not make");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value *v = (void *)1;
	char err[256] = "";
	int ret;

	ret = json_parse((const char *)data, size, &v, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -ENOMEM);
		if (ret == -EINVAL)
			FUZZ_CHECK(!strncmp(err, "line ", 5) && strstr(err, ", column "));
		FUZZ_CHECK_MSG(err);
		return 0;
	}
	FUZZ_CHECK(v);
	check_tree(v, 0);
	json_free(v);
	return 0;
}
