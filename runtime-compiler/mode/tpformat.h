/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tracepoint record structs from tracefs format files, for the runtime
 * build (kernel headers have no trace_event_raw_*).
 */
#ifndef BPFPORT_TPFORMAT_H
#define BPFPORT_TPFORMAT_H

#include <stddef.h>

/*
 * Reads <tracefs>/events/<category>/<event>/format and writes into
 * *c_text (malloc'ed; free it) a C definition of struct <struct_name>
 * with every field at the kernel's offset:
 *  - the common header flattened (common_type, common_pid, ...);
 *  - scalars by size and signedness (the declared type names are not
 *    reliable: syscalls' "int dfd" is 8 bytes), arrays by element size,
 *    pointers as declared when the type is plain C, else const void *;
 *  - "__data_loc char[] name" as unsigned int __data_loc_name (low 16
 *    bits: offset of the data in the record, high 16: its length);
 *  - gaps as char __pad_<offset>[n]; a field the compiler would align
 *    elsewhere gets __attribute__((packed)).
 * Then _Static_assert()s of each field's offset and size, and
 *   #define BPFPORT_TP_HAS_<event>_<field> 1      for every field,
 *   #define BPFPORT_TP_DATALOC_<event>_<field> 1  for __data_loc fields,
 * so BPF code can test at compile time for an optional field or a
 * changed layout. The text needs no header: only builtin C types. Of the
 * file, only field names (C identifiers, not keywords), struct tags of
 * plain pointers and numbers reach it: an ID that is not a number, or a
 * name that is not an identifier, refuses the file.
 * Returns 0, -ENOENT (no such event: err names the path), -EINVAL
 * (a format the parser does not understand: err says which line), or
 * -errno.
 */
int tpformat_struct(const char *tracefs, const char *category,
		    const char *event, const char *struct_name, char **c_text,
		    char *err, size_t errlen);

/* The same from the format file's @text (NUL-terminated; parsed in place,
 * so it is changed); @path only names it in messages. */
int tpformat_struct_text(const char *path, char *text, const char *category,
			 const char *event, const char *struct_name, char **c_text,
			 char *err, size_t errlen);

#endif /* BPFPORT_TPFORMAT_H */
