// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tracepoint record structs from tracefs "format" files (DESIGN.md "One
 * source, two compilations": kernel headers lack trace_event_raw_*, BCC
 * reads the same files). Only the offsets, sizes and signedness the
 * kernel prints are trusted; the declared type names are not (syscall
 * tracepoints print "int dfd" for an 8-byte slot), so every field is
 * re-typed from its size and placed at its offset with explicit padding.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tpformat.h"
#include "util/fsio.h"

#define MAX_FORMAT	(1 << 20)
#define MAX_FIELDS	256
#define PTR_SIZE	8	/* BPF, and the 64-bit hosts the runtime mode compiles on */

struct tp_field {
	char name[128];
	char ctype[128];	/* emitted type, before the name */
	char dims[32];		/* emitted "[N]" or "" */
	unsigned long offset, size;
	unsigned int align;
	bool dataloc, relloc;
};


/* A C identifier, and not a keyword: what names in the generated C may be
 * (nothing else from the file reaches it but numbers). */
static bool is_ident(const char *s)
{
	static const char *const keywords[] = { "auto", "break", "case", "char",
		"const", "continue", "default", "do", "double", "else", "enum",
		"extern", "float", "for", "goto", "if", "inline", "int", "long",
		"register", "restrict", "return", "short", "signed", "sizeof",
		"static", "struct", "switch", "typedef", "union", "unsigned",
		"void", "volatile", "while", "_Bool", "_Static_assert" };
	const char *p = s;
	size_t i;

	if (!*p || !(isalpha((unsigned char)*p) || *p == '_'))
		return false;
	for (p++; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return false;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(s, keywords[i]))
			return false;
	return true;
}

static void trim(char *s)
{
	size_t n = strlen(s), lead = strspn(s, " \t");

	while (n > lead && isspace((unsigned char)s[n - 1]))
		n--;
	memmove(s, s + lead, n - lead);
	s[n - lead] = '\0';
}

/* The trailing identifier of s, cut from it. */
static bool cut_name(char *s, char *name, size_t len)
{
	size_t n = strlen(s), start = n;

	while (start && (isalnum((unsigned char)s[start - 1]) || s[start - 1] == '_'))
		start--;
	if (start == n || n - start >= len)
		return false;
	memcpy(name, s + start, n - start + 1);
	s[start] = '\0';
	trim(s);
	return is_ident(name);
}

static const char *int_type(unsigned long size, bool is_signed)
{
	switch (size) {
	case 1: return is_signed ? "signed char" : "unsigned char";
	case 2: return is_signed ? "short" : "unsigned short";
	case 4: return is_signed ? "int" : "unsigned int";
	case 8: return is_signed ? "long long" : "unsigned long long";
	}
	return NULL;
}

/* Size of an element type by its name, for arrays whose dimension is an
 * expression ("__u8 saddr[sizeof(struct sockaddr_in6)]"). 0: unknown. */
static unsigned long type_size(const char *t)
{
	static const struct { const char *name; unsigned long size; } known[] = {
		{ "char", 1 }, { "unsigned char", 1 }, { "signed char", 1 },
		{ "u8", 1 }, { "__u8", 1 }, { "s8", 1 }, { "__s8", 1 }, { "bool", 1 },
		{ "short", 2 }, { "unsigned short", 2 }, { "u16", 2 }, { "__u16", 2 },
		{ "s16", 2 }, { "__s16", 2 }, { "__be16", 2 }, { "__le16", 2 },
		{ "int", 4 }, { "unsigned int", 4 }, { "u32", 4 }, { "__u32", 4 },
		{ "s32", 4 }, { "__s32", 4 }, { "__be32", 4 }, { "__le32", 4 },
		{ "pid_t", 4 }, { "u64", 8 }, { "__u64", 8 }, { "s64", 8 },
		{ "__s64", 8 }, { "long", 8 }, { "unsigned long", 8 },
		{ "long long", 8 }, { "unsigned long long", 8 },
	};
	size_t i;

	if (!strncmp(t, "const ", 6))
		t += 6;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(t, known[i].name))
			return known[i].size;
	return 0;
}

/* A pointer type made only of C keywords and struct tags is kept as is
 * ("const char *"); out gets it normalized. */
