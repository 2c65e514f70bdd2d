// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fleet coverage table, whatever its rows come from: text (a table
 * whose widths fit its cells, each probe's detail on a line below its row,
 * then the counts), CSV (one line per row and probe) or JSON (one
 * document). JSON and CSV stream; text keeps its rows until the widths are
 * known. Every string is escaped by esc_str() (util/esc.h), in text and
 * CSV as in JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "cli.h"
#include "fleet.h"
#include "util/esc.h"

#define DETAIL_LINE_MAX 4200	/* "probe: detail" */

/* a text row, escaped */
struct fleet_trow {
	char **vals;		/* the titled columns */
	char *words[FLEET_PROBES_MAX];
	char *note;
	char *error;
	char **lines;
	size_t line_cnt;
};

struct fleet_count {
	int what;		/* probe index, or -1: count_col */
	char *word;
	size_t n;
};

/* @s escaped for a text line (NULL: "-"), malloc'ed; NULL only when out
 * of memory */
static char *esc(const char *s)
{
	size_t n;
	char *buf;

	if (!s)
		return strdup("-");
	n = esc_str(NULL, 0, s, strlen(s), ESC_TEXT);
	buf = malloc(n + 1);
	if (buf)
		esc_str(buf, n + 1, s, strlen(s), ESC_TEXT);
	return buf;
}

static const char *str(const char *s)
{
	return s ? s : "(out of memory)";
}

static void csv_field(const char *s, bool last)
{
	cli_csv_field(s ? s : "", false, last);
}

static void count(struct fleet_table *t, int what, const char *word)
{
	struct fleet_count *c;
	size_t i;

	for (i = 0; i < t->count_cnt; i++)
		if (t->counts[i].what == what && !strcmp(t->counts[i].word, word)) {
			t->counts[i].n++;
			return;
		}
	c = realloc(t->counts, (t->count_cnt + 1) * sizeof(*c));
	if (!c)
		return;
	t->counts = c;
	c[t->count_cnt].what = what;
	c[t->count_cnt].word = strdup(word);
	c[t->count_cnt].n = 1;
	if (c[t->count_cnt].word)
		t->count_cnt++;
}

static bool shown(const struct fleet_table *t, size_t j)
{
	return t->mask & (1u << j);
}

void fleet_table_begin(struct fleet_table *t)
{
	size_t i;

	t->rows = NULL;
	t->row_cnt = t->trow_cnt = t->ok_cnt = t->err_cnt = t->count_cnt = 0;
	t->counts = NULL;
	if (t->fmt == FLEET_JSON) {
		jw_init(&t->jw, stdout, false, false);
		jw_start_object(&t->jw);
		jw_kv_str(&t->jw, t->src_key, t->src);
		jw_key(&t->jw, t->rows_key);
		jw_start_array(&t->jw);
	} else if (t->fmt == FLEET_CSV) {
		for (i = 0; i < t->col_cnt; i++)
			printf("%s,", t->cols[i].key);
		printf("probe,verdict,detail\n");
	}
}

static void json_row(struct fleet_table *t, const struct fleet_row *r)
{
	struct jw *jw = &t->jw;
	size_t i, j;

	jw_start_object(jw);
	if (r->error) {
		jw_kv_str_or_null(jw, t->cols[0].key, r->vals[0]);
		jw_kv_str(jw, "error", r->error);
		jw_end_object(jw);
		return;
	}
	for (i = 0; i < t->col_cnt; i++) {
		jw_key(jw, t->cols[i].key);
		if (!r->vals[i])
			jw_null(jw);
		else if (t->cols[i].boolean)
			jw_bool(jw, !strcmp(r->vals[i], "yes"));
		else
			jw_string(jw, r->vals[i]);
	}
	if (r->json_extra)
		r->json_extra(jw, r->ctx, -1);
	jw_kv_bool(jw, "ok", r->ok);
	jw_key(jw, "missing");
	jw_start_array(jw);
	for (j = 0; j < probe_cnt; j++)
		if (shown(t, j) && r->cells[j].word && !r->cells[j].ok)
			jw_string(jw, probe_table[j]->name);
	jw_end_array(jw);
	jw_key(jw, "probes");
	jw_start_object(jw);
	for (j = 0; j < probe_cnt; j++) {
		if (!shown(t, j) || !r->cells[j].word)
			continue;
		jw_key(jw, probe_table[j]->name);
		jw_start_object(jw);
		jw_kv_str(jw, "verdict", r->cells[j].word);
		jw_kv_str(jw, "detail", r->cells[j].detail);
		if (r->json_extra)
			r->json_extra(jw, r->ctx, j);
		jw_end_object(jw);
	}
	jw_end_object(jw);
	jw_end_object(jw);
}

