// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event decoder (loader/src/probes.c event_validate(), the probes'
 * printers, the JSON writer), through the public bpfport_event__fprint()
 * as the loader calls it for every record the kernel sends. The first
 * input byte chooses: bit 0 set, the rest is a record of one of the
 * probes' event types, of its right size, its fields from the input
 * (any layout change keeps these inputs meaningful); clear, the rest is
 * the record as it is. Bit 1 puts it 4 bytes off alignment, as a perf
 * buffer sample is. A record is printed in JSON and text, or refused
 * with -EINVAL by both; what is printed is one line of valid UTF-8
 * without control characters, the JSON one flat object.
 */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "internal.h"

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s != '"') {
		if (!*s)
			return NULL;
		if (*s++ != '\\')
			continue;
		if (*s == 'u') {
			if (strspn(s + 1, "0123456789abcdefABCDEF") < 4)
				return NULL;
			s += 5;
		} else if (*s && strchr("\"\\/bfnrt", *s)) {
			s++;
		} else {
			return NULL;
		}
	}
	return s + 1;
}

/* {"key":value,...} with string and integer values, and nothing after */
static bool json_flat_object(const char *s)
{
	if (*s++ != '{')
		return false;
	for (;;) {
		if (!(s = json_string(s)) || *s++ != ':')
			return false;
		if (*s == '"') {
			s = json_string(s);
		} else {
			const char *d = s + (*s == '-');

			if (!strspn(d, "0123456789") || (*d == '0' && d[1] >= '0' && d[1] <= '9'))
				return false;
			s = d + strspn(d, "0123456789");
		}
		if (!s)
			return false;
		if (*s == '}')
			return !s[1];
		if (*s++ != ',')
			return false;
	}
}

/* Valid UTF-8 (RFC 3629), no C0, DEL or C1 control. */
static bool clean_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned int c = *s, cp, n, i;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4, cp = c & 0x07;
		else
			return false;
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp <= 0x9f)
			return false;
		s += n;
	}
	return true;
}

static int print(const void *rec, size_t n, enum bpfport_format fmt, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	int ret;

	FUZZ_CHECK(f);
	ret = bpfport_event__fprint(f, rec, n, fmt);
	FUZZ_CHECK(!fclose(f));
	FUZZ_CHECK(strlen(*out) == len);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t buf[BP_MAX_EVENT_SIZE / 8 + 1];
	unsigned char *rec = (unsigned char *)buf;
	size_t n = size ? size - 1 : 0;
	struct event_copy aligned;
	char *json, *text;
	size_t vn;
	int rj, rt;

	if (size && data[0] & 2)
		rec += 4;
	if (n > BP_MAX_EVENT_SIZE)
		n = BP_MAX_EVENT_SIZE;
	memset(buf, 0, sizeof(buf));
	if (size && data[0] & 1) {	/* a record of a known type and size */
		const struct probe_desc *d;
		struct bpfport_ev_hdr h;
		size_t k = n > 2 ? 2 : n, e;

		if (!k)
			return 0;
		d = probe_table[data[1] % probe_cnt];
		for (e = 0; e < ARRAY_SIZE(d->events) && d->events[e].type; e++)
			;
		memcpy(rec, data + 1 + k, n - k < d->event_size ? n - k : d->event_size);
		memcpy(&h, rec, sizeof(h));
		h.type = d->events[(k > 1 ? data[2] : 0) % e].type;
		h.size = d->event_size;
		memcpy(rec, &h, sizeof(h));
		n = d->event_size;
	} else if (n) {
		memcpy(rec, data + 1, n);
	}

	rj = print(rec, n, BPFPORT_FORMAT_JSON, &json);
	rt = print(rec, n, BPFPORT_FORMAT_TEXT, &text);
	vn = n;
	FUZZ_CHECK(rj == rt && (rj == 0 || rj == -EINVAL));
	FUZZ_CHECK(rj == event_validate(event_aligned(rec, &vn, &aligned), vn));
	FUZZ_CHECK(!size || !(data[0] & 1) || !rj);
	if (!rj) {
		FUZZ_CHECK(json_flat_object(json) && clean_utf8((unsigned char *)json));
		FUZZ_CHECK(text[0] && clean_utf8((unsigned char *)text));
	} else {
		FUZZ_CHECK(!json[0] && !text[0]);
	}
	free(json);
	free(text);
	return 0;
}
