// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfport fleet --reports: real hosts' `check --json`, collected by hand or
 * from the agents' logs, in the fleet table: per host the mode auto picks,
 * why, the steps it skipped, and each probe. A report is another host's
 * word: each is parsed (util/jsonparse.c) and checked member by member
 * before a row is made of it, and one that fails is a row naming what is
 * wrong, never the end of the table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "fleet.h"
#include "util/fsio.h"
#include "util/jsonparse.h"
#include "util/msg.h"

#define REPORT_MAX (1u << 20)		/* one document: check's are ~6 KB */
#define REPORTS_FILE_MAX (64u << 20)	/* a file of JSON lines (logs) */

/* the bounds of what check writes: uname's fields, os-release's */
#define UTS_MAX 64
#define WORD_MAX 32
#define TEXT_MAX 4096

enum { C_REPORT, C_HOST, C_KERNEL, C_DISTRO, C_PRETTY, C_ARCH, C_RINGBUF,
       C_VERSION, C_MODE, C_REASON, C_SKIPPED, C_DETAIL, C_CNT };

static const struct fleet_col report_cols[C_CNT] = {
	[C_REPORT] = { "report", "REPORT", false },
	[C_HOST] = { "host", "HOST", false },
	[C_KERNEL] = { "kernel", "KERNEL", false },
	[C_DISTRO] = { "distro", "DISTRO", false },
	[C_PRETTY] = { "pretty_name", NULL, false },
	[C_ARCH] = { "arch", NULL, false },
	[C_RINGBUF] = { "ringbuf", NULL, true },
	[C_VERSION] = { "bpfport_version", NULL, false },
	[C_MODE] = { "mode", "MODE", false },
	[C_REASON] = { "reason", "REASON", false },
	[C_SKIPPED] = { "skipped", NULL, false },
	[C_DETAIL] = { "verdict_detail", NULL, false },
};

/* one report, checked: the row's strings point into its JSON tree */
struct report {
	const char *vals[C_CNT];
	char distro[160];
	char skipped[1024];
	bool ok;
	struct fleet_cell cells[FLEET_PROBES_MAX];
	char details[FLEET_PROBES_MAX][512];
	char note[96];
	char unknown[256];	/* probes this bpfport does not know */
	const char *preflight;	/* the --btf of a preflight report */
	const char *missing;	/* a required probe that is not usable */
	char lines[4][TEXT_MAX + 64];	/* text: under the row */
};

/* ---- checking a document, member by member ---- */

/* "probes[2]" + "reason" -> "probes[2].reason", for the messages */
static const char *at(char *buf, size_t len, const char *path, const char *name)
{
	snprintf(buf, len, "%s%s%s", path, *path ? "." : "", name);
	return buf;
}

/* Member @name of @obj, of @type, or null when @nullable (*@out NULL). */
static int member(const struct json_value *obj, const char *path, const char *name,
		  enum json_type type, bool nullable, const struct json_value **out,
		  char *err, size_t len)
{
	const struct json_value *v = json_get(obj, name);
	char p[256];

	*out = NULL;
	if (!v)
		return msg_set(err, len, -EINVAL, "%s: missing", at(p, sizeof(p), path, name));
	if (v->type == JSON_NULL && nullable)
		return 0;
	if (v->type != type)
		return msg_set(err, len, -EINVAL, "%s: %s, expected %s%s",
			       at(p, sizeof(p), path, name), json_type_name(v->type),
			       json_type_name(type), nullable ? " or null" : "");
	*out = v;
	return 0;
}

/* A string member of at most @max bytes; @word: a name or a reason code,
 * as check writes them ([a-z0-9_-]). */
static int member_str(const struct json_value *obj, const char *path, const char *name,
		      size_t max, bool word, bool nullable, const char **out,
		      char *err, size_t len)
{
	const struct json_value *v;
	char p[256];
	int ret;

	*out = NULL;
	ret = member(obj, path, name, JSON_STRING, nullable, &v, err, len);
	if (ret || !v)
		return ret;
	if (v->len > max)
		return msg_set(err, len, -EINVAL, "%s: longer than %zu bytes",
			       at(p, sizeof(p), path, name), max);
	if (word && (!v->len || strspn(v->string, "abcdefghijklmnopqrstuvwxyz0123456789_-") != v->len))
		return msg_set(err, len, -EINVAL, "%s: '%.40s' is not a name ([a-z0-9_-])",
			       at(p, sizeof(p), path, name), v->string);
	*out = v->string;
	return 0;
}

/* A boolean member; null when @nullable: *@out -1. */
static int member_bool(const struct json_value *obj, const char *path, const char *name,
		       bool nullable, int *out, char *err, size_t len)
{
	const struct json_value *v;
	int ret;

	ret = member(obj, path, name, JSON_BOOL, nullable, &v, err, len);
	*out = v ? v->boolean : -1;
	return ret;
}

