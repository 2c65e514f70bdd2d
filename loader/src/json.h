/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small streaming writer with two outputs: JSON (one document, commas and
 * nesting handled here, never by string pasting) and text ("key=value"
 * pairs, strings quoted and escaped the same way). Printers write fields
 * once and get both formats.
 */
#ifndef BPFPORT_JSON_H
#define BPFPORT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *out;
	bool text;		/* key=value instead of JSON */
	bool pretty;		/* JSON: newlines and indent */
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	bool after_key;
};

void jw_init(struct jw *jw, FILE *out, bool text, bool pretty);
void jw_start_object(struct jw *jw);
void jw_end_object(struct jw *jw);
void jw_start_array(struct jw *jw);
void jw_end_array(struct jw *jw);
void jw_key(struct jw *jw, const char *key);
/* Writes bytes [s, s+len) up to the first NUL: kernel char arrays need not
 * be terminated. Escaped by util/esc.h's rules (control characters
 * \u00XX, invalid UTF-8 U+FFFD). */
void jw_string_n(struct jw *jw, const char *s, size_t len);
void jw_string(struct jw *jw, const char *s);
void jw_uint(struct jw *jw, uint64_t v);
void jw_int(struct jw *jw, int64_t v);
void jw_bool(struct jw *jw, bool v);
void jw_null(struct jw *jw);

static inline void jw_kv_str(struct jw *jw, const char *k, const char *v)
{
	jw_key(jw, k);
	jw_string(jw, v);
}

/* "k": v, or "k": null when v is NULL */
static inline void jw_kv_str_or_null(struct jw *jw, const char *k, const char *v)
{
	jw_key(jw, k);
	if (v)
		jw_string(jw, v);
	else
		jw_null(jw);
}

static inline void jw_kv_strn(struct jw *jw, const char *k, const char *v,
			      size_t n)
{
	jw_key(jw, k);
	jw_string_n(jw, v, n);
}

static inline void jw_kv_uint(struct jw *jw, const char *k, uint64_t v)
{
	jw_key(jw, k);
	jw_uint(jw, v);
}

static inline void jw_kv_int(struct jw *jw, const char *k, int64_t v)
{
	jw_key(jw, k);
	jw_int(jw, v);
}

static inline void jw_kv_bool(struct jw *jw, const char *k, bool v)
{
	jw_key(jw, k);
	jw_bool(jw, v);
}

#endif
