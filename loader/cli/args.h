/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line parsing of the bpfport CLI, separate so it is unit tested. */
#ifndef BPFPORT_CLI_ARGS_H
#define BPFPORT_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include <bpfport/bpfport.h>

#define ARGS_OK 0
#define ARGS_HELP 1		/* --help given: print usage, exit 0 */
#define ARGS_ERROR 2		/* message in err: exit 2 */

/* BTF sources, shared by run and check */
struct btf_args {
	const char *btf;		/* --btf FILE */
	const char *btf_archive;	/* --btf-archive DIR */
	const char *os_release;		/* --os-release FILE */
	bool hide_native_btf;		/* --hide-native-btf */
	const char *kernel_headers;	/* --kernel-headers DIR (runtime) */
	const char *cache_dir;		/* --cache-dir DIR (runtime) */
};

struct run_args {
	const char *probes;		/* NULL: all */
	struct btf_args btf;
	enum bpfport_mode mode;
	enum bpfport_output output;
	enum bpfport_format format;
	double duration;		/* seconds, < 0: until a signal */
	const char *ready_file;		/* --ready-file PATH: NULL, none */
	size_t buffer_size;		/* --buffer-size SIZE; 0: the default */
	unsigned int flush_interval_ms;	/* --flush-interval MS; 0: the default */
	bool verbose;
};

struct check_args {
	const char *probes;
	struct btf_args btf;
	enum bpfport_mode mode;
	bool json;
	bool pretty;
	bool verbose;
};

/* Seconds: a non-negative decimal ("10", "0.5"), at most 30 days. */
int parse_duration(const char *s, double *out);
int parse_mode(const char *s, enum bpfport_mode *out);
int parse_output(const char *s, enum bpfport_output *out);
int parse_format(const char *s, enum bpfport_format *out);
/* Bytes: digits and an optional binary suffix K, M or G ("4M", "65536"),
 * at most 1 TiB. */
int parse_size(const char *s, size_t *out);

/* argv[0] is the subcommand name. */
int run_args_parse(int argc, char **argv, struct run_args *a, char *err,
		   size_t len);
int check_args_parse(int argc, char **argv, struct check_args *a, char *err,
		     size_t len);

struct fleet_args {
	const char *dir;		/* a btfhub-archive tree */
	const char *reports;		/* --reports DIR: check --json of hosts */
	const char *probes;
	bool json;
	bool csv;
	bool verbose;
};

int fleet_args_parse(int argc, char **argv, struct fleet_args *a, char *err,
		     size_t len);

struct compile_args {
	const char *kernel_headers;
	const char *probes;
	const char *cache_dir;
	const char *out;		/* -o, required */
	bool json;			/* one JSON array of the objects written */
	bool verbose;
};

int compile_args_parse(int argc, char **argv, struct compile_args *a, char *err,
		       size_t len);

/* bpfport btf list [--json] | extract [-o FILE] [--os-release FILE]
 * bpfport cache list [--json] | clear [--cache-dir DIR] */
struct sub_args {
	const char *sub;		/* "list", "extract", "clear" */
	bool json;			/* list --json */
	const char *out;		/* btf extract -o */
	const char *os_release;		/* btf extract --os-release */
	const char *cache_dir;		/* cache --cache-dir */
};

int btf_args_parse(int argc, char **argv, struct sub_args *a, char *err,
		   size_t len);
int cache_args_parse(int argc, char **argv, struct sub_args *a, char *err,
		     size_t len);

extern const char btf_usage[];
extern const char cache_usage[];
extern const char compile_usage[];
extern const char fleet_usage[];
void run_usage_print(FILE *out);	/* names the probes of the table */
extern const char check_usage[];

/* Every subcommand and option of the commands above, one a line, from the
 * parsers' own tables: "btf list", "run --probes -p ARG" (ARG: it takes a
 * value), "compile --verbose -v". bpfport help --options prints them; the
 * man page and the shell completion are tested against them. */
void args_options_print(FILE *out);

#endif
