/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpfport fleet: one coverage table, two sources. The rows come from the
 * kernels of a btfhub-archive tree (fleet.c: a preflight per kernel) or
 * from other hosts' `check --json` reports (fleet_reports.c); the one
 * writer here prints them as the text table, CSV or JSON, with the counts.
 * Every string a row holds may come from another host or a file name: the
 * writer escapes it in every format, so that no newline or escape sequence
 * can forge a row or reach the terminal.
 */
#ifndef BPFPORT_CLI_FLEET_H
#define BPFPORT_CLI_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define FLEET_PROBES_MAX 32	/* probe masks are 32 bits */
#define FLEET_COLS_MAX 16

enum fleet_format { FLEET_TEXT, FLEET_CSV, FLEET_JSON };

/* A column before the probes: a member of each row in JSON, a column in
 * CSV, and in the text table when it has a title. */
struct fleet_col {
	const char *key;
	const char *title;	/* NULL: not in the text table */
	bool boolean;		/* "yes"/"no": JSON true/false */
};

/* One probe in one row. */
struct fleet_cell {
	const char *word;	/* ok, or why not; NULL: not checked there */
	const char *detail;	/* "" when there is nothing to add */
	bool ok;
};

struct fleet_row {
	const char *const *vals;	/* one per column; NULL: null, "", "-" */
	const char *error;		/* unreadable: vals[0] and this only */
	struct fleet_cell cells[FLEET_PROBES_MAX];	/* by probe_table index */
	bool ok;			/* every required probe can run */
	const char *note;		/* text: the NOTES column */
	const char *const *lines;	/* text: lines under the row */
	size_t line_cnt;
	/* JSON: more members of the row (probe -1) or of one probe's object */
	void (*json_extra)(struct jw *jw, const void *ctx, int probe);
	const void *ctx;
};

struct fleet_trow;
struct fleet_count;

struct fleet_table {
	/* the caller's */
	enum fleet_format fmt;
	const char *src_key, *src;	/* JSON: "archive": DIR */
	const char *rows_key;		/* JSON: "kernels"; text: "5 kernels" */
	const struct fleet_col *cols;
	size_t col_cnt;			/* at most FLEET_COLS_MAX */
	int count_col;			/* counted by value at the end; -1: none */
	uint32_t mask;			/* the probes shown */
	/* the writer's */
	struct jw jw;
	struct fleet_trow *rows;	/* text: printed at the end, once widths are known */
	size_t trow_cnt;
	size_t row_cnt, ok_cnt, err_cnt;
	struct fleet_count *counts;	/* (column or probe, word) -> n */
	size_t count_cnt;
};

void fleet_table_begin(struct fleet_table *t);
void fleet_table_row(struct fleet_table *t, const struct fleet_row *r);
/* Prints what is left (text: the table) and the counts, frees; true when
 * every row is ok. */
bool fleet_table_end(struct fleet_table *t);

/* "x86_64" or "x86_64, no ringbuf: perfbuf": a row's NOTES */
void fleet_note(char *buf, size_t len, const char *arch, bool no_ringbuf);

/* fleet_reports.c: the table of every check --json report under @path (a
 * directory, or one file), begun and ended. Returns 0 when every host can
 * run every required probe; 1 when one cannot or a report is unreadable;
 * -errno with @err, and nothing printed, when @path cannot be walked or
 * holds no *.json or *.jsonl file. */
int fleet_reports(const char *path, struct fleet_table *t, char *err, size_t errlen);

/* fleet.c: the files under @root whose names @want takes, depth <= 4, no
 * symlinks followed, sorted by their path under @root. */
struct fleet_file {
	char rel[1024];
	char path[4096];
};
int fleet_walk(const char *root, bool (*want)(const char *name),
	       struct fleet_file **out, size_t *n);

#endif
