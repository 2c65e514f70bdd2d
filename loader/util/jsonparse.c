// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A recursive-descent JSON reader; its rules are listed in jsonparse.h.
 * The recursion is bounded by JSON_MAX_DEPTH, and every error stops the
 * parse at once: the first one is the one reported.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonparse.h"
#include "msg.h"

struct parser {
	const char *s;
	size_t len, pos;
	int depth;
	char *err;
	size_t errlen;
};

/* Records the error at the current position; returns -EINVAL (or @ret). */
static int fail(struct parser *p, int ret, const char *what)
{
	size_t line = 1, col = 1, i;

	for (i = 0; i < p->pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	if (ret == -ENOMEM)
		return msg_set(p->err, p->errlen, ret, "out of memory at line %zu", line);
	return msg_set(p->err, p->errlen, ret, "line %zu, column %zu: %s", line, col, what);
}

static void blanks(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/* Grows *@buf (of *@cap elements of @size bytes) to hold @n. */
static int grow(void **buf, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap : 4;
	void *b;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	b = realloc(*buf, c * size);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*cap = c;
	return 0;
}

static int hex4(struct parser *p, uint32_t *out)
{
	uint32_t v = 0;
	int i, c;

	for (i = 0; i < 4; i++) {
		c = peek(p);
		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (c - 'A' + 10);
		else
			return fail(p, -EINVAL, "\\u needs four hex digits");
		p->pos++;
	}
	*out = v;
	return 0;
}

/* \uXXXX (the "\u" read), a surrogate pair in two, into UTF-8 at @o. */
static int unicode_escape(struct parser *p, char *o, size_t *n)
{
	uint32_t cp, lo;
	int ret;

	ret = hex4(p, &cp);
	if (ret)
		return ret;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail(p, -EINVAL, "lone low surrogate in a \\u escape");
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return fail(p, -EINVAL, "high surrogate not followed by a \\u low surrogate");
		p->pos += 2;
		ret = hex4(p, &lo);
		if (ret)
			return ret;
		if (lo < 0xDC00 || lo > 0xDFFF)
			return fail(p, -EINVAL, "high surrogate not followed by a \\u low surrogate");
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	if (cp == 0)
		return fail(p, -EINVAL, "\\u0000 in a string");
	if (cp < 0x80) {
		o[0] = cp;
		*n = 1;
	} else if (cp < 0x800) {
		o[0] = 0xC0 | (cp >> 6);
		o[1] = 0x80 | (cp & 0x3F);
		*n = 2;
	} else if (cp < 0x10000) {
		o[0] = 0xE0 | (cp >> 12);
		o[1] = 0x80 | ((cp >> 6) & 0x3F);
		o[2] = 0x80 | (cp & 0x3F);
		*n = 3;
	} else {
		o[0] = 0xF0 | (cp >> 18);
		o[1] = 0x80 | ((cp >> 12) & 0x3F);
		o[2] = 0x80 | ((cp >> 6) & 0x3F);
		o[3] = 0x80 | (cp & 0x3F);
		*n = 4;
	}
	return 0;
}

/* A string at the opening quote, decoded into *@out (malloc'ed). Escapes
 * never decode longer than they are written, so the text's length bounds
 * the buffer. */
static int string(struct parser *p, char **out, size_t *outlen)
{
	size_t start = ++p->pos, end = start, n = 0;
	char *buf;
	int ret;

	/* the closing quote: a backslash always escapes the next byte */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		return fail(p, -EINVAL, "string not closed");
	buf = malloc(end - start + 1);
	if (!buf)
		return fail(p, -ENOMEM, "");
	while (p->pos < end) {
		unsigned char c = p->s[p->pos];
		size_t k = 0;

		if (c < 0x20) {
			ret = fail(p, -EINVAL, "control character in a string (must be escaped)");
			goto err;
		}
		p->pos++;
		if (c != '\\') {
			buf[n++] = c;
			continue;
		}
		c = p->s[p->pos++];
		switch (c) {
		case '"': case '\\': case '/': buf[n++] = c; break;
		case 'b': buf[n++] = '\b'; break;
		case 'f': buf[n++] = '\f'; break;
		case 'n': buf[n++] = '\n'; break;
		case 'r': buf[n++] = '\r'; break;
		case 't': buf[n++] = '\t'; break;
		case 'u':
			/* a pair is 12 bytes written, 4 decoded; one, 6 and up to 3 */
			ret = unicode_escape(p, buf + n, &k);
			if (ret)
				goto err;
			n += k;
			break;
		default:
			p->pos--;
			ret = fail(p, -EINVAL, "unknown escape in a string");
			goto err;
		}
	}
	p->pos = end + 1;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
err:
	free(buf);
	return ret;
}

static bool digit(int c)
{
	return c >= '0' && c <= '9';
}

static int number(struct parser *p, double *out)
{
	size_t start = p->pos;
	char tmp[64];

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0')
		p->pos++;
	else if (digit(peek(p)))
		while (digit(peek(p)))
			p->pos++;
	else
		return fail(p, -EINVAL, "bad number");
	if (peek(p) == '.') {
		p->pos++;
		if (!digit(peek(p)))
			return fail(p, -EINVAL, "bad number: a digit must follow '.'");
		while (digit(peek(p)))
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!digit(peek(p)))
			return fail(p, -EINVAL, "bad number: a digit must follow the exponent");
		while (digit(peek(p)))
			p->pos++;
	}
	if (p->pos - start >= sizeof(tmp))
		return fail(p, -EINVAL, "number too long");
	memcpy(tmp, p->s + start, p->pos - start);
	tmp[p->pos - start] = '\0';
	*out = strtod(tmp, NULL);
	return 0;
}

static int literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return fail(p, -EINVAL, "expected a value");
	p->pos += n;
	return 0;
}