static bool plain_pointer(const char *t, char *out, size_t len)
{
	static const char *const words[] = { "const", "volatile", "void", "char",
		"short", "int", "long", "unsigned", "signed", "struct" };
	bool after_struct = false, base = false, star = false;
	const char *p = t;
	size_t o = 0;

	out[0] = '\0';
	while (*p) {
		char tok[64];
		size_t n, i;
		bool ok = false;

		p += strspn(p, " \t");
		if (!*p)
			break;
		n = *p == '*' ? 1 : strcspn(p, " \t*");
		if (n >= sizeof(tok))
			return false;
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		if (!strcmp(tok, "*")) {
			if (!base || after_struct)
				return false;
			ok = star = true;
		} else if (star) {
			return false;	/* "char * const": not worth it */
		} else if (after_struct) {
			ok = is_ident(tok);
			base = true;
		} else {
			for (i = 0; !ok && i < sizeof(words) / sizeof(words[0]); i++)
				ok = !strcmp(tok, words[i]);
			base |= ok && strcmp(tok, "const") && strcmp(tok, "volatile") &&
				strcmp(tok, "struct");
		}
		if (!ok)
			return false;
		after_struct = !strcmp(tok, "struct");
		if (o + n + 2 >= len)
			return false;
		if (o && !(tok[0] == '*' && out[o - 1] == '*'))
			out[o++] = ' ';
		memcpy(out + o, tok, n + 1);
		o += n;
	}
	return star;
}

/* Parses "field:DECL;\toffset:N;\tsize:N;\tsigned:N;" */
static int parse_field(char *line, struct tp_field *f, char *why, size_t wlen)
{
	char decl[256], type[256], *p, *semi;
	long is_signed = -1;
	bool have_off = false, have_size = false;

	memset(f, 0, sizeof(*f));
	p = strchr(line, ':');
	semi = p ? strchr(p, ';') : NULL;
	if (!semi || (size_t)(semi - p - 1) >= sizeof(decl)) {
		snprintf(why, wlen, "no declaration");
		return -EINVAL;
	}
	memcpy(decl, p + 1, semi - p - 1);
	decl[semi - p - 1] = '\0';
	trim(decl);
	for (p = semi + 1; *p; ) {
		char key[16];
		unsigned long v;
		char *end;
		size_t k;

		p += strspn(p, " \t");
		if (!*p)
			break;
		k = strcspn(p, ":");
		if (!p[k] || k >= sizeof(key)) {
			snprintf(why, wlen, "bad attribute \"%s\"", p);
			return -EINVAL;
		}
		memcpy(key, p, k);
		key[k] = '\0';
		errno = 0;
		v = strtoul(p + k + 1, &end, 10);
		if (errno || end == p + k + 1 || (*end != ';' && *end)) {
			snprintf(why, wlen, "bad number in %s", key);
			return -EINVAL;
		}
		if (!strcmp(key, "offset")) {
			f->offset = v;
			have_off = true;
		} else if (!strcmp(key, "size")) {
			f->size = v;
			have_size = true;
		} else if (!strcmp(key, "signed")) {
			is_signed = v;
		}
		p = *end ? end + 1 : end;
	}
	if (!have_off || !have_size || !f->size || f->size > 65536 ||
	    f->offset > 65536) {
		snprintf(why, wlen, "missing or bad offset/size");
		return -EINVAL;
	}

	if (!strncmp(decl, "__data_loc ", 11) || !strncmp(decl, "__rel_loc ", 10)) {
		f->relloc = decl[2] == 'r';
		f->dataloc = !f->relloc;
		snprintf(type, sizeof(type), "%s", decl);
		if (!cut_name(type, f->name, sizeof(f->name)) || f->size != 4) {
			snprintf(why, wlen, "bad %s field", f->relloc ? "__rel_loc" : "__data_loc");
			return -EINVAL;
		}
		snprintf(f->ctype, sizeof(f->ctype), "unsigned int");
		f->align = 4;
		return 0;
	}

	snprintf(type, sizeof(type), "%s", decl);
	if (type[0] && type[strlen(type) - 1] == ']') {
		char *open = strrchr(type, '['), dim[64];
		unsigned long n = 0, elem = 0;
		const char *et;
		char *end;

		if (!open || (size_t)(strlen(open) - 2) >= sizeof(dim)) {
			snprintf(why, wlen, "bad array");
			return -EINVAL;
		}
		memcpy(dim, open + 1, strlen(open) - 2);
		dim[strlen(open) - 2] = '\0';
		*open = '\0';
		trim(type);
		if (!cut_name(type, f->name, sizeof(f->name))) {
			snprintf(why, wlen, "no field name");
			return -EINVAL;
		}
		n = strtoul(dim, &end, 10);
		if (dim[0] && !*end && n && f->size % n == 0)
			elem = f->size / n;
		else if (!strchr(type, '*'))
			elem = type_size(type);
		if (strchr(type, '*') && (!elem || elem == PTR_SIZE))
			elem = PTR_SIZE;
		if (!elem || f->size % elem || !int_type(elem, false))
			elem = 1;
		if (elem == 1 && (!strcmp(type, "char") || !strcmp(type, "const char")))
			et = "char";
		else
			et = int_type(elem, is_signed > 0);
		snprintf(f->ctype, sizeof(f->ctype), "%s", et);
		snprintf(f->dims, sizeof(f->dims), "[%lu]", f->size / elem);
		f->align = elem;
		return 0;
	}

	if (!cut_name(type, f->name, sizeof(f->name)) || !type[0]) {
		snprintf(why, wlen, "no type or field name");
		return -EINVAL;
	}
	if (strchr(type, '*') && f->size == PTR_SIZE) {
		if (!plain_pointer(type, f->ctype, sizeof(f->ctype)))
			snprintf(f->ctype, sizeof(f->ctype), "const void *");
		f->align = PTR_SIZE;
		return 0;
	}
	if (is_signed < 0)	/* pre-2.6.32 formats: guess from the name */
		is_signed = !strstr(type, "unsigned") && type[0] != 'u' &&
			    strncmp(type, "__u", 3) && strcmp(type, "bool");
	if (int_type(f->size, is_signed)) {
		snprintf(f->ctype, sizeof(f->ctype), "%s", int_type(f->size, is_signed));
		f->align = f->size;
	} else {	/* odd sizes: raw bytes */
		snprintf(f->ctype, sizeof(f->ctype), "unsigned char");
		snprintf(f->dims, sizeof(f->dims), "[%lu]", f->size);
		f->align = 1;
	}
	return 0;
}

