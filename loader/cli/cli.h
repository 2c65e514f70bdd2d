/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_CLI_H
#define BPFPORT_CLI_H

#include <stdbool.h>

#define BPFPORT_VERSION "0.1.0"

extern bool cli_verbose;
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_print(enum bpfport_print_level level, const char *fmt, va_list ap);

int do_run(int argc, char **argv);
int do_check(int argc, char **argv);

#endif
