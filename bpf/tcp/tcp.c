// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcp probe, user side. */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "internal.h"
#include "tcp.h"

const char *tcp_state_name(unsigned int state)
{
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV",
		[4] = "FIN_WAIT1", [5] = "FIN_WAIT2", [6] = "TIME_WAIT",
		[7] = "CLOSE", [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
		[10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
	};

	if (state < ARRAY_SIZE(names) && names[state])
		return names[state];
	return "UNKNOWN";
}

static int tcp_print(struct jw *jw, const void *data, size_t size)
{
	const struct tcp_event *e = data;
	char s[INET6_ADDRSTRLEN] = "", d[INET6_ADDRSTRLEN] = "";
	int af = e->family == AF_INET6 ? AF_INET6 : AF_INET;

	(void)size;
	inet_ntop(af, e->saddr, s, sizeof(s));
	inet_ntop(af, e->daddr, d, sizeof(d));
	jw_kv_strn(jw, "comm", e->comm, sizeof(e->comm));
	jw_kv_str(jw, "family", af == AF_INET6 ? "inet6" : "inet");
	jw_kv_str(jw, "saddr", s);
	jw_kv_uint(jw, "sport", e->sport);
	jw_kv_str(jw, "daddr", d);
	jw_kv_uint(jw, "dport", e->dport);
	jw_kv_str(jw, "oldstate", tcp_state_name(e->oldstate));
	jw_kv_str(jw, "newstate", tcp_state_name(e->newstate));
	jw_kv_uint(jw, "skaddr", e->skaddr);
	if (e->newstate == 7 /* TCP_CLOSE */) {
		jw_kv_uint(jw, "lifetime_ns", e->lifetime_ns);
		jw_kv_uint(jw, "bytes_sent", e->bytes_sent);
		jw_kv_uint(jw, "bytes_received", e->bytes_received);
	}
	return 0;
}

PROBE(tcp,
	.summary = "TCP state changes, lifetime and bytes on close",
	.print = tcp_print,
	.events = { { BPFPORT_EV_TCP, "tcp" } },
	.event_size = sizeof(struct tcp_event),
	.tp_records = { "sock/inet_sock_set_state" });
