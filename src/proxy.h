/*
 * proxy.h: who the client is when requests come through a reverse proxy
 * (an Ingress, a load balancer). The rate limits and per-address caps key
 * on the client's address; behind a proxy every request's TCP peer is the
 * proxy, so X-Forwarded-For is read, but only when the peer is a proxy the
 * operator named (--trusted-proxy CIDR): from anyone else the header is a
 * claim anyone can make. Pure: no I/O, no globals.
 */
#ifndef PROXY_H
#define PROXY_H

#include <stdbool.h>
#include <stddef.h>

struct kw_err;

#define PROXY_MAX_CIDRS 64
/* Longest address text (an IPv6 address with an IPv4 tail) and its NUL. */
#define PROXY_ADDR_SIZE 46
/* X-Forwarded-For bytes read; entries beyond are ignored from the left. */
#define PROXY_XFF_MAX 4096

struct proxy_cidr {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;          /* bits */
};

struct proxy_list {
	struct proxy_cidr items[PROXY_MAX_CIDRS];
	size_t n;
};

/* Adds "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or /128).
 * KW_EINVAL with err for anything else, or when the list is full. */
int proxy_list_add(struct proxy_list *pl, const char *cidr, struct kw_err *err);

/* Whether the address (text, IPv4 or IPv6) is inside one of the CIDRs.
 * false for text that is not an address. */
bool proxy_list_contains(const struct proxy_list *pl, const char *addr);

/*
 * The client's address into out: peer when the peer is not trusted or no
 * X-Forwarded-For came (xff NULL); otherwise the right-most address of xff
 * (a comma-separated list, the values of every X-Forwarded-For header
 * joined in order) that is not itself a trusted proxy. An entry that is not
 * an address ends the walk: the last trusted hop is then the client (its
 * next hop cannot be told). Returns true when the answer came from xff.
 */
bool proxy_client(char out[PROXY_ADDR_SIZE], const struct proxy_list *pl,
	const char *peer, const char *xff, size_t xff_len);

struct sockaddr;

/* The address of sa (IPv4 or IPv6) as text into out; "" for any other
 * family or NULL. */
void proxy_addr_text(char *out, size_t len, const struct sockaddr *sa);

#endif
