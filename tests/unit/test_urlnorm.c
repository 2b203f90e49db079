/*
 * test_urlnorm.c: urlnorm_git, table-driven. The first tables are Kargo's
 * own (pkg/urls/git_test.go and common_test.go, v1.11); the rest pin the
 * Go net/url behaviour that NormalizeGit inherits. Every expected value was
 * also produced by Kargo's NormalizeGit compiled with Go, net/url patched
 * to Go 1.26 (IPv6 literal checks, strict colons, query limit).
 */
#include "kw.h"
#include "test.h"
#include "urlnorm.h"

#include <stdlib.h>

/* Kargo returns what it cannot normalize exactly as given. Rows that
 * Kargo accepts mostly carry a ".git" to trim, so that acceptance shows. */
#define AS_GIVEN NULL

struct row {
	const char *in;
	const char *want;
};

/* Kargo's pkg/urls/git_test.go table, whitespace rows included. */
static const struct row kargo_rows[] = {
	{ "https://not a url", AS_GIVEN },
	{ "http://github.com/example/repo?foo=bar", AS_GIVEN },
	{ "ssh://not a url", AS_GIVEN },
	{ "ssh://github.com/example/repo?foo=bar", AS_GIVEN },
	{ "not even remotely a url", AS_GIVEN },
	{ "https://github.com /example/repo", AS_GIVEN },
	{ "https://github.com/example%20repo",
	  "https://github.com/example%20repo" },
	{ "https://github.com", "https://github.com" },
	{ "https://github.com/", "https://github.com" },
	{ "https://foo:bar@github.com", "https://github.com" },
	{ "https://foo:bar@github.com/", "https://github.com" },
	{ "https://github.com/example/repo",
	  "https://github.com/example/repo" },
	{ "https://github.com/example/repo/",
	  "https://github.com/example/repo" },
	{ "https://github.com/example/repo.git",
	  "https://github.com/example/repo" },
	{ "https://github.com/example/repo.git/",
	  "https://github.com/example/repo" },
	{ "https://localhost:8443/example/repo",
	  "https://localhost:8443/example/repo" },
	{ "https://localhost:8443/example/repo/",
	  "https://localhost:8443/example/repo" },
	{ "https://localhost:8443/example/repo.git",
	  "https://localhost:8443/example/repo" },
	{ "https://localhost:8443/example/repo.git/",
	  "https://localhost:8443/example/repo" },
	{ "https://foo:bar@github.com/example/repo",
	  "https://github.com/example/repo" },
	{ "https://foo:bar@github.com/example/repo/",
	  "https://github.com/example/repo" },
	{ "https://foo:bar@github.com/example/repo.git",
	  "https://github.com/example/repo" },
	{ "https://foo:bar@github.com/example/repo.git/",
	  "https://github.com/example/repo" },
	{ "https://foo:bar@localhost:8443/example/repo",
	  "https://localhost:8443/example/repo" },
	{ "https://foo:bar@localhost:8443/example/repo/",
	  "https://localhost:8443/example/repo" },
	{ "https://foo:bar@localhost:8443/example/repo.git",
	  "https://localhost:8443/example/repo" },
	{ "https://foo:bar@localhost:8443/example/repo.git/",
	  "https://localhost:8443/example/repo" },
	{ "ssh://git.example.com", "ssh://git.example.com" },
	{ "ssh://git.example.com/", "ssh://git.example.com" },
	{ "ssh://git@git.example.com", "ssh://git@git.example.com" },
	{ "ssh://git@git.example.com/", "ssh://git@git.example.com" },
	{ "ssh://github.com/example/repo", "ssh://github.com/example/repo" },
	{ "ssh://github.com/example/repo/", "ssh://github.com/example/repo" },
	{ "ssh://github.com/example/repo.git",
	  "ssh://github.com/example/repo" },
	{ "ssh://github.com/example/repo.git/",
	  "ssh://github.com/example/repo" },
	{ "ssh://localhost:2222/example/repo",
	  "ssh://localhost:2222/example/repo" },
	{ "ssh://localhost:2222/example/repo/",
	  "ssh://localhost:2222/example/repo" },
	{ "ssh://localhost:2222/example/repo.git",
	  "ssh://localhost:2222/example/repo" },
	{ "ssh://localhost:2222/example/repo.git/",
	  "ssh://localhost:2222/example/repo" },
	{ "ssh://git@github.com/example/repo",
	  "ssh://git@github.com/example/repo" },
	{ "ssh://git@github.com/example/repo/",
	  "ssh://git@github.com/example/repo" },
	{ "ssh://git@github.com/example/repo.git",
	  "ssh://git@github.com/example/repo" },
	{ "ssh://git@github.com/example/repo.git/",
	  "ssh://git@github.com/example/repo" },
	{ "ssh://git@localhost:2222/example/repo",
	  "ssh://git@localhost:2222/example/repo" },
	{ "ssh://git@localhost:2222/example/repo/",
	  "ssh://git@localhost:2222/example/repo" },
	{ "ssh://git@localhost:2222/example/repo.git",
	  "ssh://git@localhost:2222/example/repo" },
	{ "ssh://git@localhost:2222/example/repo.git/",
	  "ssh://git@localhost:2222/example/repo" },
	{ "git.example.com", "ssh://git.example.com" },
	{ "git@git.example.com", "ssh://git@git.example.com" },
	{ "github.com:example/repo", "ssh://github.com/example/repo" },
	{ "github.com:example/repo/", "ssh://github.com/example/repo" },
	{ "github.com:example/repo.git", "ssh://github.com/example/repo" },
	{ "github.com:example/repo.git/", "ssh://github.com/example/repo" },
	{ "git@github.com:example/repo", "ssh://git@github.com/example/repo" },
	{ "git@github.com:example/repo/", "ssh://git@github.com/example/repo" },
	{ "git@github.com:example/repo.git",
	  "ssh://git@github.com/example/repo" },
	{ "git@github.com:example/repo.git/",
	  "ssh://git@github.com/example/repo" },
	{ " \xef\xbb\xbfhttps://github.com/example/repo",
	  "https://github.com/example/repo" },
	{ "https://github.com/example/repo\xef\xbb\xbf",
	  "https://github.com/example/repo" },
	{ " https://github.com/example/repo ",
	  "https://github.com/example/repo" },
	{ "\tssh://github.com/example/repo\t",
	  "ssh://github.com/example/repo" },
	{ "\nssh://github.com/example/repo\n",
	  "ssh://github.com/example/repo" },
	{ "\rssh://github.com/example/repo\r",
	  "ssh://github.com/example/repo" },
	{ " \t\nhttps://github.com/example/repo\t\n ",
	  "https://github.com/example/repo" },
	{ "\xc2\xa0https://github.com/example/repo\xc2\xa0",
	  "https://github.com/example/repo" },
	{ "\xe2\x80\x8bhttps://github.com/example/repo\xe2\x80\x8b",
	  "https://github.com/example/repo" },
	{ "\xef\xbb\xbf\xef\xbb\xbfhttps://github.com/example/repo",
	  "https://github.com/example/repo" },
};

