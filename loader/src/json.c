// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0 when it is not valid. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return n;
}

size_t json_escape(char *buf, size_t size, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, o = 0;
	char tmp[8];

#define PUT(p, n)							\
	do {								\
		if (o + (n) < size)					\
			memcpy(buf + o, (p), (n));			\
		o += (n);						\
	} while (0)

	while (i < len && s[i]) {
		unsigned char c = s[i];
		size_t n;

		switch (c) {
		case '"': PUT("\\\"", 2); i++; continue;
		case '\\': PUT("\\\\", 2); i++; continue;
		case '\n': PUT("\\n", 2); i++; continue;
		case '\r': PUT("\\r", 2); i++; continue;
		case '\t': PUT("\\t", 2); i++; continue;
		case '\b': PUT("\\b", 2); i++; continue;
		case '\f': PUT("\\f", 2); i++; continue;
		}
		if (c < 0x20 || c == 0x7F) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			PUT(tmp, 6);
			i++;
			continue;
		}
		n = utf8_seq(s + i, len - i);
		if (n == 0) {
			/* not UTF-8: U+FFFD, as Go's encoding/json does */
			PUT("\\ufffd", 6);
			i++;
			continue;
		}
		PUT(s + i, n);
		i += n;
	}
#undef PUT
	if (size)
		buf[o < size ? o : size - 1] = '\0';
	return o;
}

void jw_init(struct jw *jw, FILE *out, bool text, bool pretty)
{
	memset(jw, 0, sizeof(*jw));
	jw->out = out;
	jw->text = text;
	jw->pretty = pretty && !text;
}

static void indent(struct jw *jw)
{
	int i;

	if (!jw->pretty)
		return;
	fputc('\n', jw->out);
	for (i = 0; i < jw->depth; i++)
		fputs("  ", jw->out);
}

/* Separator before a value or key at the current depth. */
static void sep(struct jw *jw)
{
	if (jw->after_key) {
		jw->after_key = false;
		return;
	}
	if (jw->need_comma[jw->depth])
		fputc(jw->text ? ' ' : ',', jw->out);
	if (jw->depth > 0)
		indent(jw);
	jw->need_comma[jw->depth] = true;
}

static void open_nest(struct jw *jw, char c)
{
	sep(jw);
	if (!jw->text)
		fputc(c, jw->out);
	if (jw->depth < JW_MAX_DEPTH - 1)
		jw->depth++;
	jw->need_comma[jw->depth] = false;
}

static void close_nest(struct jw *jw, char c)
{
	bool had = jw->need_comma[jw->depth];

	if (jw->depth > 0)
		jw->depth--;
	if (had)
		indent(jw);
	if (!jw->text)
		fputc(c, jw->out);
}

void jw_start_object(struct jw *jw) { open_nest(jw, '{'); }
void jw_end_object(struct jw *jw) { close_nest(jw, '}'); }
void jw_start_array(struct jw *jw) { open_nest(jw, '['); }
void jw_end_array(struct jw *jw) { close_nest(jw, ']'); }

/* Writes s escaped, in quotes. Escaping grows a byte to at most 6. */
static void quoted(struct jw *jw, const char *s, size_t len)
{
	char small[1024], *buf = small;
	size_t need = json_escape(small, sizeof(small), s, len);

	if (need >= sizeof(small)) {
		buf = malloc(need + 1);
		if (!buf) {
			fputs("\"\"", jw->out);
			return;
		}
		json_escape(buf, need + 1, s, len);
	}
	fputc('"', jw->out);
	fwrite(buf, 1, need, jw->out);
	fputc('"', jw->out);
	if (buf != small)
		free(buf);
}

void jw_key(struct jw *jw, const char *key)
{
	sep(jw);
	if (jw->text) {
		fprintf(jw->out, "%s=", key);
	} else {
		quoted(jw, key, strlen(key));
		fputs(jw->pretty ? ": " : ":", jw->out);
	}
	jw->after_key = true;
}

void jw_string_n(struct jw *jw, const char *s, size_t len)
{
	sep(jw);
	quoted(jw, s, len);
}

void jw_string(struct jw *jw, const char *s)
{
	jw_string_n(jw, s, s ? strlen(s) : 0);
}

void jw_uint(struct jw *jw, uint64_t v)
{
	sep(jw);
	fprintf(jw->out, "%" PRIu64, v);
}

void jw_int(struct jw *jw, int64_t v)
{
	sep(jw);
	fprintf(jw->out, "%" PRId64, v);
}

void jw_bool(struct jw *jw, bool v)
{
	sep(jw);
	fputs(v ? "true" : "false", jw->out);
}

void jw_null(struct jw *jw)
{
	sep(jw);
	fputs("null", jw->out);
}
