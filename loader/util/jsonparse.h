/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one JSON reader: RFC 8259 text into a tree, for documents another
 * host wrote (`bpfport fleet --reports` reads `check --json` reports).
 * The input is not trusted:
 *  - exactly one value, blanks around it; anything else is an error that
 *    names the line and column;
 *  - at most JSON_MAX_DEPTH nested arrays and objects (no deep recursion);
 *  - strings are decoded to UTF-8 and NUL-terminated, so "\u0000" and lone
 *    surrogates are refused; control characters must be escaped (as RFC
 *    8259 says); other bytes are taken as they are (a writer that prints
 *    them escapes them: esc_str() makes invalid UTF-8 U+FFFD);
 *  - numbers follow the RFC's grammar and are read as doubles;
 *  - an object may repeat a name: json_get() finds the first.
 * The caller bounds the text's size: the tree costs about 64 bytes a value.
 */
#ifndef BPFPORT_UTIL_JSONPARSE_H
#define BPFPORT_UTIL_JSONPARSE_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 64

enum json_type {
	JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT,
};

struct json_member;

struct json_value {
	enum json_type type;
	bool boolean;			/* JSON_BOOL */
	double number;			/* JSON_NUMBER */
	char *string;			/* JSON_STRING */
	size_t len;			/* string bytes, array items, object members */
	struct json_value *items;	/* JSON_ARRAY */
	struct json_member *members;	/* JSON_OBJECT, in the text's order */
};

struct json_member {
	char *name;
	struct json_value value;
};

/*
 * Parses the @len bytes at @text into *@out (json_free() it). Returns 0;
 * -EINVAL with @err "line L, column C: what was expected"; or -ENOMEM.
 */
int json_parse(const char *text, size_t len, struct json_value **out,
	       char *err, size_t errlen);
void json_free(struct json_value *v);

/* The value of member @name of object @obj; NULL when @obj is not an
 * object (or NULL) or has no such member. */
const struct json_value *json_get(const struct json_value *obj, const char *name);

/* The string of @v, NULL when @v is not a string (or NULL). */
const char *json_str(const struct json_value *v);

/* The name of @t: "null", "boolean", "number", "string", "array", "object". */
const char *json_type_name(enum json_type t);

#endif /* BPFPORT_UTIL_JSONPARSE_H */