/* Kargo's pkg/urls/common_test.go (SanitizeURL) rows, through NormalizeGit. */
static const struct row sanitize_rows[] = {
	{ "  https://example.com/repo  ", "https://example.com/repo" },
	{ "\n\thttps://example.com/repo\t\n", "https://example.com/repo" },
	{ "\xef\xbb\xbfhttps://example.com/repo", "https://example.com/repo" },
	{ "https://example.com/\xe2\x80\x8brepo", "https://example.com/repo" },
	{ "https://example.com/repo\xef\xbb\xbf", "https://example.com/repo" },
	{ "\xef\xbb\xbf https://example.com/\xe2\x80\x8brepo \xef\xbb\xbf",
	  "https://example.com/repo" },
	{ "\xef\xbb\xbf \n https://example.com/\trepo \xe2\x80\x8b \n ",
	  "https://example.com/repo" },
	{ "ftp://example.com/resource", "ssh://ftp///example.com/resource" },
	{ "   ", AS_GIVEN },
	{ "", AS_GIVEN },
	{ "https://example.com/ myrepo", "https://example.com/%20myrepo" },
	{ "https://example.com/\xe2\x80\x8bmyrepo",
	  "https://example.com/myrepo" },
};

/* contract §5 and Go's Unicode rules (unicode.ToLower, unicode.IsPrint). */
static const struct row spec_rows[] = {
	{ "https://foo:bar@github.com/example/repo.git/",
	  "https://github.com/example/repo" },
	{ "HTTPS://GitHub.COM/Example/Repo.GIT",
	  "https://github.com/example/repo" },
	{ "Git@GitHub.com:Example/Repo.git",
	  "ssh://git@github.com/example/repo" },
	{ "https://github.com/\xc4\xb0zmir/repo",
	  "https://github.com/izmir/repo" },
	{ "https://github.com/\xe2\x84\xaa" "elvin/repo",
	  "https://github.com/kelvin/repo" },
	{ "https://github.com/\xc3\x9c" "ber/repo",
	  "https://github.com/%C3%BCber/repo" },
	{ "https://b\xc3\xbc" "cher.example/repo.git",
	  "https://b%C3%BCcher.example/repo" },
	{ "https://github.com/example/repo\xe2\x80\xa8",
	  "https://github.com/example/repo" },
	{ "https://github.com/\xc2\xadrepo", "https://github.com/repo" },
	{ "https://github.com/example/repo\x7f",
	  "https://github.com/example/repo" },
};