static void csv_row(struct fleet_table *t, const struct fleet_row *r)
{
	size_t i, j;

	if (r->error) {
		csv_field(r->vals[0], false);
		for (i = 1; i < t->col_cnt + 1; i++)
			csv_field(NULL, false);
		csv_field("error", false);
		csv_field(r->error, true);
		return;
	}
	for (j = 0; j < probe_cnt; j++) {
		if (!shown(t, j) || !r->cells[j].word)
			continue;
		for (i = 0; i < t->col_cnt; i++)
			csv_field(r->vals[i], false);
		csv_field(probe_table[j]->name, false);
		csv_field(r->cells[j].word, false);
		csv_field(r->cells[j].detail, true);
	}
}

/* text: an escaped copy of the row, printed by fleet_table_end() */
static void keep_row(struct fleet_table *t, const struct fleet_row *r)
{
	struct fleet_trow *rows, *k;
	char line[DETAIL_LINE_MAX];
	size_t i, j, n = 0;

	rows = realloc(t->rows, (t->trow_cnt + 1) * sizeof(*rows));
	if (!rows)
		return;
	t->rows = rows;
	k = &rows[t->trow_cnt];
	memset(k, 0, sizeof(*k));
	k->vals = calloc(t->col_cnt, sizeof(*k->vals));
	k->lines = calloc(r->line_cnt + probe_cnt, sizeof(*k->lines));
	if (!k->vals || !k->lines) {
		free(k->vals);
		free(k->lines);
		return;
	}
	t->trow_cnt++;
	for (i = 0; i < t->col_cnt; i++)
		if (t->cols[i].title && (i == 0 || !r->error))
			k->vals[i] = esc(r->vals[i]);
	if (r->error) {
		k->error = esc(r->error);
		return;
	}
	for (j = 0; j < probe_cnt; j++)
		if (shown(t, j))
			k->words[j] = esc(r->cells[j].word);
	k->note = esc(r->note ? r->note : "");
	for (i = 0; i < r->line_cnt; i++)
		k->lines[n++] = esc(r->lines[i]);
	for (j = 0; j < probe_cnt; j++) {
		const struct fleet_cell *c = &r->cells[j];

		if (!shown(t, j) || !c->word || !c->detail[0])
			continue;
		snprintf(line, sizeof(line), "%s: %s", probe_table[j]->name, c->detail);
		k->lines[n++] = esc(line);
	}
	k->line_cnt = n;
}

void fleet_table_row(struct fleet_table *t, const struct fleet_row *r)
{
	size_t j;

	if (r->error) {
		t->err_cnt++;
	} else {
		t->ok_cnt += r->ok;
		if (t->count_col >= 0)
			count(t, -1, r->vals[t->count_col] ? r->vals[t->count_col] : "-");
		for (j = 0; j < probe_cnt; j++)
			if (shown(t, j) && r->cells[j].word)
				count(t, j, r->cells[j].word);
	}
	t->row_cnt++;
	if (t->fmt == FLEET_JSON)
		json_row(t, r);
	else if (t->fmt == FLEET_CSV)
		csv_row(t, r);
	else
		keep_row(t, r);
}

static int width(int w, const char *s)
{
	int n = s ? (int)strlen(s) : 0;

	return n > w ? n : w;
}

/* by what is counted, then the most frequent first, then by name */
static int count_cmp(const void *a, const void *b)
{
	const struct fleet_count *x = a, *y = b;

	if (x->what != y->what)
		return x->what - y->what;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->word, y->word);
}

static void print_text(struct fleet_table *t)
{
	size_t i, j, r;
	int w[FLEET_COLS_MAX] = { 0 }, pw[FLEET_PROBES_MAX] = { 0 };

	for (i = 0; i < t->col_cnt; i++)
		if (t->cols[i].title) {
			w[i] = width(0, t->cols[i].title);
			for (r = 0; r < t->trow_cnt; r++)
				if (!t->rows[r].error || i == 0)
					w[i] = width(w[i], t->rows[r].vals[i]);
		}
	for (j = 0; j < probe_cnt; j++) {
		pw[j] = width(0, probe_table[j]->name);
		for (r = 0; r < t->trow_cnt; r++)
			pw[j] = width(pw[j], t->rows[r].words[j]);
	}
	for (i = 0; i < t->col_cnt; i++)
		if (t->cols[i].title)
			printf("%-*s  ", w[i], t->cols[i].title);
	for (j = 0; j < probe_cnt; j++)
		if (shown(t, j))
			printf("%-*s  ", pw[j], probe_table[j]->name);
	printf("NOTES\n");
	for (r = 0; r < t->trow_cnt; r++) {
		const struct fleet_trow *k = &t->rows[r];

		if (k->error) {
			printf("%-*s  error: %s\n", w[0], str(k->vals[0]), k->error);
			continue;
		}
		for (i = 0; i < t->col_cnt; i++)
			if (t->cols[i].title)
				printf("%-*s  ", w[i], str(k->vals[i]));
		for (j = 0; j < probe_cnt; j++)
			if (shown(t, j))
				printf("%-*s  ", pw[j], str(k->words[j]));
		printf("%s\n", str(k->note));
		for (i = 0; i < k->line_cnt; i++)
			printf("    %s\n", str(k->lines[i]));
	}
}

