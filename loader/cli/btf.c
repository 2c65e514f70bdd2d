// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfport btf list|extract: the minimized kernel BTFs embedded in the binary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "args.h"
#include "btfhub.h"
#include "cli.h"

static int btf_list(bool json)
{
	int n = btfhub_embedded_count(), i;
	const char *name;
	size_t size;
	struct jw jw;

	if (n == -ENODATA)	/* built without -DBTFHUB_ARCHIVE */
		n = 0;
	if (n < 0) {
		cli_error("the embedded BTF archive is unreadable (%s): rebuild bpfport",
			  strerror(-n));
		return 1;
	}
	if (json) {
		jw_init(&jw, stdout, false, false);
		jw_start_array(&jw);
	} else {
		cli_printf("%d kernel BTFs embedded (minimized for bpfport's probes)\n", n);
	}
	for (i = 0; i < n; i++) {
		if (btfhub_embedded_entry(i, &name, &size))
			continue;
		if (!json) {
			cli_printf("  %-72s %zu bytes\n", name, size);
			continue;
		}
		jw_start_object(&jw);
		jw_kv_str(&jw, "key", name);
		jw_kv_uint(&jw, "size", size);
		jw_end_object(&jw);
	}
	if (json) {
		jw_end_array(&jw);
		putchar('\n');
	}
	return 0;
}

static int btf_extract(const struct sub_args *a)
{
	char err[512], key[1024], def[300];
	const char *out = a->out;
	struct btfhub_key k;
	struct bpfport_opts o;
	BPFPORT_OPTS(given, .os_release = a->os_release);
	void *data = NULL;
	size_t size = 0;
	FILE *f;
	int ret;

	bp_opts_complete(&given, &o);	/* --os-release, else the env, else /etc */
	ret = btfhub_key_from_system(o.os_release, &k, err, sizeof(err));
	if (!ret)
		ret = btfhub_embedded_find(&k, &data, &size, key, sizeof(key), err, sizeof(err));
	if (ret) {
		cli_error("%s", err);
		return 1;
	}
	if (!out) {
		snprintf(def, sizeof(def), "%s.btf", k.release);
		out = def;
	}
	f = fopen(out, "wxe");
	if (!f) {
		cli_error("cannot create %s: %s (it must not exist yet)", out, strerror(errno));
		free(data);
		return 1;
	}
	ret = fwrite(data, 1, size, f) == size ? 0 : errno ? errno : EIO;
	if (fclose(f) && !ret)
		ret = errno;
	free(data);
	if (ret) {
		cli_error("cannot write %s: %s", out, strerror(ret));
		unlink(out);	/* nothing half-written left behind */
		return 1;
	}
	cli_printf("%s: %s (%zu bytes)\n", out, key, size);
	return 0;
}

int do_btf(int argc, char **argv)
{
	struct sub_args a;
	char err[256];
	int ret;

	ret = cli_parsed(btf_args_parse(argc, argv, &a, err, sizeof(err)), btf_usage, err);
	if (ret >= 0)
		return ret;
	return !strcmp(a.sub, "list") ? btf_list(a.json) : btf_extract(&a);
}
