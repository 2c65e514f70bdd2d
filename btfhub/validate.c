// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel BTF is validated here before libbpf sees any of it. libbpf 1.1's
 * btf__new() checks the section lengths and little more: a member whose
 * type id is past the last type, or a name offset past the strings, gets
 * through and crashes it later (skip_mods_and_typedefs() during CO-RE
 * relocation), and a typedef naming itself makes it loop forever. So every
 * rule libbpf relies on is checked here, whatever its version: the header,
 * each type's length, every type id and string offset, and that no type
 * contains itself. The layout is the kernel's (include/uapi/linux/btf.h).
 * The data may be at any alignment: every field is read with memcpy.
 */
#include <errno.h>
#include <linux/btf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btfhub_internal.h"

struct view {
	const char *name;	/* for messages */
	char *err;
	size_t errlen;
	const unsigned char *types;	/* the type section */
	const unsigned char *strs;	/* the string section */
	uint32_t str_len;
	uint32_t nr;		/* types; ids 1..nr, 0 is void */
	uint32_t *off;		/* off[id - 1]: where type id starts in types */
};

/* What a type refers to: one type id, and what holds it (for messages). */
struct ref {
	uint32_t id;
	const char *what;	/* "member", "element type", ...; NULL: the type */
	int idx;		/* which member, parameter, ...; -1: only one */
	bool by_value;		/* the type contains it (a pointer does not) */
};

static uint32_t u32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static const char *kind_name(unsigned int kind)
{
	static const char *const names[] = {
		[BTF_KIND_INT] = "int", [BTF_KIND_PTR] = "ptr", [BTF_KIND_ARRAY] = "array",
		[BTF_KIND_STRUCT] = "struct", [BTF_KIND_UNION] = "union",
		[BTF_KIND_ENUM] = "enum", [BTF_KIND_FWD] = "fwd",
		[BTF_KIND_TYPEDEF] = "typedef", [BTF_KIND_VOLATILE] = "volatile",
		[BTF_KIND_CONST] = "const", [BTF_KIND_RESTRICT] = "restrict",
		[BTF_KIND_FUNC] = "func", [BTF_KIND_FUNC_PROTO] = "func_proto",
		[BTF_KIND_VAR] = "var", [BTF_KIND_DATASEC] = "datasec",
		[BTF_KIND_FLOAT] = "float", [BTF_KIND_DECL_TAG] = "decl_tag",
		[BTF_KIND_TYPE_TAG] = "type_tag", [BTF_KIND_ENUM64] = "enum64",
	};

	return kind < sizeof(names) / sizeof(*names) && names[kind] ? names[kind] : "?";
}

/* The bytes after struct btf_type for @kind with @vlen entries; -1 for a
 * kind this code does not know (0, BTF_KIND_UNKN, included). */
static long kind_extra(unsigned int kind, unsigned int vlen)
{
	switch (kind) {
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_INT:
		return sizeof(uint32_t);
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	default:
		return -1;
	}
}

static const unsigned char *type_at(const struct view *v, uint32_t id)
{
	return v->types + v->off[id - 1];
}

static unsigned int type_kind(const unsigned char *t)
{
	return BTF_INFO_KIND(u32_at(t + offsetof(struct btf_type, info)));
}

static unsigned int type_vlen(const unsigned char *t)
{
	return BTF_INFO_VLEN(u32_at(t + offsetof(struct btf_type, info)));
}

/* The @k-th type id that type @t refers to; false past the last. */
static bool type_ref(const unsigned char *t, uint32_t k, struct ref *r)
{
	const unsigned char *x = t + sizeof(struct btf_type);
	unsigned int kind = type_kind(t), vlen = type_vlen(t);

	r->what = NULL;
	r->idx = (int)k;
	r->by_value = true;
	switch (kind) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
	case BTF_KIND_PTR:
	case BTF_KIND_FUNC:
	case BTF_KIND_DECL_TAG:
		if (k)
			return false;
		r->id = u32_at(t + offsetof(struct btf_type, type));
		/* a pointer, a function's signature, a tag's target are
		 * not inside the type */
		r->by_value = kind != BTF_KIND_PTR && kind != BTF_KIND_FUNC &&
			      kind != BTF_KIND_DECL_TAG;
		return true;
	case BTF_KIND_ARRAY:
		if (k > 1)
			return false;
		r->what = k ? "index type" : "element type";
		r->idx = -1;
		r->id = u32_at(x + (k ? offsetof(struct btf_array, index_type)
				      : offsetof(struct btf_array, type)));
		return true;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (k >= vlen)
			return false;
		r->what = "member";
		r->id = u32_at(x + k * sizeof(struct btf_member) +
			       offsetof(struct btf_member, type));
		return true;
	case BTF_KIND_DATASEC:
		if (k >= vlen)
			return false;
		r->what = "variable";
		r->id = u32_at(x + k * sizeof(struct btf_var_secinfo) +
			       offsetof(struct btf_var_secinfo, type));
		return true;
	case BTF_KIND_FUNC_PROTO:
		if (k > vlen)
			return false;
		r->by_value = false;
		r->what = k ? "parameter" : NULL;	/* NULL: its return type */
		r->idx = (int)k - 1;
		r->id = k ? u32_at(x + (k - 1) * sizeof(struct btf_param) +
				   offsetof(struct btf_param, type))
			  : u32_at(t + offsetof(struct btf_type, type));
		return true;
	default:
		return false;
	}
}

