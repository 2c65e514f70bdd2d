// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util/esc.h"

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
	size_t need = esc_str(small, sizeof(small), s, len, ESC_JSON);

	if (need >= sizeof(small)) {
		buf = malloc(need + 1);
		if (!buf) {
			fputs("\"\"", jw->out);
			return;
		}
		esc_str(buf, need + 1, s, len, ESC_JSON);
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