static int read_system(const struct json_value *doc, struct report *r, char *err, size_t len)
{
	const struct json_value *sys, *os;
	const char *id, *ver;
	int ret;

	ret = member(doc, "", "system", JSON_OBJECT, false, &sys, err, len);
	if (ret)
		return ret;
	/* a report from before check named its host has none: "-" */
	if (json_get(sys, "hostname"))
		ret = member_str(sys, "system", "hostname", UTS_MAX, false, false,
				 &r->vals[C_HOST], err, len);
	ret = ret ?: member_str(sys, "system", "kernel_release", UTS_MAX, false, false,
				&r->vals[C_KERNEL], err, len);
	ret = ret ?: member_str(sys, "system", "arch", UTS_MAX, false, false,
				&r->vals[C_ARCH], err, len);
	ret = ret ?: member(sys, "system", "os", JSON_OBJECT, true, &os, err, len);
	if (ret || !os)
		return ret;
	ret = member_str(os, "system.os", "id", 63, false, false, &id, err, len);
	ret = ret ?: member_str(os, "system.os", "version_id", 63, false, false, &ver, err, len);
	ret = ret ?: member_str(os, "system.os", "pretty_name", 255, false, false,
			       &r->vals[C_PRETTY], err, len);
	if (ret)
		return ret;
	snprintf(r->distro, sizeof(r->distro), "%s%s%s", id, *ver ? "/" : "", ver);
	r->vals[C_DISTRO] = r->distro;
	return 0;
}

/* The cell of one probe: ok, or the reason it is not usable and why. */
static int read_probe(const struct json_value *p, const char *path, struct report *r,
		      char *err, size_t len)
{
	const struct json_value *progs;
	const char *name, *load, *reason, *detail;
	struct fleet_cell *c;
	int usable, optional, ret;
	char pp[64];
	size_t j, k;

	ret = member_str(p, path, "name", WORD_MAX, true, false, &name, err, len);
	ret = ret ?: member_bool(p, path, "optional", false, &optional, err, len);
	ret = ret ?: member_bool(p, path, "usable", false, &usable, err, len);
	ret = ret ?: member_str(p, path, "load", WORD_MAX, true, false, &load, err, len);
	ret = ret ?: member_str(p, path, "reason", WORD_MAX, true, true, &reason, err, len);
	ret = ret ?: member_str(p, path, "detail", TEXT_MAX, false, false, &detail, err, len);
	ret = ret ?: member(p, path, "programs", JSON_ARRAY, false, &progs, err, len);
	if (ret)
		return ret;
	for (j = 0; j < probe_cnt && strcmp(probe_table[j]->name, name); j++)
		;
	if (j == probe_cnt) {
		size_t l = strlen(r->unknown);

		snprintf(r->unknown + l, sizeof(r->unknown) - l, "%s%s", l ? ", " : "", name);
		return 0;
	}
	c = &r->cells[j];
	if (c->word)
		return msg_set(err, len, -EINVAL, "%s: probe '%s' twice", path, name);
	if (!usable && !optional && !r->missing)
		r->missing = probe_table[j]->name;
	c->ok = usable;
	c->detail = r->details[j];
	if (usable) {
		c->word = "ok";
		return 0;
	}
	if (strcmp(load, "ok")) {
		c->word = reason ? reason : R_LOAD_FAILED;
		snprintf(r->details[j], sizeof(r->details[j]), "%s", detail);
		return 0;
	}
	c->word = NULL;
	for (k = 0; k < progs->len; k++) {
		const struct json_value *g = &progs->items[k];
		const char *gname, *attach, *greason, *gdetail;

		snprintf(pp, sizeof(pp), "%s.programs[%zu]", path, k);
		if (g->type != JSON_OBJECT)
			return msg_set(err, len, -EINVAL, "%s: %s, expected object", pp,
				       json_type_name(g->type));
		ret = member_str(g, pp, "name", TEXT_MAX, false, false, &gname, err, len);
		ret = ret ?: member_str(g, pp, "attach", WORD_MAX, true, false, &attach, err, len);
		ret = ret ?: member_str(g, pp, "reason", WORD_MAX, true, true, &greason, err, len);
		ret = ret ?: member_str(g, pp, "detail", TEXT_MAX, false, false, &gdetail, err, len);
		if (ret)
			return ret;
		if (!strcmp(attach, "ok") || c->word)
			continue;
		c->word = greason ? greason : R_ATTACH_FAILED;
		snprintf(r->details[j], sizeof(r->details[j]), "%s: %s", gname, gdetail);
	}
	if (!c->word)
		c->word = "not-usable";	/* loaded, attachable: check says no */
	return 0;
}

