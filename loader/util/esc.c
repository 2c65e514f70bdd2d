// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one escaping of outside text; the rules are listed in esc.h. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "esc.h"

/* Code point of the valid UTF-8 sequence at s, its length in *n; -1 when
 * it is not one (RFC 3629: no overlongs, no surrogates, nothing past
 * U+10FFFF). */
static int32_t utf8_seq(const unsigned char *s, size_t left, size_t *n)
{
	unsigned char c = s[0];
	uint32_t cp;
	size_t i;

	if (c < 0x80) {
		*n = 1;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		*n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		*n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		*n = 4;
		cp = c & 0x07;
	} else {
		return -1;
	}
	if (*n > left)
		return -1;
	for (i = 1; i < *n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((*n == 3 && cp < 0x800) || (*n == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return -1;
	return (int32_t)cp;
}

size_t esc_str(char *buf, size_t size, const char *str, size_t len,
	       enum esc_quote quote)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, o = 0, w = 0;	/* needed, written (whole escapes) */
	char tmp[16];

#define PUT(p, n)							\
	do {								\
		if (w == o && o + (n) < size) {				\
			memcpy(buf + o, (p), (n));			\
			w += (n);					\
		}							\
		o += (n);						\
	} while (0)

	while (i < len && s[i]) {
		int32_t cp;
		size_t n;

		switch (s[i]) {
		case '\\': PUT("\\\\", 2); i++; continue;
		case '\n': PUT("\\n", 2); i++; continue;
		case '\r': PUT("\\r", 2); i++; continue;
		case '\t': PUT("\\t", 2); i++; continue;
		case '\b': PUT("\\b", 2); i++; continue;
		case '\f': PUT("\\f", 2); i++; continue;
		case '"':
			if (quote == ESC_JSON)
				PUT("\\\"", 2);
			else if (quote == ESC_CSV)
				PUT("\"\"", 2);
			else
				PUT("\"", 1);
			i++;
			continue;
		}
		cp = utf8_seq(s + i, len - i, &n);
		if (cp < 0) {
			/* not UTF-8: U+FFFD, as Go's encoding/json does */
			PUT("\\ufffd", 6);
			i++;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned int)cp);
			PUT(tmp, 6);
		} else {
			PUT(s + i, n);
		}
		i += n;
	}
#undef PUT
	if (size)
		buf[w] = '\0';
	return o;
}