/* The @k-th string offset that type @t holds besides its name (members',
 * enumerators', parameters' names); false past the last. */
static bool type_name_ref(const unsigned char *t, uint32_t k, uint32_t *off,
			  const char **what)
{
	const unsigned char *x = t + sizeof(struct btf_type);
	unsigned int vlen = type_vlen(t);
	size_t stride;

	switch (type_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		*what = "member";
		stride = sizeof(struct btf_member);
		break;
	case BTF_KIND_ENUM:
		*what = "enumerator";
		stride = sizeof(struct btf_enum);
		break;
	case BTF_KIND_ENUM64:
		*what = "enumerator";
		stride = sizeof(struct btf_enum64);
		break;
	case BTF_KIND_FUNC_PROTO:
		*what = "parameter";
		stride = sizeof(struct btf_param);
		break;
	default:
		return false;
	}
	if (k >= vlen)
		return false;
	/* name_off is the first field of each of these */
	*off = u32_at(x + k * stride);
	return true;
}

static int invalid(const struct view *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int invalid(const struct view *v, const char *fmt, ...)
{
	char cause[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	return msg_set(v->err, v->errlen, -EBADMSG, "%s: invalid BTF: %s: corrupt or "
		       "crafted, fetch it again", v->name, cause);
}

/* Each type's length, in order: fills v->off and v->nr. */
static int walk_types(struct view *v, uint32_t len)
{
	uint32_t pos = 0, cap = len / sizeof(struct btf_type);

	v->off = malloc((cap ? cap : 1) * sizeof(*v->off));
	if (!v->off)
		return msg_set(v->err, v->errlen, -ENOMEM, "out of memory");
	while (pos < len) {
		const unsigned char *t = v->types + pos;
		uint32_t id = v->nr + 1;
		long extra;

		if (len - pos < sizeof(struct btf_type))
			return invalid(v, "type %u is cut off: %u bytes left in the type "
				       "section", id, len - pos);
		extra = kind_extra(type_kind(t), type_vlen(t));
		if (extra < 0)
			return invalid(v, "type %u has unknown kind %u", id, type_kind(t));
		if ((uint64_t)sizeof(struct btf_type) + extra > len - pos)
			return invalid(v, "type %u (%s with %u entries) needs %zu bytes, %u "
				       "are left in the type section", id, kind_name(type_kind(t)),
				       type_vlen(t), sizeof(struct btf_type) + (size_t)extra,
				       len - pos);
		v->off[v->nr++] = pos;
		pos += sizeof(struct btf_type) + (uint32_t)extra;
	}
	return 0;
}

static int check_name(const struct view *v, uint32_t id, const char *what,
		      uint32_t idx, uint32_t off)
{
	if (off < v->str_len)
		return 0;
	if (what)
		return invalid(v, "%s %u of type %u: name offset %u is beyond the %u-byte "
			       "string section", what, idx, id, off, v->str_len);
	return invalid(v, "type %u: name offset %u is beyond the %u-byte string section",
		       id, off, v->str_len);
}

/* Every string offset and type id of every type is in range. */
static int check_refs(const struct view *v)
{
	uint32_t id, k, off;
	const char *what;
	struct ref r;
	int ret;

	for (id = 1; id <= v->nr; id++) {
		const unsigned char *t = type_at(v, id);
		const char *kind = kind_name(type_kind(t));

		ret = check_name(v, id, NULL, 0, u32_at(t + offsetof(struct btf_type, name_off)));
		for (k = 0; !ret && type_name_ref(t, k, &off, &what); k++)
			ret = check_name(v, id, what, k, off);
		if (ret)
			return ret;
		for (k = 0; type_ref(t, k, &r); k++) {
			if (r.id <= v->nr)
				continue;
			if (r.what && r.idx < 0)
				return invalid(v, "the %s of type %u (%s) refers to type %u, "
					       "beyond the %u types", r.what, id, kind, r.id, v->nr);
			if (r.what)
				return invalid(v, "%s %d of type %u (%s) refers to type %u, "
					       "beyond the %u types", r.what, r.idx, id, kind,
					       r.id, v->nr);
			return invalid(v, "type %u (%s) refers to type %u, beyond the %u types",
				       id, kind, r.id, v->nr);
		}
	}
	return 0;
}

/* No type contains itself: a depth-first walk of the by-value references
 * (a pointer may refer back, a member or a typedef may not), on a stack
 * of its own, so that a deep chain cannot exhaust the C stack. */
static int check_loops(const struct view *v)
{
	enum { NEW, OPEN, DONE };
	struct frame {
		uint32_t id, next;	/* the type, its next reference to follow */
	} *stack;
	unsigned char *state;
	uint32_t root, sp;
	int ret = 0;

	state = calloc(v->nr + 1, 1);
	stack = malloc((v->nr + 1) * sizeof(*stack));
	if (!state || !stack) {
		ret = msg_set(v->err, v->errlen, -ENOMEM, "out of memory");
		goto out;
	}
	for (root = 1; root <= v->nr && !ret; root++) {
		if (state[root] != NEW)
			continue;
		state[root] = OPEN;
		stack[0] = (struct frame){ root, 0 };
		sp = 1;
		while (sp && !ret) {
			struct frame *f = &stack[sp - 1];
			struct ref r;

			if (!type_ref(type_at(v, f->id), f->next++, &r)) {
				state[f->id] = DONE;
				sp--;
			} else if (!r.by_value || !r.id || state[r.id] == DONE) {
				continue;
			} else if (state[r.id] == OPEN) {
				ret = invalid(v, "type %u (%s) contains itself (through type "
					      "%u): only a pointer may refer back", r.id,
					      kind_name(type_kind(type_at(v, r.id))), f->id);
			} else {
				state[r.id] = OPEN;
				stack[sp++] = (struct frame){ r.id, 0 };
			}
		}
	}
out:
	free(state);
	free(stack);
	return ret;
}

int btfhub_btf_validate(const void *data, size_t n, const char *name, char *err,
			size_t errlen)
{
	const unsigned char *d = data;
	struct view v = { .name = name ? name : "BTF", .err = err, .errlen = errlen };
	struct btf_header h;
	int ret;

	if (!d && n)
		return fail(-EINVAL, "btfhub_btf_validate: NULL data");
	if (n == 0)
		return fail(-ENOEXEC, "%s: empty (0 bytes), not BTF: use the kernel's "
			    "vmlinux BTF or its btfhub .btf.tar.xz", v.name);
	if (n < sizeof(h))
		return fail(-ENOEXEC, "%s: %zu bytes, too short for BTF: use the "
			    "kernel's vmlinux BTF", v.name, n);
	memcpy(&h, d, sizeof(h));
	if (h.magic == __builtin_bswap16(BTF_MAGIC))
		return fail(-ENOEXEC, "%s: BTF of the other byte order (a kernel of "
			    "another architecture): use the BTF of this host's arch", v.name);
	if (h.magic != BTF_MAGIC)
		return fail(-ENOEXEC, "%s: not BTF (starts %02x %02x, BTF starts 9f eb): "
			    "use a .btf or .btf.tar.xz from btfhub-archive", v.name, d[0], d[1]);
	if (h.version != BTF_VERSION)
		return fail(-ENOEXEC, "%s: BTF version %u, only %u is known: use a "
			    "BTF made by pahole/bpftool", v.name, h.version, BTF_VERSION);
	if (h.hdr_len < sizeof(h) || h.hdr_len > n)
		return fail(-EBADMSG, "%s: BTF header length %u does not fit the %zu-byte "
			    "file: corrupt or truncated, fetch it again", v.name, h.hdr_len, n);
	/* libbpf reads the types in place, after the header */
	if (h.hdr_len % 4)
		return invalid(&v, "the header is %u bytes long, not a multiple of 4",
			       h.hdr_len);
	if ((uint64_t)h.hdr_len + h.type_off + h.type_len > n ||
	    (uint64_t)h.hdr_len + h.str_off + h.str_len > n)
		return fail(-EBADMSG, "%s: BTF sections (types %u+%u, strings %u+%u bytes) "
			    "end past the %zu-byte file: truncated or corrupt, fetch it again",
			    v.name, h.type_off, h.type_len, h.str_off, h.str_len, n);
	/* the order libbpf and the kernel expect: types, then strings */
	if ((uint64_t)h.type_off + h.type_len > h.str_off)
		return invalid(&v, "the type section (%u+%u bytes) overlaps or follows the "
			       "string section at %u", h.type_off, h.type_len, h.str_off);
	if (h.type_off % 4)
		return invalid(&v, "the type section starts at %u, not a multiple of 4",
			       h.type_off);
	v.types = d + h.hdr_len + h.type_off;
	v.strs = d + h.hdr_len + h.str_off;
	v.str_len = h.str_len;
	/* then every offset below str_len names a NUL-terminated string */
	if (!v.str_len || v.strs[0] || v.strs[v.str_len - 1])
		return invalid(&v, "the string section (%u bytes) does not start and end "
			       "with a NUL byte", v.str_len);
	ret = walk_types(&v, h.type_len);
	if (!ret)
		ret = check_refs(&v);
	if (!ret)
		ret = check_loops(&v);
	free(v.off);
	return ret;
}
