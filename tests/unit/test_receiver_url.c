/*
 * test_receiver_url.c: receiver paths and URLs (contract §3), the
 * hash as Kargo's buildWebhookPath computes it and the base URL rules
 * documented in src/receiver_url.c.
 */
#include "kw.h"
#include "receiver_url.h"
#include "test.h"

#include <stdlib.h>

#define SPEC_HEX "815f15fa9a82267ba4ffc270d226930dc67472906be11bf4e922bbf0371cd569"

struct split_row {
	const char *base;
	const char *origin; /* NULL: KW_EINVAL */
	const char *path;
};

static const struct split_row split_rows[] = {
	{ NULL, "", "/" },
	{ "", "", "/" },
	{ "https://kargo.example.com", "https://kargo.example.com", "/" },
	{ "https://kargo.example.com/", "https://kargo.example.com", "/" },
	{ "https://kargo.example.com/webhooks", "https://kargo.example.com", "/webhooks" },
	{ "https://kargo.example.com/webhooks/", "https://kargo.example.com", "/webhooks" },
	{ "https://kargo.example.com//webhooks///in//", "https://kargo.example.com",
	  "/webhooks/in" },
	{ "https://k.example.com/a/./b/../c", "https://k.example.com", "/a/c" },
	{ "https://k.example.com/../..", "https://k.example.com", "/" },
	{ "http://kargo.internal:8080/hooks", "http://kargo.internal:8080", "/hooks" },
	{ "HTTPS://Kargo.Example.com/x", "https://Kargo.Example.com", "/x" },
	{ "https://[::1]:8443/wh", "https://[::1]:8443", "/wh" },
	{ "https://10.0.0.1/wh", "https://10.0.0.1", "/wh" },
	{ "https://k.example.com/a:b@c;d=e", "https://k.example.com", "/a:b@c;d=e" },
	/* Refused, each for its own reason (see src/receiver_url.c). */
	{ "kargo.example.com/webhooks", NULL, NULL },
	{ "ftp://kargo.example.com/", NULL, NULL },
	{ "https:/kargo.example.com/", NULL, NULL },
	{ "https://", NULL, NULL },
	{ "https:///webhooks", NULL, NULL },
	{ "https://user:password@kargo.example.com/", NULL, NULL },
	{ "https://kargo.example.com/webhooks?x=1", NULL, NULL },
	{ "https://kargo.example.com/webhooks#top", NULL, NULL },
	{ "https://kargo.example.com?x=1", NULL, NULL },
	{ "https://kargo.example.com/web%20hooks", NULL, NULL },
	{ "https://kargo.example.com/web hooks", NULL, NULL },
	{ "https://kargo example.com/", NULL, NULL },
	{ "https://kargo.example.com:/", NULL, NULL },
	{ "https://kargo.example.com:0/", NULL, NULL },
	{ "https://kargo.example.com:65536/", NULL, NULL },
	{ "https://kargo.example.com:443x/", NULL, NULL },
	{ "https://[]/", NULL, NULL },
	{ "https://[::1/x", NULL, NULL },
};

static void test_split(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(split_rows); i++) {
		const struct split_row *r = &split_rows[i];
		struct kw_err err = { "" };
		char *origin = (char *)"x", *path = (char *)"x";
		int rc = receiver_url_split_base(&origin, &path, r->base, &err);

		if (r->origin == NULL) {
			CHECK_MSG(rc == KW_EINVAL && err.msg[0] != '\0' &&
				origin == NULL && path == NULL,
				"split(%s) accepted", r->base);
			/* A refused URL is never quoted: it may hold a password. */
			CHECK(strstr(err.msg, "password") == NULL);
			continue;
		}
		CHECK_MSG(rc == KW_OK, "split(%s): %s", r->base ? r->base : "NULL",
			err.msg);
		CHECK_STR(origin, r->origin);
		CHECK_STR(path, r->path);
		free(origin);
		free(path);
	}
}

struct build_row {
	const char *base;
	const char *project;
	const char *name;
	const char *secret;
	size_t secret_len;
	const char *path;
	const char *url;
};

#define S(s) s, sizeof(s) - 1