/* The steps auto skipped, as run's summary names them: MODE/SOURCE:REASON */
static int read_modes(const struct json_value *doc, struct report *r, char *err, size_t len)
{
	const struct json_value *modes;
	size_t i, at_ = 0;
	char path[32];
	int ret;

	ret = member(doc, "", "modes", JSON_ARRAY, false, &modes, err, len);
	for (i = 0; !ret && i < modes->len; i++) {
		const struct json_value *m = &modes->items[i];
		const char *mode, *source, *reason;
		int ok;

		snprintf(path, sizeof(path), "modes[%zu]", i);
		if (m->type != JSON_OBJECT)
			return msg_set(err, len, -EINVAL, "%s: %s, expected object", path,
				       json_type_name(m->type));
		ret = member_str(m, path, "mode", WORD_MAX, true, false, &mode, err, len);
		ret = ret ?: member_str(m, path, "source", WORD_MAX, true, true, &source, err, len);
		ret = ret ?: member_bool(m, path, "ok", false, &ok, err, len);
		ret = ret ?: member_str(m, path, "reason", WORD_MAX, true, false, &reason, err, len);
		if (!ret && !ok)
			msg_add(r->skipped, sizeof(r->skipped), &at_, "%s%s%s%s:%s",
				at_ ? " " : "", mode, source ? "/" : "", source ? source : "", reason);
	}
	r->vals[C_SKIPPED] = r->skipped;
	return ret;
}

static int read_report(const struct json_value *doc, struct report *r, char *err, size_t len)
{
	const struct json_value *v, *probes, *pre;
	int ringbuf, ok = 0, ret;
	char path[32];
	size_t i;

	ret = member_str(doc, "", "bpfport_version", WORD_MAX, false, false,
			 &r->vals[C_VERSION], err, len);
	ret = ret ?: read_system(doc, r, err, len);
	ret = ret ?: member(doc, "", "features", JSON_OBJECT, false, &v, err, len);
	ret = ret ?: member_bool(v, "features", "ringbuf", true, &ringbuf, err, len);
	if (ret)
		return ret;
	r->vals[C_RINGBUF] = ringbuf < 0 ? NULL : ringbuf ? "yes" : "no";
	fleet_note(r->note, sizeof(r->note), r->vals[C_ARCH], ringbuf == 0);
	ret = member(doc, "", "probes", JSON_ARRAY, false, &probes, err, len);
	for (i = 0; !ret && i < probes->len; i++) {
		snprintf(path, sizeof(path), "probes[%zu]", i);
		if (probes->items[i].type != JSON_OBJECT)
			return msg_set(err, len, -EINVAL, "%s: %s, expected object", path,
				       json_type_name(probes->items[i].type));
		ret = read_probe(&probes->items[i], path, r, err, len);
	}
	ret = ret ?: read_modes(doc, r, err, len);
	ret = ret ?: member(doc, "", "verdict", JSON_OBJECT, false, &v, err, len);
	ret = ret ?: member_bool(v, "verdict", "ok", false, &ok, err, len);
	ret = ret ?: member_str(v, "verdict", "auto_mode", WORD_MAX, true, false,
				&r->vals[C_MODE], err, len);
	ret = ret ?: member_str(v, "verdict", "reason", WORD_MAX, true, false,
				&r->vals[C_REASON], err, len);
	ret = ret ?: member_str(v, "verdict", "detail", TEXT_MAX, false, false,
				&r->vals[C_DETAIL], err, len);
	ret = ret ?: member(doc, "", "preflight", JSON_OBJECT, true, &pre, err, len);
	if (!ret && pre)
		ret = member_str(pre, "preflight", "btf", TEXT_MAX, false, false,
				 &r->preflight, err, len);
	if (!ret && ok && r->missing)
		return msg_set(err, len, -EINVAL, "verdict.ok is true, but the required probe "
			       "%s is not usable", r->missing);
	r->ok = ok == 1;
	return ret;
}

/* ---- rows ---- */

/* Text: what the table's row has no column for, one line each. */
static size_t report_lines(struct report *r, const char **lines)
{
	size_t n = 0;

	if (r->skipped[0])
		snprintf(r->lines[n++], sizeof(r->lines[0]), "skipped: %s", r->skipped);
	if (r->vals[C_DETAIL][0])
		snprintf(r->lines[n++], sizeof(r->lines[0]), "%s: %s", r->vals[C_REASON],
			 r->vals[C_DETAIL]);
	if (r->preflight)
		snprintf(r->lines[n++], sizeof(r->lines[0]),
			 "a preflight (check --btf %s): the verdict is that kernel's", r->preflight);
	if (r->unknown[0])
		snprintf(r->lines[n++], sizeof(r->lines[0]),
			 "probes this bpfport does not know: %s", r->unknown);
	for (size_t i = 0; i < n; i++)
		lines[i] = r->lines[i];
	return n;
}

