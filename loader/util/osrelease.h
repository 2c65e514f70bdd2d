/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * os-release(5): the one parser, for check's distro line, the btfhub
 * lookup key and the kernel-headers package hint. Each takes the fields
 * only from a file this reader accepts: check shows the error otherwise,
 * the lookup fails with it, the hint names no distribution.
 *
 * The rules:
 *  - lines are KEY=value; blanks before KEY are skipped; a line starting
 *    with '#' or without '=' is skipped; no line length limit;
 *  - a value is "..." (backslash escapes the next character), '...'
 *    (literal) or bare (trailing blanks and CR dropped); text after the
 *    closing quote is ignored; the last line of a key wins;
 *  - ID and VERSION_ID name archive paths: one longer than its field
 *    (63 bytes) is an error (-ENAMETOOLONG), never cut to fit; NAME,
 *    PRETTY_NAME and ID_LIKE only describe, and are cut to fit;
 *  - ID is required: a file without ID= (or with ID= empty) is not taken
 *    for an os-release (-ENOENT). os-release(5) lets readers assume
 *    "linux" then, but a file that names no distribution is far more
 *    likely the wrong file (a mistyped --os-release) than a distribution;
 *  - VERSION_ID may be absent (empty);
 *  - the file is at most 64 KiB (-EFBIG).
 */
#ifndef BPFPORT_UTIL_OSRELEASE_H
#define BPFPORT_UTIL_OSRELEASE_H

#include <stddef.h>

#define OS_RELEASE_MAX	(64u << 10)

struct os_release {
	char id[64];		/* "debian" */
	char version_id[64];	/* "12"; "" when absent */
	char name[128];
	char pretty_name[256];
	char id_like[128];	/* "rhel fedora" */
};

/*
 * Parses os-release text into @out (zeroed first). Returns 0, -ENOENT (no
 * ID) or -ENAMETOOLONG (ID or VERSION_ID too long; that field is left
 * empty). The other fields are filled whatever it returns.
 */
int os_release_parse(const char *text, struct os_release *out);

/*
 * Reads and parses the os-release at @path; NULL: the host's, below
 * $BPFPORT_SYSROOT when that is set (fsio_sysroot()): /etc/os-release, or
 * when that is missing or unusable /usr/lib/os-release (os-release(5)),
 * so that check, the btfhub key and the headers package hint all read the
 * same file. Returns
 * what os_release_parse() returns, -EFBIG, or the errno of reading; err
 * then names the file and the cause.
 */
int os_release_read(const char *path, struct os_release *out, char *err,
		    size_t errlen);

/* As os_release_read(NULL, ...) with both files taken below @root (a
 * sysroot; "" is the host). */
int os_release_read_root(const char *root, struct os_release *out, char *err,
			 size_t errlen);

#endif /* BPFPORT_UTIL_OSRELEASE_H */
