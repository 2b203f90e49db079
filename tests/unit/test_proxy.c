/* Tests src/proxy.c: CIDR parsing and membership, and the client address
 * taken from X-Forwarded-For only behind a trusted proxy. */
#include "kw.h"
#include "proxy.h"
#include "test.h"

static struct proxy_list list_of(const char *const *cidrs)
{
	struct proxy_list pl = { .n = 0 };
	struct kw_err err;

	for (; *cidrs != NULL; cidrs++)
		CHECK_INT(proxy_list_add(&pl, *cidrs, &err), KW_OK);
	return pl;
}

static void test_add(void)
{
	static const struct { const char *in; int want; } cases[] = {
		{ "10.0.0.0/8", KW_OK }, { "127.0.0.1", KW_OK }, { "fd00::/8", KW_OK },
		{ "::1", KW_OK }, { "0.0.0.0/0", KW_OK }, { "10.0.0.0/33", KW_EINVAL },
		{ "10.0.0.0/", KW_EINVAL }, { "10.0.0.0/-1", KW_EINVAL },
		{ "10.0.0.0/8x", KW_EINVAL }, { "example.com", KW_EINVAL },
		{ "", KW_EINVAL }, { "/8", KW_EINVAL }, { "fd00::/129", KW_EINVAL },
	};
	struct kw_err err;

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct proxy_list pl = { .n = 0 };

		CHECK_MSG(proxy_list_add(&pl, cases[i].in, &err) == cases[i].want, "add %s",
			cases[i].in);
	}
}

static void test_contains(void)
{
	static const char *const cidrs[] = { "10.1.0.0/16", "192.168.5.7", "fd00::/8",
		"172.16.0.0/12", NULL };
	static const struct { const char *addr; bool want; } cases[] = {
		{ "10.1.2.3", true }, { "10.2.0.1", false }, { "192.168.5.7", true },
		{ "192.168.5.8", false }, { "fd12::1", true }, { "fe00::1", false },
		{ "172.31.255.255", true }, { "172.32.0.0", false },
		{ "::ffff:10.1.9.9", true }, /* IPv4-mapped */
		{ "not-an-address", false }, { "", false },
	};
	struct proxy_list pl = list_of(cidrs);

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++)
		CHECK_MSG(proxy_list_contains(&pl, cases[i].addr) == cases[i].want,
			"contains %s", cases[i].addr);
}

static void test_client(void)
{
	static const char *const cidrs[] = { "127.0.0.1", "10.0.0.0/8", NULL };
	static const struct {
		const char *peer, *xff, *want;
	} cases[] = {
		/* Not from a trusted proxy: the header is ignored. */
		{ "203.0.113.1", "198.51.100.7", "203.0.113.1" },
		/* From a proxy, no header: the proxy itself. */
		{ "127.0.0.1", NULL, "127.0.0.1" },
		{ "127.0.0.1", "198.51.100.7", "198.51.100.7" },
		/* The right-most untrusted entry; a forged left part is ignored. */
		{ "127.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7" },
		{ "127.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.5", "198.51.100.7" },
		{ "127.0.0.1", "198.51.100.7 ,\t10.9.9.9", "198.51.100.7" },
		/* Every hop trusted: the left-most. */
		{ "127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1" },
		/* Garbage ends the walk at the last trusted hop. */
		{ "127.0.0.1", "198.51.100.7, bogus", "127.0.0.1" },
		{ "127.0.0.1", "bogus, 10.0.0.3", "10.0.0.3" },
		{ "127.0.0.1", "", "127.0.0.1" },
		{ "127.0.0.1", ",,,", "127.0.0.1" },
		/* Canonical spelling: one client, one key. */
		{ "127.0.0.1", "2001:DB8:0:0::1", "2001:db8::1" },
		{ "127.0.0.1", "198.51.100.7:443", "127.0.0.1" },
	};
	struct proxy_list pl = list_of(cidrs);
	char out[PROXY_ADDR_SIZE];

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		proxy_client(out, &pl, cases[i].peer, cases[i].xff,
			cases[i].xff ? strlen(cases[i].xff) : 0);
		CHECK_STR(out, cases[i].want);
	}
}

int main(void)
{
	test_add();
	test_contains();
	test_client();
	TEST_DONE("test_proxy");
}
