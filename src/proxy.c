/*
 * proxy.c: trusted proxies and X-Forwarded-For (proxy.h). The header is
 * read from the right: each proxy appends the address it received the
 * request from, so entries right of the first untrusted one were written by
 * our own proxies, and everything left of it is whatever the client sent.
 */
#include "proxy.h"

#include "kw.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Parses an address; 4 or 16 bytes into out, the family into *family. */
static bool parse_addr(const char *s, unsigned char out[16], int *family)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

int proxy_list_add(struct proxy_list *pl, const char *cidr, struct kw_err *err)
{
	char addr[PROXY_ADDR_SIZE];
	const char *slash = strchr(cidr, '/');
	size_t alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	struct proxy_cidr c = { 0 };
	unsigned long prefix;
	char *end;

	if (pl->n == PROXY_MAX_CIDRS)
		return kw_errf(err, KW_EINVAL, "more than %d trusted proxies", PROXY_MAX_CIDRS);
	if (alen == 0 || alen >= sizeof(addr))
		return kw_errf(err, KW_EINVAL, "%s is not an address or CIDR", cidr);
	memcpy(addr, cidr, alen);
	addr[alen] = '\0';
	if (!parse_addr(addr, c.addr, &c.family))
		return kw_errf(err, KW_EINVAL, "%s is not an address or CIDR", cidr);
	c.prefix = c.family == AF_INET ? 32 : 128;
	if (slash != NULL) {
		prefix = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || prefix > c.prefix)
			return kw_errf(err, KW_EINVAL, "%s: bad prefix length", cidr);
		c.prefix = (unsigned)prefix;
	}
	pl->items[pl->n++] = c;
	return KW_OK;
}

static bool in_cidr(const struct proxy_cidr *c, const unsigned char *a)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) also matches IPv4 CIDRs:
 * a dual-stack socket reports IPv4 peers that way. */
static bool contains(const struct proxy_list *pl, const unsigned char *a,
	int family)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	bool v4_in_v6 = family == AF_INET6 && memcmp(a, mapped, 12) == 0;

	for (size_t i = 0; i < pl->n; i++) {
		const struct proxy_cidr *c = &pl->items[i];

		if (c->family == family && in_cidr(c, a))
			return true;
		if (v4_in_v6 && c->family == AF_INET && in_cidr(c, a + 12))
			return true;
	}
	return false;
}

bool proxy_list_contains(const struct proxy_list *pl, const char *addr)
{
	unsigned char a[16];
	int family;

	return pl != NULL && parse_addr(addr, a, &family) && contains(pl, a, family);
}

/* The entry of xff that ends at end (exclusive), trimmed, into out;
 * *start is set to where it begins. false when it does not fit. */
static bool entry_before(char out[PROXY_ADDR_SIZE], const char *xff,
	size_t end, size_t *start)
{
	size_t b = end, e = end;

	while (b > 0 && xff[b - 1] != ',')
		b--;
	*start = b;
	while (b < e && (xff[b] == ' ' || xff[b] == '\t'))
		b++;
	while (e > b && (xff[e - 1] == ' ' || xff[e - 1] == '\t'))
		e--;
	if (e - b >= PROXY_ADDR_SIZE)
		return false;
	memcpy(out, xff + b, e - b);
	out[e - b] = '\0';
	return true;
}

bool proxy_client(char out[PROXY_ADDR_SIZE], const struct proxy_list *pl,
	const char *peer, const char *xff, size_t xff_len)
{
	char entry[PROXY_ADDR_SIZE];
	unsigned char a[16];
	size_t end, start;
	bool from_xff = false;
	int family;

	snprintf(out, PROXY_ADDR_SIZE, "%s", peer);
	if (xff == NULL || !proxy_list_contains(pl, peer))
		return false;
	if (xff_len > PROXY_XFF_MAX) {
		xff += xff_len - PROXY_XFF_MAX;
		xff_len = PROXY_XFF_MAX;
	}
	for (end = xff_len;; end = start - 1) {
		if (!entry_before(entry, xff, end, &start) ||
		    !parse_addr(entry, a, &family))
			break; /* not an address: the last trusted hop stands */
		/* The canonical spelling, so one client is one bucket key. */
		inet_ntop(family, a, out, PROXY_ADDR_SIZE);
		from_xff = true;
		if (!contains(pl, a, family) || start == 0)
			break;
	}
	return from_xff;
}

void proxy_addr_text(char *out, size_t len, const struct sockaddr *sa)
{
	out[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			out, (socklen_t)len);
}