static const struct build_row build_rows[] = {
	/* contract §3. */
	{ "https://kargo.example.com/webhooks", "kargo-demo", "bb-wh-receiver",
	  S("mysupersecrettoken"),
	  "/webhooks/bitbucket/" SPEC_HEX,
	  "https://kargo.example.com/webhooks/bitbucket/" SPEC_HEX },
	/* contract: sha256("kargo-demo" "my-first-receiver" "soylent green is
	 * people\n"); the secret's trailing newline is part of the hash. */
	{ "", "kargo-demo", "my-first-receiver", S("soylent green is people\n"),
	  "/bitbucket/804b6f6bb40eb1f0e371f971d71dd95549be4bc9cbf868046941115f44073c67",
	  "/bitbucket/804b6f6bb40eb1f0e371f971d71dd95549be4bc9cbf868046941115f44073c67" },
	{ NULL, "kargo-demo", "bb-wh-receiver", S("mysupersecrettoken"),
	  "/bitbucket/" SPEC_HEX, "/bitbucket/" SPEC_HEX },
	{ "https://kargo.example.com", "kargo-demo", "bb-wh-receiver",
	  S("mysupersecrettoken"), "/bitbucket/" SPEC_HEX,
	  "https://kargo.example.com/bitbucket/" SPEC_HEX },
	{ "http://kargo.internal:8080//webhooks//", "kargo-demo", "bb-wh-receiver",
	  S("mysupersecrettoken"), "/webhooks/bitbucket/" SPEC_HEX,
	  "http://kargo.internal:8080/webhooks/bitbucket/" SPEC_HEX },
	/* A ClusterConfig receiver: the project is empty. */
	{ "https://k", "", "bb-wh-receiver", S("mysupersecrettoken"),
	  "/bitbucket/5e7ce4a68f8b7f554c4e8e8feb17c94a4db538597b1471d2ba11606c232c45d4",
	  "https://k/bitbucket/5e7ce4a68f8b7f554c4e8e8feb17c94a4db538597b1471d2ba11606c232c45d4" },
	{ "https://k", "kargo-demo", "bb-wh-receiver", S(""),
	  "/bitbucket/3d2f12f13a608ca98f64b9415191be8d10167359b2a31b088677a391d850d139",
	  "https://k/bitbucket/3d2f12f13a608ca98f64b9415191be8d10167359b2a31b088677a391d850d139" },
	/* Secrets are bytes: a NUL inside is hashed like any other. */
	{ "https://k", "kargo-demo", "bb-wh-receiver", S("ab\0cd"),
	  "/bitbucket/00f3f913bae36595ddb48cba4557d26a74e8f5821ec064255a1ae6a5940039a8",
	  "https://k/bitbucket/00f3f913bae36595ddb48cba4557d26a74e8f5821ec064255a1ae6a5940039a8" },
};

static void test_build(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(build_rows); i++) {
		const struct build_row *r = &build_rows[i];
		struct receiver_url u;
		struct kw_err err = { "" };
		int rc = receiver_url_build(&u, r->base, "bitbucket", r->project,
			r->name, (const unsigned char *)r->secret, r->secret_len, &err);

		CHECK_MSG(rc == KW_OK, "build row %zu: %s", i, err.msg);
		CHECK_STR(u.path, r->path);
		CHECK_STR(u.url, r->url);
		receiver_url_clear(&u);
	}
}

/* Changing the secret changes the URL, by design (contract §3). */
static void test_secret_changes_url(void)
{
	struct receiver_url a, b;

	CHECK_INT(receiver_url_build(&a, "", "bitbucket", "p", "n",
		(const unsigned char *)"s1", 2, NULL), KW_OK);
	CHECK_INT(receiver_url_build(&b, "", "bitbucket", "p", "n",
		(const unsigned char *)"s2", 2, NULL), KW_OK);
	CHECK(a.path != NULL && b.path != NULL && strcmp(a.path, b.path) != 0);
	receiver_url_clear(&a);
	receiver_url_clear(&b);
}

/* A refused base leaves out empty, says why, and clearing stays safe. */
static void test_build_error(void)
{
	struct receiver_url u = { (char *)"x", (char *)"x" };
	struct receiver_url zero = { NULL, NULL };
	struct kw_err err = { "" };
	char *huge = malloc(9000);

	CHECK_INT(receiver_url_build(&u, "https://user:pw@k/", "bitbucket", "p",
		"n", (const unsigned char *)"s", 1, &err), KW_EINVAL);
	CHECK(u.path == NULL && u.url == NULL);
	CHECK(strstr(err.msg, "user info") != NULL);
	CHECK(strstr(err.msg, "pw") == NULL);
	receiver_url_clear(&u);
	receiver_url_clear(&zero);
	receiver_url_clear(NULL);
	if (huge == NULL)
		abort();
	memcpy(huge, "https://k/", 10);
	memset(huge + 10, 'a', 8989);
	huge[8999] = '\0';
	CHECK_INT(receiver_url_build(&u, huge, "bitbucket", "p", "n",
		(const unsigned char *)"s", 1, NULL), KW_EINVAL);
	free(huge);
}

int main(void)
{
	test_split();
	test_build();
	test_secret_changes_url();
	test_build_error();
	TEST_DONE("test_receiver_url");
}
