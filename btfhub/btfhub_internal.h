/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Private helpers of libbpfport_btfhub; not installed. */
#ifndef BPFPORT_BTFHUB_INTERNAL_H
#define BPFPORT_BTFHUB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "btfhub.h"
#include "util/bytes.h"
#include "util/msg.h"

/* In a function with (char *err, size_t errlen): writes the one-line
 * message (printf format) and returns @ret. */
#define fail(ret, ...) msg_set(err, errlen, ret, __VA_ARGS__)

#endif /* BPFPORT_BTFHUB_INTERNAL_H */