/* The row of one document, or the row that says why it is not a report. */
static void report_row(struct fleet_table *t, const char *key, const struct json_value *doc)
{
	struct report *r = calloc(1, sizeof(*r));
	struct fleet_row row = { .vals = &key };
	const char *lines[ARRAY_SIZE(r->lines)];
	char err[512];
	const char *e;

	if (!r) {
		row.error = "out of memory";
		fleet_table_row(t, &row);
		return;
	}
	e = json_str(json_get(doc, "error"));
	if (e && !json_get(doc, "bpfport_version")) {
		/* check's own {"error": ...} */
		snprintf(err, sizeof(err), "check failed: %s", e);
		row.error = err;
	} else if (!json_get(doc, "bpfport_version")) {
		row.error = "not a check --json document (no bpfport_version)";
	} else if (read_report(doc, r, err, sizeof(err))) {
		row.error = err;
	} else {
		r->vals[C_REPORT] = key;
		row.vals = r->vals;
		memcpy(row.cells, r->cells, sizeof(row.cells));
		row.ok = r->ok;
		row.note = r->note;
		row.lines = lines;
		row.line_cnt = report_lines(r, lines);
	}
	fleet_table_row(t, &row);
	free(r);
}

/* A file of JSON lines (collected logs: events, messages, reports, each
 * maybe after a prefix such as a CRI log's "TIME stdout F "): a row per
 * line that holds a report. Returns the number of rows. */
static size_t lines_rows(struct fleet_table *t, const struct fleet_file *f,
			 const char *text, size_t size)
{
	const char *line = text, *end = text + size;
	size_t lineno = 0, rows = 0;

	for (; line < end; line = line + strcspn(line, "\n") + 1) {
		size_t n = strcspn(line, "\n");
		const char *brace = memchr(line, '{', n);
		struct json_value *doc;
		char key[1100];

		lineno++;
		if (!brace || (size_t)(line + n - brace) > REPORT_MAX ||
		    json_parse(brace, line + n - brace, &doc, NULL, 0))
			continue;
		if (json_get(doc, "bpfport_version")) {
			snprintf(key, sizeof(key), "%s:%zu", f->rel, lineno);
			report_row(t, key, doc);
			rows++;
		}
		json_free(doc);
	}
	return rows;
}

/* One file: one document (check --json, --pretty), else JSON lines. */
static void file_rows(struct fleet_table *t, const struct fleet_file *f)
{
	struct fleet_row row = { .vals = (const char *const[]){ f->rel } };
	struct json_value *doc = NULL;
	char err[512];
	void *data;
	size_t size;
	int ret;

	ret = fsio_read_file(f->path, REPORTS_FILE_MAX, &data, &size);
	if (ret) {
		snprintf(err, sizeof(err), "cannot read it: %s", strerror(-ret));
		row.error = err;
		fleet_table_row(t, &row);
		return;
	}
	if (size > REPORT_MAX)
		snprintf(err, sizeof(err), "no check --json document in it (read as JSON lines:"
			 " it is more than %u bytes)", REPORT_MAX);
	else if (!json_parse(data, size, &doc, err, sizeof(err)))
		report_row(t, f->rel, doc);
	if (!doc && !lines_rows(t, f, data, size)) {
		row.error = err;
		fleet_table_row(t, &row);
	}
	json_free(doc);
	free(data);
}

static bool is_report_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 5 && !strcmp(n + l - 5, ".json")) ||
	       (l > 6 && !strcmp(n + l - 6, ".jsonl"));
}

int fleet_reports(const char *path, struct fleet_table *t, char *err, size_t errlen)
{
	struct fleet_file *files = NULL;
	size_t n = 0, i;
	struct stat st;
	int ret;

	if (stat(path, &st))
		return msg_set(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		ret = fleet_walk(path, is_report_name, &files, &n);
		if (ret)
			return msg_set(err, errlen, ret, "%s: %s", path, strerror(-ret));
		if (!n) {
			free(files);
			return msg_set(err, errlen, -ENOENT, "%s: no *.json or *.jsonl file in it "
				       "(check --json reports)", path);
		}
	} else if (!S_ISREG(st.st_mode)) {
		return msg_set(err, errlen, -EINVAL, "%s: neither a directory nor a file", path);
	} else {
		files = calloc(1, sizeof(*files));
		if (!files)
			return msg_set(err, errlen, -ENOMEM, "out of memory");
		n = 1;
		snprintf(files->rel, sizeof(files->rel), "%s", path);
		snprintf(files->path, sizeof(files->path), "%s", path);
	}
	t->rows_key = "hosts";
	t->cols = report_cols;
	t->col_cnt = C_CNT;
	t->count_col = C_MODE;
	fleet_table_begin(t);
	for (i = 0; i < n; i++)
		file_rows(t, &files[i]);
	free(files);
	return fleet_table_end(t) ? 0 : 1;
}
