/*
 * receiver_url.c: where Bitbucket must send a receiver's webhooks (contract
 * section 3), computed as Kargo computes status.webhookReceivers
 * (pkg/webhook/external/receiver.go, getDetails and buildWebhookPath):
 *
 *   hex  = fmt.Sprintf("%x", sha256(project + name + secret))
 *   path = url.JoinPath(basePath or "/", kind, hex)
 *   url  = the base URL with that path
 *
 * url.JoinPath cleans with path.Join: duplicate and trailing slashes go,
 * "." and ".." are resolved, and the result is rooted. The base URL is the
 * operator's EXTERNAL_WEBHOOK_SERVER_BASE_URL, so where Kargo would print
 * something odd this refuses it with a reason instead:
 *   - no scheme, or one other than http(s): Kargo would build a relative
 *     "URL" out of the host name. (The scheme is lowercased, as Go does.)
 *   - user info: Kargo would copy it, password included, into the status.
 *   - a query or fragment: Kargo appends them after the receiver's path.
 *   - percent-escapes or characters that need them in the path: Kargo
 *     escapes its already escaped path a second time in the URL.
 *   - an empty host or a port that is not 1-65535.
 * A port is kept in the origin, and the host is kept as written.
 * Kargo also keeps a leading "//" of the base path (it re-parses the path
 * as a URL, which takes "//x" for a host); the contract's join cleans it.
 */
#include "receiver_url.h"

#include "kw.h"
#include "strbuf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Far beyond any real base URL or path; keeps every buffer bounded. */
#define URL_MAX ((size_t)8192)