/* Queries and fragments: only a query with a usable parameter is refused. */
static const struct row query_fragment_rows[] = {
	{ "https://github.com/example/repo.git?",
	  "https://github.com/example/repo?" },
	{ "https://github.com/example/repo?;",
	  "https://github.com/example/repo?;" },
	{ "https://github.com/example/repo?a;b=c",
	  "https://github.com/example/repo?a;b=c" },
	{ "https://github.com/example/repo?%zz",
	  "https://github.com/example/repo?%zz" },
	{ "https://github.com/example/repo?=x", AS_GIVEN },
	{ "https://github.com/example/repo?&",
	  "https://github.com/example/repo?&" },
	{ "https://github.com/example/repo#readme",
	  "https://github.com/example/repo#readme" },
	{ "https://github.com/example/repo.git#main",
	  "https://github.com/example/repo#main" },
	{ "https://github.com/example/repo#",
	  "https://github.com/example/repo" },
	{ "https://github.com/example/repo#a%20b",
	  "https://github.com/example/repo#a%20b" },
	{ "https://github.com/example/repo#a b",
	  "https://github.com/example/repo#a%20b" },
};

/* Percent-encoding: RawPath survives only while the path is untrimmed. */
static const struct row escape_rows[] = {
	{ "https://github.com/example/repo%2Egit",
	  "https://github.com/example/repo" },
	{ "https://github.com/a%2fb", "https://github.com/a%2fb" },
	{ "https://github.com/a%2fb/", "https://github.com/a/b" },
	{ "https://github.com/%c3%bc", "https://github.com/%c3%bc" },
	{ "https://github.com/%c3%bc/", "https://github.com/%C3%BC" },
	{ "https://github.com/%41", "https://github.com/%41" },
	{ "https://github.com/%41/", "https://github.com/A" },
	{ "https://github.com/%41.git", "https://github.com/A" },
	{ "https://github.com/%zz", AS_GIVEN },
	{ "https://github.com/repo%", AS_GIVEN },
	{ "https://github.com/a?b", AS_GIVEN },
	{ "https://h%c3%bcst.example/r", "https://h%C3%BCst.example/r" },
	{ "https://h%41st.example/r", AS_GIVEN },
	{ "https://a%25b/r", "https://a%25b/r" },
};