static int cmp_offset(const void *a, const void *b)
{
	const struct tp_field *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The names the generated C gets from the caller: identifiers. */
static int names_ok(const char *category, const char *event, const char *struct_name,
		    char *err, size_t errlen)
{
	if (is_ident(category) && is_ident(event) && is_ident(struct_name))
		return 0;
	seterr(err, errlen, "tracepoint %s:%s or struct name %s is not a C identifier",
	       category ? category : "?", event ? event : "?", struct_name ? struct_name : "?");
	return -EINVAL;
}

int tpformat_struct_text(const char *path, char *text, const char *category,
			 const char *event, const char *struct_name, char **c_text,
			 char *err, size_t errlen)
{
	char why[160], id[32] = "?", *line, *save = NULL;
	struct tp_field *fields = NULL;
	size_t nf = 0, i, lineno = 0, tlen = 0;
	unsigned long pos = 0;
	FILE *out = NULL;
	int ret;

	*c_text = NULL;
	ret = names_ok(category, event, struct_name, err, errlen);
	if (ret)
		return ret;
	fields = calloc(MAX_FIELDS, sizeof(*fields));
	if (!fields) {
		ret = -ENOMEM;
		goto out;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line + strspn(line, " \t");

		lineno++;
		if (!strncmp(p, "ID:", 3)) {
			/* a number, or the file is not what tracefs writes */
			p += 3 + strspn(p + 3, " \t");
			snprintf(id, sizeof(id), "%s", p);
			trim(id);
			if (!id[0] || id[strspn(id, "0123456789")]) {
				seterr(err, errlen, "%s line %zu: ID \"%.40s\" is not a number: a format this parser does not understand; report it with the file",
				       path, lineno, p);
				ret = -EINVAL;
				goto out;
			}
			continue;
		}
		if (!strncmp(p, "print fmt:", 10))
			break;
		if (strncmp(p, "field:", 6) && strncmp(p, "field special:", 14))
			continue;
		if (nf == MAX_FIELDS) {
			seterr(err, errlen, "%s: more than %d fields: report it with the file", path, MAX_FIELDS);
			ret = -EINVAL;
			goto out;
		}
		ret = parse_field(p, &fields[nf], why, sizeof(why));
		if (ret) {
			seterr(err, errlen, "%s line %zu: %s in \"%.60s\": a format this parser does not understand; report it with the file",
			       path, lineno, why, p);
			goto out;
		}
		for (i = 0; i < nf; i++)
			if (!strcmp(fields[i].name, fields[nf].name)) {
				seterr(err, errlen, "%s line %zu: field %s appears twice: a format this parser does not understand; report it with the file", path,
				       lineno, fields[nf].name);
				ret = -EINVAL;
				goto out;
			}
		nf++;
	}
	if (!nf) {
		seterr(err, errlen, "%s has no fields: not a tracepoint format file; check the tracefs path", path);
		ret = -EINVAL;
		goto out;
	}
	qsort(fields, nf, sizeof(*fields), cmp_offset);
	for (i = 1; i < nf; i++)
		if (fields[i].offset < fields[i - 1].offset + fields[i - 1].size) {
			seterr(err, errlen, "%s: field %s (offset %lu) overlaps %s (offset %lu, size %lu): a format this parser does not understand; report it with the file",
			       path, fields[i].name, fields[i].offset, fields[i - 1].name,
			       fields[i - 1].offset, fields[i - 1].size);
			ret = -EINVAL;
			goto out;
		}

	out = open_memstream(c_text, &tlen);
	if (!out) {
		ret = -ENOMEM;
		goto out;
	}
	fprintf(out, "/* %s:%s (ID %s), from its tracefs format by bpfport */\n",
		category, event, id);
	fprintf(out, "struct %s {\n", struct_name);
	for (i = 0; i < nf; i++) {
		const struct tp_field *f = &fields[i];
		bool ptr = f->ctype[strlen(f->ctype) - 1] == '*';

		if (f->offset > pos)
			fprintf(out, "\tchar __pad_%lu[%lu];\n", pos, f->offset - pos);
		fprintf(out, "\t%s%s%s%s%s%s;\n", f->ctype, ptr ? "" : " ",
			f->dataloc ? "__data_loc_" : f->relloc ? "__rel_loc_" : "",
			f->name, f->dims,
			f->offset % f->align ? " __attribute__((packed))" : "");
		pos = f->offset + f->size;
	}
	fprintf(out, "};\n");
	for (i = 0; i < nf; i++) {
		const struct tp_field *f = &fields[i];
		const char *pre = f->dataloc ? "__data_loc_" : f->relloc ? "__rel_loc_" : "";

		fprintf(out, "_Static_assert(__builtin_offsetof(struct %s, %s%s) == %lu && "
			"sizeof(((struct %s *)0)->%s%s) == %lu, \"%s:%s field %s: offset %lu, size %lu\");\n",
			struct_name, pre, f->name, f->offset, struct_name, pre, f->name,
			f->size, category, event, f->name, f->offset, f->size);
	}
	for (i = 0; i < nf; i++) {
		fprintf(out, "#define BPFPORT_TP_HAS_%s_%s 1\n", event, fields[i].name);
		if (fields[i].dataloc)
			fprintf(out, "#define BPFPORT_TP_DATALOC_%s_%s 1\n", event, fields[i].name);
		if (fields[i].relloc)
			fprintf(out, "#define BPFPORT_TP_RELLOC_%s_%s 1\n", event, fields[i].name);
	}
	if (fclose(out)) {
		ret = -ENOMEM;
		free(*c_text);
		*c_text = NULL;
		goto out;
	}
	ret = 0;
out:
	if (ret == -ENOMEM)
		seterr(err, errlen, "%s: out of memory", path);
	free(fields);
	return ret;
}

int tpformat_struct(const char *tracefs, const char *category,
		    const char *event, const char *struct_name, char **c_text,
		    char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t flen;
	void *text;
	int ret;

	*c_text = NULL;
	ret = names_ok(category, event, struct_name, err, errlen);
	if (ret)
		return ret;
	if (!tracefs) {
		seterr(err, errlen, "tpformat_struct: no tracefs directory");
		return -EINVAL;
	}
	if (snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs, category,
		     event) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	ret = fsio_read_file(path, MAX_FORMAT, &text, &flen);
	if (ret) {
		seterr(err, errlen, "cannot read %s: %s: %s", path, fsio_strerror(ret),
		       ret == -ENOENT ? "this kernel has no such tracepoint (or tracefs is not mounted there)"
				      : "check tracefs");
		return ret;
	}
	ret = tpformat_struct_text(path, text, category, event, struct_name, c_text, err,
				   errlen);
	free(text);
	return ret;
}