struct base_parts {
	const char *scheme, *authority, *path;
	size_t scheme_len, authority_len, path_len;
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool in_set(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* RFC 3986 pchar without pct-encoded, plus '/'. */
static bool is_path_char(char c)
{
	return is_alpha(c) || is_digit(c) || in_set(c, "-._~!$&'()*+,;=:@/");
}

/* ":port" with 1 to 5 digits and a value from 1 to 65535. */
static bool valid_port(const char *p, size_t n)
{
	unsigned long v = 0;

	if (n < 2 || n > 6 || p[0] != ':')
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* "[v6]" (hex digits, ':' and '.') or a DNS name or IPv4 address. */
static size_t host_len(const char *p, size_t n)
{
	size_t i = 0;

	if (n > 0 && p[0] == '[') {
		for (i = 1; i < n && p[i] != ']'; i++)
			if (!is_digit(p[i]) && !in_set(p[i], "abcdefABCDEF:."))
				return 0;
		return i < n && i > 1 ? i + 1 : 0;
	}
	while (i < n && (is_alpha(p[i]) || is_digit(p[i]) || in_set(p[i], "-._~")))
		i++;
	return i;
}

static int check_authority(const char *p, size_t n, struct kw_err *err)
{
	size_t h = host_len(p, n);

	if (memchr(p, '@', n) != NULL)
		return kw_errf(err, KW_EINVAL,
			"base URL: user info is not allowed (it would be published)");
	if (h == 0)
		return kw_errf(err, KW_EINVAL, "base URL: no valid host");
	if (h < n && !valid_port(p + h, n - h))
		return kw_errf(err, KW_EINVAL,
			"base URL: the host must be followed by '/' or a port "
			"from 1 to 65535");
	return KW_OK;
}

static int check_path(const char *p, size_t n, struct kw_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '?' || p[i] == '#')
			return kw_errf(err, KW_EINVAL,
				"base URL: a query or fragment is not allowed");
		if (!is_path_char(p[i]))
			return kw_errf(err, KW_EINVAL,
				"base URL: the path may hold only letters, digits, "
				"'/' and -._~!$&'()*+,;=:@ (no %%-escapes)");
	}
	return KW_OK;
}

/* Splits "scheme://authority/path" and checks each part. Messages never
 * quote the URL: a malformed one may still hold a password. */
static int parse_base(struct base_parts *b, const char *base, struct kw_err *err)
{
	const char *sep = strstr(base, "://"), *auth, *end;
	int rc;

	b->scheme = base;
	b->scheme_len = sep ? (size_t)(sep - base) : 0;
	if (sep == NULL || !((b->scheme_len == 4 && strncasecmp(base, "http", 4) == 0) ||
	    (b->scheme_len == 5 && strncasecmp(base, "https", 5) == 0)))
		return kw_errf(err, KW_EINVAL,
			"base URL: not an absolute http:// or https:// URL");
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	b->authority = auth;
	b->authority_len = (size_t)(end - auth);
	b->path = end;
	b->path_len = strlen(end);
	rc = check_authority(b->authority, b->authority_len, err);
	if (rc == KW_OK)
		rc = check_path(b->path, b->path_len, err);
	return rc;
}

/*
 * Go's path.Clean for a rooted path, appended to sb: empty and "."
 * elements go, ".." removes the element before it (nothing at the root),
 * and the result has no trailing slash unless it is "/".
 */
static int clean_path(struct strbuf *sb, const char *p, size_t n)
{
	size_t root = sb->len, i = 0;
	int rc = KW_OK;

	while (i < n && rc == KW_OK) {
		size_t start = i, len;

		while (i < n && p[i] != '/')
			i++;
		len = i - start;
		i++;
		if (len == 0 || (len == 1 && p[start] == '.'))
			continue;
		if (len == 2 && p[start] == '.' && p[start + 1] == '.') {
			while (sb->len > root && sb->buf[sb->len - 1] != '/')
				sb->len--;
			if (sb->len > root)
				sb->len--;
			if (sb->buf != NULL)
				sb->buf[sb->len] = '\0';
			continue;
		}
		rc = strbuf_append(sb, "/", 1);
		if (rc == KW_OK)
			rc = strbuf_append(sb, p + start, len);
	}
	if (rc == KW_OK && sb->len == root)
		rc = strbuf_append(sb, "/", 1);
	return rc;
}

static char *clean_copy(const char *p, size_t n)
{
	struct strbuf sb;

	strbuf_init(&sb, URL_MAX);
	if (clean_path(&sb, p, n) != KW_OK) {
		strbuf_free(&sb);
		return NULL;
	}
	return strbuf_take(&sb);
}

static int build_origin(char **origin, const struct base_parts *b)
{
	struct strbuf sb;
	int rc;

	strbuf_init(&sb, URL_MAX);
	rc = strbuf_printf(&sb, "%s://%.*s", b->scheme_len == 5 ? "https" : "http",
		(int)b->authority_len, b->authority);
	*origin = rc == KW_OK ? strbuf_take(&sb) : NULL;
	strbuf_free(&sb);
	return rc == KW_OK && *origin == NULL ? KW_ENOMEM : rc;
}

int receiver_url_split_base(char **origin, char **base_path,
	const char *base, struct kw_err *err)
{
	struct base_parts b = { 0 };
	int rc = KW_OK;

	*origin = *base_path = NULL;
	if (base == NULL || base[0] == '\0') {
		*origin = strdup("");
		*base_path = strdup("/");
	} else if (strlen(base) > URL_MAX) {
		return kw_errf(err, KW_EINVAL, "base URL is over %zu bytes", URL_MAX);
	} else {
		rc = parse_base(&b, base, err);
		if (rc == KW_OK)
			rc = build_origin(origin, &b);
		if (rc == KW_OK)
			*base_path = clean_copy(b.path, b.path_len);
	}
	if (rc == KW_OK && (*origin == NULL || *base_path == NULL))
		rc = KW_ENOMEM;
	if (rc != KW_OK) {
		free(*origin);
		free(*base_path);
		*origin = *base_path = NULL;
	}
	return rc;
}

/* Lowercase hex SHA-256 of project, name and secret, with no separators:
 * the three are hashed in sequence rather than copied together, so the
 * secret is never duplicated in memory. */
static int receiver_hash(char out[65], const char *project, const char *name,
	const unsigned char *secret, size_t secret_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx != NULL &&
		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		EVP_DigestUpdate(ctx, project, strlen(project)) == 1 &&
		EVP_DigestUpdate(ctx, name, strlen(name)) == 1 &&
		(secret_len == 0 || EVP_DigestUpdate(ctx, secret, secret_len) == 1) &&
		EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len == sizeof(md);

	EVP_MD_CTX_free(ctx);
	if (!ok)
		return KW_ENOMEM;
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return KW_OK;
}

/* path.Join(basePath, kind, hex): everything joined, then cleaned. */
static char *join_path(const char *base_path, const char *kind,
	const char *hex)
{
	struct strbuf joined;
	char *out = NULL;

	strbuf_init(&joined, 2 * URL_MAX);
	if (strbuf_printf(&joined, "%s/%s/%s", base_path, kind, hex) == KW_OK)
		out = clean_copy(joined.buf, joined.len);
	strbuf_free(&joined);
	return out;
}

int receiver_url_build(struct receiver_url *out, const char *base_url,
	const char *kind, const char *project, const char *name,
	const unsigned char *secret, size_t secret_len, struct kw_err *err)
{
	char *origin = NULL, *base_path = NULL, hex[65];
	struct strbuf url;
	int rc;

	out->path = out->url = NULL;
	strbuf_init(&url, 2 * URL_MAX);
	rc = receiver_url_split_base(&origin, &base_path, base_url, err);
	if (rc == KW_OK)
		rc = receiver_hash(hex, project ? project : "", name ? name : "",
			secret, secret_len);
	if (rc == KW_OK) {
		out->path = join_path(base_path, kind ? kind : "", hex);
		rc = out->path ? strbuf_printf(&url, "%s%s", origin, out->path)
			       : KW_ENOMEM;
	}
	if (rc == KW_OK) {
		out->url = strbuf_take(&url);
		rc = out->url ? KW_OK : KW_ENOMEM;
	}
	if (rc != KW_OK)
		receiver_url_clear(out);
	strbuf_free(&url);
	free(origin);
	free(base_path);
	return rc;
}

void receiver_url_clear(struct receiver_url *out)
{
	if (out == NULL)
		return;
	free(out->path);
	free(out->url);
	out->path = out->url = NULL;
}