/* Hosts: IPv6 literals (netip), ports, Go 1.26 strict colons for http(s). */
static const struct row host_rows[] = {
	{ "https://[::1]/repo.git", "https://[::1]/repo" },
	{ "https://[::1]:8443/repo.git", "https://[::1]:8443/repo" },
	{ "https://[fe80::1%25en0]:8443/repo.git",
	  "https://[fe80::1%25en0]:8443/repo" },
	{ "https://[fe80::1%en0]/repo.git", AS_GIVEN },
	{ "https://[1.2.3.4]/repo.git", AS_GIVEN },
	{ "https://[::ffff:1.2.3.4]/repo.git",
	  "https://[::ffff:1.2.3.4]/repo" },
	{ "https://[::1/repo.git", AS_GIVEN },
	{ "https://x[::1]/repo.git", AS_GIVEN },
	{ "https://[0:0:0:0:0:0:0:1]/r.git", "https://[0:0:0:0:0:0:0:1]/r" },
	{ "https://[1::2::3]/r.git", AS_GIVEN },
	{ "https://[12345::1]/r.git", AS_GIVEN },
	{ "https://[1234f::1]/r.git", AS_GIVEN },
	/* Go 1.22+ netip: at most four hex digits per group, whatever value. */
	{ "https://[0ffff::1]/r.git", AS_GIVEN },
	{ "https://[::1]x/r.git", AS_GIVEN },
	{ "https://[1:2:3:4:5:6:7::8]/r.git", AS_GIVEN },
	{ "https://[::1.2.3.4]/r.git", "https://[::1.2.3.4]/r" },
	{ "https://[::1.2.3.04]/r.git", AS_GIVEN },
	{ "https://localhost:/repo.git", "https://localhost:/repo" },
	{ "https://localhost:84a/repo.git", AS_GIVEN },
	{ "https://a:1:2/repo.git", AS_GIVEN },
	{ "ssh://a:1:2/repo.git", "ssh://a:1:2/repo" },
	{ "https://a]b/repo.git", "https://a]b/repo" },
	{ "https://a b/repo.git", AS_GIVEN },
	{ "http:///repo.git", "http:///repo" },
	{ "https://", "https:" },
	{ "https:///", "https:" },
	{ "ssh://", "ssh:" },
};

/* User info: dropped for http(s), re-escaped for ssh. */
static const struct row userinfo_rows[] = {
	{ "ssh://git%40corp@host/repo", "ssh://git%40corp@host/repo" },
	{ "ssh://a*b@host/repo", "ssh://a%2Ab@host/repo" },
	{ "ssh://user:pa%3ass@host/repo", "ssh://user:pa%3Ass@host/repo" },
	{ "ssh://@host/repo", "ssh://@host/repo" },
	{ "ssh://us\xc3\xa9r@host/repo", AS_GIVEN },
	{ "https://us er@host/repo", AS_GIVEN },
	{ "https://user@host:22/repo.git/", "https://host:22/repo" },
};

/* SCP form: the regex, then url.Parse and URL.String of the path. */
static const struct row scp_rows[] = {
	{ "first.last@host:repo", AS_GIVEN },
	{ "user@host", "ssh://user@host" },
	{ "host:", "ssh://host" },
	{ "host:/abs/repo.git", "ssh://host//abs/repo" },
	{ "host:a:b", "ssh://host" },
	{ "host:1a:b", AS_GIVEN },
	{ "host::x", AS_GIVEN },
	{ "host:*", "ssh://host/*" },
	{ "host:a%3ab/", "ssh://host/./a:b" },
	{ "host:x?y=1#f", "ssh://host/x?y=1#f" },
	{ "host:http://x/y.git", "ssh://host/http://x/y" },
	{ "host:a:/%2fx/", "ssh://host/a:%2F/x" },
	{ "host:a%zz", AS_GIVEN },
	{ "host..x:repo", AS_GIVEN },
	{ "-@-:-", "ssh://-@-/-" },
	{ "git@bitbucket.org:ws/repo.git", "ssh://git@bitbucket.org/ws/repo" },
	{ "git@host:repo.git.git", "ssh://git@host/repo.git" },
};

static void check_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *want = rows[i].want ? rows[i].want : rows[i].in;
		char *out = NULL;
		int rc = urlnorm_git(&out, rows[i].in, strlen(rows[i].in));

		CHECK_INT(rc, KW_OK);
		CHECK_MSG(out != NULL && strcmp(out, want) == 0,
			"urlnorm_git(\"%s\") == \"%s\", want \"%s\"", rows[i].in,
			out ? out : "(null)", want);
		free(out);
	}
}

