/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btfhub data layer: external kernel BTF for kernels without native BTF.
 *
 *  - read a raw .btf or a btfhub .btf.tar.xz into memory, safely;
 *  - build the lookup key of this host (os-release + uname) and find its
 *    BTF in a list of archive paths or in a btfhub-archive directory;
 *  - the minimized BTF archive embedded in the binary at build time.
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure. Those taking (err, errlen) then write one line there
 * that names the cause and the fix (never NULL-terminated beyond errlen;
 * err may be NULL when errlen is 0). Nothing here prints or keeps state.
 * Buffers returned through void **data are malloc'ed: the caller frees
 * them. See btfhub/README.md for the lookup rules and the archive format.
 */
#ifndef BPFPORT_BTFHUB_H
#define BPFPORT_BTFHUB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest BTF (and largest decompressed tarball) accepted: 256 MiB. */
#define BTFHUB_MAX_SIZE (256u << 20)

/*
 * Reads the kernel BTF at @path: a raw .btf or a btfhub tarball (xz
 * compressed, or plain, ustar/GNU tar holding exactly one regular file
 * named *.btf). The format is told by magic, never by name. The BTF is
 * validated by btfhub_btf_validate().
 *
 * On success *data (malloc'ed, caller frees) and *size hold the raw BTF.
 * On failure *data is NULL and *size 0. Errors:
 *  -ENOENT      no such file
 *  -ENOEXEC     not BTF (wrong magic, empty file, foreign byte order,
 *               unknown BTF version, a payload that is not BTF)
 *  -EBADMSG     corrupt or truncated (xz stream, tar headers, or a BTF
 *               that btfhub_btf_validate() refuses)
 *  -EPERM       unsafe archive entry: symlink, hard link, device, an
 *               absolute name or one with a ".." component
 *  -ENODATA     archive without a .btf entry;  -ENOTUNIQ  several
 *  -EFBIG       over BTFHUB_MAX_SIZE (file, decompressed data or entry),
 *               or xz needs more than 128 MiB of memory
 *  -ENOMEM, -EISDIR, or the errno of open()/read()
 * BTF carries no architecture: a BTF of another arch with this host's
 * byte order is accepted here (the archive path names the arch).
 */
int btfhub_read_file(const char *path, void **data, size_t *size,
		     char *err, size_t errlen);

/* As btfhub_read_file(), from memory. @name only labels messages. */
int btfhub_read_mem(const void *buf, size_t len, const char *name,
		    void **data, size_t *size, char *err, size_t errlen);

/*
 * Validates the raw BTF in @data, as the kernel defines it, before libbpf
 * sees it (libbpf 1.1 trusts type ids and string offsets, and crashes on
 * bad ones): magic 0xEB9F in this host's byte order, version 1; header and
 * sections within the data, types before strings; the string section
 * starts and ends with a NUL; every type of a known kind and within the
 * type section; every name offset within the strings; every type id any
 * type refers to (targets of pointers, typedefs, modifiers, tags and
 * functions, array element and index types, members, return and parameter
 * types, variables, a section's variables) at most the number of types;
 * no type containing itself other than through a pointer. @name labels
 * the message, which names the type and the reference at fault.
 * Errors: -ENOEXEC (not BTF: empty, wrong magic, foreign byte order,
 * unknown version), -EBADMSG (corrupt, truncated or crafted), -ENOMEM.
 */
int btfhub_btf_validate(const void *data, size_t size, const char *name,
			char *err, size_t errlen);

/*
 * The lookup key: os-release ID and VERSION_ID, btfhub's arch name and
 * uname -r. Archive paths are <id>/<version_id>/<arch>/<release>.btf
 * (or .btf.tar.xz).
 */
struct btfhub_key {
	char id[64];
	char version_id[64];
	char arch[32];
	char release[256];
};

/*
 * Fills @k from os-release and uname(2). @os_release_path names the file
 * to read (containers often see the wrong one); NULL reads /etc/os-release,
 * then /usr/lib/os-release (os-release(5)). The file is parsed by the
 * rules of util/osrelease.h: a missing VERSION_ID is left empty (then only
 * the release-only rules can match). Errors: -ENOENT (no os-release, or
 * one without ID=), another errno of open/read, -EFBIG (over 64 KiB),
 * -ENAMETOOLONG (ID or VERSION_ID does not fit the key).
 */
int btfhub_key_from_system(const char *os_release_path, struct btfhub_key *k,
			   char *err, size_t errlen);

/*
 * Picks the BTF for @k among @n archive-relative @paths (only the last four
 * components count, so "./ubuntu/..." or an absolute path also work):
 *  1. exact <id>/<version_id>/<arch>/<release>.btf[.tar.xz];
 *  2. else the paths with the same arch and release, if they are all under
 *     one <id>/<version> (any id, any version);
 *  3. else, among those, the ones under <id> of @k, if that is one version.
 * Paths naming the same <id>/<version>/<arch>/<release> (a .btf beside its
 * .btf.tar.xz) count once; the first listed wins. *match gets the index.
 * Errors: -ENOENT (message: the key and the expected path), -ENOTUNIQ
 * (message: up to five candidates and "and N more"), -EINVAL, -ENOMEM.
 */
int btfhub_lookup_paths(const char *const *paths, size_t n,
			const struct btfhub_key *k, size_t *match,
			char *err, size_t errlen);

/*
 * The same rules over a btfhub-archive directory @dir, walked to depth 4
 * (<id>/<version>/<arch>/<file>; dot-entries are skipped). Symlinks are
 * followed only when they resolve inside @dir; the depth bound makes a
 * loop harmless. On success @path gets "<dir>/<id>/<version>/<arch>/<file>"
 * (-ENAMETOOLONG if @plen is too small). Errors as btfhub_lookup_paths(),
 * plus the errno of opening @dir.
 */
int btfhub_lookup_dir(const char *dir, const struct btfhub_key *k,
		      char *path, size_t plen, char *err, size_t errlen);

/*
 * The minimized BTF archive embedded at build time (-DBTFHUB_ARCHIVE=DIR).
 * btfhub_embedded_count() returns the number of kernels, -ENODATA when
 * this binary was built without BTFHUB_ARCHIVE, -EBADMSG when the embedded
 * archive is corrupt (or -EPROTO: a format version this code can't read).
 */
int btfhub_embedded_count(void);

/* Entry @i (sorted by key): its key "<id>/<version>/<arch>/<release>.btf"
 * (points into the binary's read-only data, valid forever) and the size of
 * its BTF. Either output may be NULL. -ERANGE past the end. */
int btfhub_embedded_entry(size_t i, const char **key, size_t *size);

/* Decompresses entry @i into *data (malloc'ed), checks its CRC-32 and
 * validates it (btfhub_btf_validate()): -EBADMSG when either fails. */
int btfhub_embedded_get(size_t i, void **data, size_t *size,
			char *err, size_t errlen);

/* Finds the entry for @k (the rules of btfhub_lookup_paths()), copies its
 * key to @keyout (may be NULL) and decompresses it as btfhub_embedded_get().
 * -ENODATA when nothing is embedded, -ENOENT, -ENOTUNIQ as the lookup. */
int btfhub_embedded_find(const struct btfhub_key *k, void **data, size_t *size,
			 char *keyout, size_t keylen, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* BPFPORT_BTFHUB_H */