static void value_free(struct json_value *v);
static int value(struct parser *p, struct json_value *v);

static int array(struct parser *p, struct json_value *v)
{
	size_t cap = 0;
	int ret;

	p->pos++;
	blanks(p);
	if (peek(p) == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (grow((void **)&v->items, &cap, v->len + 1, sizeof(*v->items)))
			return fail(p, -ENOMEM, "");
		v->len++;	/* owned now, even half built: freed with v */
		ret = value(p, &v->items[v->len - 1]);
		if (ret)
			return ret;
		blanks(p);
		if (peek(p) == ']') {
			p->pos++;
			return 0;
		}
		if (peek(p) != ',')
			return fail(p, -EINVAL, "expected ',' or ']'");
		p->pos++;
	}
}

static int object(struct parser *p, struct json_value *v)
{
	size_t cap = 0, n;
	int ret;

	p->pos++;
	blanks(p);
	if (peek(p) == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		struct json_member *m;

		blanks(p);
		if (peek(p) != '"')
			return fail(p, -EINVAL, "expected a member name (a string)");
		if (grow((void **)&v->members, &cap, v->len + 1, sizeof(*v->members)))
			return fail(p, -ENOMEM, "");
		m = &v->members[v->len];
		memset(m, 0, sizeof(*m));
		ret = string(p, &m->name, &n);
		if (ret)
			return ret;
		v->len++;	/* owned now: freed with v */
		blanks(p);
		if (peek(p) != ':')
			return fail(p, -EINVAL, "expected ':'");
		p->pos++;
		ret = value(p, &m->value);
		if (ret)
			return ret;
		blanks(p);
		if (peek(p) == '}') {
			p->pos++;
			return 0;
		}
		if (peek(p) != ',')
			return fail(p, -EINVAL, "expected ',' or '}'");
		p->pos++;
	}
}

/* One value into @v (zeroed here); on error @v holds what was built, for
 * value_free(). */
static int value(struct parser *p, struct json_value *v)
{
	int c, ret;

	memset(v, 0, sizeof(*v));
	blanks(p);
	c = peek(p);
	switch (c) {
	case '{':
	case '[':
		if (p->depth >= JSON_MAX_DEPTH)
			return fail(p, -EINVAL, "nested too deep");
		p->depth++;
		v->type = c == '{' ? JSON_OBJECT : JSON_ARRAY;
		ret = c == '{' ? object(p, v) : array(p, v);
		p->depth--;
		return ret;
	case '"':
		v->type = JSON_STRING;
		return string(p, &v->string, &v->len);
	case 't':
	case 'f':
		v->type = JSON_BOOL;
		v->boolean = c == 't';
		return literal(p, c == 't' ? "true" : "false");
	case 'n':
		v->type = JSON_NULL;
		return literal(p, "null");
	case -1:
		return fail(p, -EINVAL, "expected a value, found the end");
	}
	if (c == '-' || digit(c)) {
		v->type = JSON_NUMBER;
		return number(p, &v->number);
	}
	return fail(p, -EINVAL, "expected a value");
}

static void value_free(struct json_value *v)
{
	size_t i;

	if (v->type == JSON_ARRAY)
		for (i = 0; i < v->len; i++)
			value_free(&v->items[i]);
	if (v->type == JSON_OBJECT)
		for (i = 0; i < v->len; i++) {
			free(v->members[i].name);
			value_free(&v->members[i].value);
		}
	free(v->items);
	free(v->members);
	free(v->string);
}

int json_parse(const char *text, size_t len, struct json_value **out,
	       char *err, size_t errlen)
{
	struct parser p = { .s = text, .len = len, .err = err, .errlen = errlen };
	struct json_value *v;
	int ret;

	*out = NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return msg_set(err, errlen, -ENOMEM, "out of memory");
	ret = value(&p, v);
	if (!ret) {
		blanks(&p);
		if (p.pos < p.len)
			ret = fail(&p, -EINVAL, "text after the value");
	}
	if (ret) {
		json_free(v);
		return ret;
	}
	*out = v;
	return 0;
}

void json_free(struct json_value *v)
{
	if (!v)
		return;
	value_free(v);
	free(v);
}

const struct json_value *json_get(const struct json_value *obj, const char *name)
{
	size_t i;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->len; i++)
		if (!strcmp(obj->members[i].name, name))
			return &obj->members[i].value;
	return NULL;
}

const char *json_str(const struct json_value *v)
{
	return v && v->type == JSON_STRING ? v->string : NULL;
}

const char *json_type_name(enum json_type t)
{
	static const char *const names[] = {
		[JSON_NULL] = "null", [JSON_BOOL] = "boolean", [JSON_NUMBER] = "number",
		[JSON_STRING] = "string", [JSON_ARRAY] = "array", [JSON_OBJECT] = "object",
	};

	return names[t];
}
