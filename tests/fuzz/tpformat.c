// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tracepoint records from a tracefs format file (runtime-compiler/mode/
 * tpformat.c), whose output is compiled into the probes: any input gets
 * -EINVAL with a one-line message, or C made only of the shapes the
 * generator writes, with nothing of the file in it but identifiers and
 * numbers: no comment but the first line's, no string but the static
 * assertions' messages, one struct, no control character.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "tpformat.h"

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 ? *s != '\t' : (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

static void check_c(char *c)
{
	char *line, *save = NULL;
	size_t i = 0;

	FUZZ_CHECK(count(c, "/*") == 1 && count(c, "*/") == 1 && !strstr(c, "//"));
	FUZZ_CHECK(count(c, "{") == 1 && count(c, "}") == 1);
	for (line = strtok_r(c, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		FUZZ_CHECK(printable(line));
		if (i == 0)
			FUZZ_CHECK(!strncmp(line, "/* cat:ev (ID ", 14) &&
				   !strcmp(line + strlen(line) - 3, " */"));
		else if (i == 1)
			FUZZ_CHECK(!strcmp(line, "struct s {"));
		else if (line[0] == '\t')
			FUZZ_CHECK(!strchr(line, '"') && !strchr(line, '#') &&
				   line[strlen(line) - 1] == ';');
		else if (!strcmp(line, "};"))
			;
		else if (!strncmp(line, "_Static_assert(", 15))
			FUZZ_CHECK(count(line, "\"") == 2 && !strcmp(line + strlen(line) - 3, "\");"));
		else
			FUZZ_CHECK(!strncmp(line, "#define BPFPORT_TP_", 19) &&
				   !strcmp(line + strlen(line) - 2, " 1") && !strchr(line, '"'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *c = NULL, err[512] = "";
	int ret;

	text = malloc(size + 1);
	FUZZ_CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	ret = tpformat_struct_text("fuzz/format", text, "cat", "ev", "s", &c, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL && !c);
		FUZZ_CHECK_MSG(err);
	} else {
		FUZZ_CHECK(c);
		check_c(c);
		free(c);
	}
	free(text);
	return 0;
}
