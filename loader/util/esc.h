/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one escaping of text that comes from outside (file and tar member
 * names, os-release strings, kernel strings, messages naming them) for
 * every output: JSON strings, text lines, log lines, CSV fields.
 *
 * The rules, the same for each output:
 *  - a control character never passes raw: \n \r \t \b \f as such, the
 *    other C0 ones, DEL and the C1 ones (U+0080-U+009F, which terminals
 *    take for ESC sequences too) as \u00XX; so one entry stays one line
 *    and no escape sequence reaches a terminal;
 *  - a backslash is doubled, so an escape and the same characters in the
 *    text never look alike;
 *  - valid UTF-8 passes; a byte that is not part of one (RFC 3629: no
 *    overlongs, no surrogates, nothing past U+10FFFF) becomes \ufffd;
 *  - the text stops at its first NUL.
 * Only the double quote depends on the output (enum esc_quote).
 */
#ifndef BPFPORT_UTIL_ESC_H
#define BPFPORT_UTIL_ESC_H

#include <stddef.h>

enum esc_quote {
	ESC_TEXT,	/* " as it is: a text line or log line */
	ESC_JSON,	/* " as \": the body of a JSON string */
	ESC_CSV,	/* " as "": the body of a quoted CSV field (RFC 4180) */
};

/*
 * Escapes @s (up to @len bytes or its first NUL) into @buf (@size bytes,
 * NUL-terminated, cut to fit). Returns the length the escaped text needs
 * (like snprintf): it did not fit when that is >= @size. An escape grows
 * a byte to at most 6.
 */
size_t esc_str(char *buf, size_t size, const char *s, size_t len,
	       enum esc_quote quote);

#endif /* BPFPORT_UTIL_ESC_H */