/* "5 kernels: 3 ok, 2 not, 0 unreadable", then per counted column and
 * probe "tcp: ok 3, unsupported 2" */
static void print_counts(const struct fleet_table *t)
{
	size_t c;
	int what;

	printf("\n%zu %s: %zu ok, %zu not, %zu unreadable\n", t->row_cnt, t->rows_key,
	       t->ok_cnt, t->row_cnt - t->ok_cnt - t->err_cnt, t->err_cnt);
	for (what = -1; what < (int)probe_cnt; what++) {
		const char *sep = "";

		if (what < 0 ? t->count_col < 0 : !shown(t, what))
			continue;
		printf("%s:", what < 0 ? t->cols[t->count_col].key : probe_table[what]->name);
		for (c = 0; c < t->count_cnt; c++) {
			char *e;

			if (t->counts[c].what != what)
				continue;
			e = esc(t->counts[c].word);
			printf("%s %s %zu", sep, str(e), t->counts[c].n);
			sep = ",";
			free(e);
		}
		printf("\n");
	}
}

static void json_count(struct fleet_table *t, int what, const char *key)
{
	size_t c;

	jw_key(&t->jw, key);
	jw_start_object(&t->jw);
	for (c = 0; c < t->count_cnt; c++)
		if (t->counts[c].what == what)
			jw_kv_uint(&t->jw, t->counts[c].word, t->counts[c].n);
	jw_end_object(&t->jw);
}

static void json_counts(struct fleet_table *t)
{
	struct jw *jw = &t->jw;
	size_t j;

	jw_key(jw, "counts");
	jw_start_object(jw);
	jw_kv_uint(jw, "total", t->row_cnt);
	jw_kv_uint(jw, "ok", t->ok_cnt);
	jw_kv_uint(jw, "not_ok", t->row_cnt - t->ok_cnt - t->err_cnt);
	jw_kv_uint(jw, "unreadable", t->err_cnt);
	if (t->count_col >= 0)
		json_count(t, -1, t->cols[t->count_col].key);
	jw_key(jw, "probes");
	jw_start_object(jw);
	for (j = 0; j < probe_cnt; j++)
		if (shown(t, j))
			json_count(t, j, probe_table[j]->name);
	jw_end_object(jw);
	jw_end_object(jw);
}

void fleet_note(char *buf, size_t len, const char *arch, bool no_ringbuf)
{
	snprintf(buf, len, "%s%s", arch ? arch : "arch?", no_ringbuf ? ", no ringbuf: perfbuf" : "");
}

bool fleet_table_end(struct fleet_table *t)
{
	bool all_ok = t->ok_cnt == t->row_cnt;
	size_t r, i;

	if (t->count_cnt)	/* none: no probe row (NULL, undefined for qsort) */
		qsort(t->counts, t->count_cnt, sizeof(*t->counts), count_cmp);

	if (t->fmt == FLEET_JSON) {
		jw_end_array(&t->jw);
		json_counts(t);
		jw_kv_bool(&t->jw, "all_ok", all_ok);
		jw_end_object(&t->jw);
		fputc('\n', stdout);
	} else if (t->fmt == FLEET_TEXT) {
		print_text(t);
		print_counts(t);
	}
	for (r = 0; r < t->trow_cnt; r++) {
		for (i = 0; i < t->col_cnt; i++)
			free(t->rows[r].vals[i]);
		for (i = 0; i < FLEET_PROBES_MAX; i++)
			free(t->rows[r].words[i]);
		for (i = 0; i < t->rows[r].line_cnt; i++)
			free(t->rows[r].lines[i]);
		free(t->rows[r].vals);
		free(t->rows[r].lines);
		free(t->rows[r].note);
		free(t->rows[r].error);
	}
	free(t->rows);
	for (i = 0; i < t->count_cnt; i++)
		free(t->counts[i].word);
	free(t->counts);
	return all_ok;
}