/* The input is a byte range: a NUL inside it is a control character that
 * SanitizeURL drops, not the end of the string. */
static void test_embedded_nul(void)
{
	static const char in[] = "https://github.com/exam\0ple/repo.git";
	char *out = NULL;

	CHECK_INT(urlnorm_git(&out, in, sizeof(in) - 1), KW_OK);
	CHECK_STR(out, "https://github.com/example/repo");
	free(out);
}

/* What Kargo cannot normalize comes back byte for byte, invalid UTF-8 and
 * upper case included; only normalized output is cleaned. */
static void test_as_given_is_exact(void)
{
	static const char in[] = "HTTPS://GitHub.com/\xff?Foo=Bar";
	char *out = NULL;

	CHECK_INT(urlnorm_git(&out, in, sizeof(in) - 1), KW_OK);
	CHECK(out != NULL && memcmp(out, in, sizeof(in)) == 0);
	free(out);
	CHECK_INT(urlnorm_git(&out, "https://github.com/\xff", 20), KW_OK);
	CHECK_STR(out, "https://github.com/%EF%BF%BD");
	free(out);
}

/* Go's ParseQuery gives no values at all past 10000 parameters, so such a
 * URL is normalized, query kept, where one parameter fewer is refused. */
static void test_query_parameter_limit(void)
{
	const char *head = "HTTPS://H/r.git?";
	size_t hl = strlen(head);

	for (size_t params = 10000; params <= 10001; params++) {
		size_t len = hl + 2 * params - 1;
		char *in = malloc(len + 1), *out = NULL;

		if (in == NULL)
			abort();
		memcpy(in, head, hl);
		for (size_t i = 0; i < params; i++)
			memcpy(in + hl + 2 * i, "a&", 2);
		in[len] = '\0'; /* overwrites the last '&' */
		CHECK_INT(urlnorm_git(&out, in, len), KW_OK);
		if (params == 10000) {
			CHECK(out != NULL && strcmp(out, in) == 0);
		} else {
			CHECK(out != NULL && strncmp(out, "https://h/r?a&a&", 16) == 0);
			CHECK(out != NULL && strlen(out) == len - 4);
		}
		free(in);
		free(out);
	}
}

/* Seconds urlnorm_git takes on a len-byte path of escapes and dots, the
 * best of three runs (the least disturbed by other load). */
static double time_path(size_t len)
{
	char *in = malloc(len + 1), *out = NULL;
	double best = 1e9;

	if (in == NULL)
		abort();
	memcpy(in, "https://h/", 10);
	for (size_t i = 10; i < len; i++)
		in[i] = "%c3%bc./"[(i - 10) % 8];
	in[len] = '\0';
	for (int run = 0; run < 3; run++) {
		double t0 = kw_monotonic();

		CHECK_INT(urlnorm_git(&out, in, len), KW_OK);
		if (kw_monotonic() - t0 < best)
			best = kw_monotonic() - t0;
		CHECK(out != NULL && strncmp(out, "https://h/%c3%bc./", 18) == 0);
		free(out);
		out = NULL;
	}
	free(in);
	return best;
}

/* A large input stays linear: 16 times the input may take 16 times as
 * long, and this allows 64 (ASan, a loaded machine), measured against a
 * baseline from this same run; quadratic work would take 256 times. */
static void test_large_input(void)
{
	double small = time_path(1 << 16), large = time_path(1 << 20);

	CHECK_MSG(large < 64 * small + 0.05, "64 KiB in %.4f s, 1 MiB in %.4f s", small, large);
}

#define CHECK_ROWS(t) check_rows(t, KW_ARRAY_LEN(t))

int main(void)
{
	CHECK_ROWS(kargo_rows);
	CHECK_ROWS(sanitize_rows);
	CHECK_ROWS(spec_rows);
	CHECK_ROWS(query_fragment_rows);
	CHECK_ROWS(escape_rows);
	CHECK_ROWS(host_rows);
	CHECK_ROWS(userinfo_rows);
	CHECK_ROWS(scp_rows);
	test_embedded_nul();
	test_as_given_is_exact();
	test_query_parameter_limit();
	test_large_input();
	TEST_DONE("test_urlnorm");
}
