/*
 * urlnorm.c: Kargo's urls.NormalizeGit (Kargo v1.11, pkg/urls/git.go and
 * pkg/urls/common.go), byte for byte.
 *
 * Kargo lowercases the URL with Go's Unicode rules, drops every
 * non-printable rune, trims spaces, and then either prints it again through
 * Go's net/url (http://, https://, ssh://) or rewrites the SCP form
 * "[user@]host[:path]" as ssh://. Warehouse subscriptions and webhook
 * payloads are compared after this step, so the output has to equal Go's
 * for every input, including the odd ones: this file carries the small part
 * of net/url that NormalizeGit reaches, as Go 1.26 (the toolchain named by
 * Kargo's go.mod, with that go.mod's default GODEBUG settings) implements it,
 * and the Unicode 15.0.0 tables Go 1.26 uses (generated at the end of this
 * file by scripts/gen_urlnorm_tables.py). Inputs are arbitrary bytes;
 * every step is linear in the input and every buffer has a computed bound.
 */
#include "urlnorm.h"

#include "kw.h"
#include "span.h"
#include "strbuf.h"
#include "utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Go 1.24+ makes ParseQuery return no values at all past this many
 * parameters (GODEBUG urlmaxqueryparams, default for Kargo's go 1.26). */
#define GO_MAX_QUERY_PARAMS 10000

/* Bytes that Go's output may add to the input's own: "ssh://", the "/"
 * after the host, a "./" or "%2F" in front of a path, with room to spare. */
#define OUTPUT_SLACK 64

/*
 * Scratch space for unescaped URL parts. Each part is unescaped from its own
 * piece of the input and unescaping never lengthens, so the length of the
 * input bounds the total and one allocation serves a whole call.
 */
struct arena {
	char *buf;
	size_t len;
	size_t cap;
};

/* Go's net/url "encoding" modes that NormalizeGit reaches. */
enum mode { M_PATH, M_HOST, M_ZONE, M_USERPASS, M_QUERY, M_FRAGMENT };

/* Go's url.URL; the spans point into the input or into the arena. */
struct gourl {
	struct span scheme, opaque, host, path, raw_path, raw_query;
	struct span fragment, raw_fragment, username, password;
	size_t parsed_path_len; /* Path's length before NormalizeGit trims it */
	bool has_user, has_password, force_query, omit_host;
};

struct lower_range {
	uint32_t lo, hi;
	int32_t delta;
	uint8_t stride;
};

/* The tables at the end of this file; the sizes must match them. */
static const uint32_t print_ranges[710][2];
static const struct lower_range lower_ranges[181];

/* ---- spans (span.h has the general searches) ---- */

/* The first index of "%25", which introduces an IPv6 zone. */
static size_t pct25_index(struct span s)
{
	for (size_t i = 0; i + 2 < s.n; i++)
		if (s.p[i] == '%' && s.p[i + 1] == '2' && s.p[i + 2] == '5')
			return i;
	return SPAN_NPOS;
}

/* ---- Unicode as Go 1.26 sees it ---- */

/* unicode.ToLower: simple (one rune to one rune) lowercase mapping. */
static uint32_t go_to_lower(uint32_t r)
{
	size_t lo = 0, hi = KW_ARRAY_LEN(lower_ranges);

	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct lower_range *e = &lower_ranges[mid];

		if (r < e->lo)
			hi = mid;
		else if (r > e->hi)
			lo = mid + 1;
		else if ((r - e->lo) % e->stride == 0)
			return (uint32_t)((int32_t)r + e->delta);
		else
			return r;
	}
	return r;
}

/* unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the
 * ASCII space; every other space and every control or format rune is not. */
static bool go_is_print(uint32_t r)
{
	size_t lo = 0, hi = KW_ARRAY_LEN(print_ranges);

	if (r < 0x80)
		return r >= 0x20 && r < 0x7F;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r < print_ranges[mid][0])
			hi = mid;
		else if (r > print_ranges[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/*
 * SanitizeURL(strings.ToLower(in)) (or SanitizeURL(in) without lower):
 * lowercase every rune, drop the non-printable ones anywhere, trim spaces
 * at both ends. Go turns each invalid UTF-8 byte into U+FFFD on the way, as
 * this does. A rune of width w never comes out longer than 3 * w bytes,
 * hence the bound. Lowercasing keeps a rune printable and never makes a
 * space, so lowering after sanitizing gives the same bytes.
 */
int urlnorm_sanitize(char **out, size_t *out_len, const char *in, size_t len,
	bool lower)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, j = 0, start = 0;
	char *buf;

	if (len > (SIZE_MAX - 1) / 3)
		return KW_ENOMEM;
	buf = malloc(3 * len + 1);
	if (buf == NULL)
		return KW_ENOMEM;
	while (i < len) {
		uint32_t r;

		i += utf8_decode(p + i, len - i, &r);
		if (lower)
			r = go_to_lower(r);
		if (go_is_print(r))
			j += utf8_encode((unsigned char *)buf + j, r);
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	while (start < j && buf[start] == ' ')
		start++;
	memmove(buf, buf + start, j - start);
	buf[j - start] = '\0';
	*out = buf;
	*out_len = j - start;
	return KW_OK;
}

/* ---- net/url escaping ---- */

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

static bool in_set(unsigned char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* shouldEscape: whether c must be written as %XX in this part of a URL. */
static bool should_escape(unsigned char c, enum mode m)
{
	if (is_alnum(c))
		return false;
	if ((m == M_HOST || m == M_ZONE) && in_set(c, "!$&'()*+,;=:[]<>\""))
		return false;
	if (in_set(c, "-_.~"))
		return false;
	if (in_set(c, "$&+,/:;=?@")) {
		switch (m) {
		case M_PATH:
			return c == '?';
		case M_USERPASS:
			return in_set(c, "@/?:");
		case M_QUERY:
			return true;
		case M_FRAGMENT:
			return false;
		default:
			break;
		}
	}
	if (m == M_FRAGMENT && in_set(c, "!()*"))
		return false;
	return true;
}

/* One "%XX" at s.p[i]: whether unescape accepts it in mode m. */
static bool pct_valid(struct span s, size_t i, enum mode m)
{
	const char *q = s.p + i;
	bool pct25;
	unsigned char v;

	if (i + 2 >= s.n || kw_hex_value(q[1]) < 0 || kw_hex_value(q[2]) < 0)
		return false;
	pct25 = q[1] == '2' && q[2] == '5';
	v = (unsigned char)((unsigned char)kw_hex_value(q[1]) << 4 | (unsigned char)kw_hex_value(q[2]));
	/* Hosts may only escape non-ASCII bytes, and "%25" for zones. */
	if (m == M_HOST && (unsigned char)kw_hex_value(q[1]) < 8 && !pct25)
		return false;
	if (m == M_ZONE && !pct25 && v != ' ' && should_escape(v, M_HOST))
		return false;
	return true;
}

/* The checking half of unescape: whether Go would return an error. */
static bool unescape_valid(struct span s, enum mode m)
{
	size_t i = 0;

	while (i < s.n) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == '%') {
			if (!pct_valid(s, i, m))
				return false;
			i += 3;
			continue;
		}
		if ((m == M_HOST || m == M_ZONE) && c < 0x80 && should_escape(c, m))
			return false;
		i++;
	}
	return true;
}

/* unescape into the arena; false where Go returns an error. Never called
 * for queries, so '+' stays '+'. */
static bool unescape(struct arena *a, struct span s, enum mode m,
	struct span *out)
{
	char *dst = a->buf + a->len;
	size_t j = 0;

	if (!unescape_valid(s, m) || s.n > a->cap - a->len)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] == '%') {
			dst[j++] = (char)((unsigned char)kw_hex_value((unsigned char)s.p[i + 1]) << 4 |
				(unsigned char)kw_hex_value((unsigned char)s.p[i + 2]));
			i += 2;
		} else {
			dst[j++] = s.p[i];
		}
	}
	a->len += j;
	out->p = dst;
	out->n = j;
	return true;
}

static bool arena_put(struct arena *a, struct span s)
{
	if (s.n > a->cap - a->len)
		return false;
	if (s.n > 0)
		memcpy(a->buf + a->len, s.p, s.n);
	a->len += s.n;
	return true;
}

static int escape(struct strbuf *sb, struct span s, enum mode m)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t start = 0;
	int rc = KW_OK;

	for (size_t i = 0; i < s.n && rc == KW_OK; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (!should_escape(c, m))
			continue;
		rc = strbuf_append(sb, s.p + start, i - start);
		if (rc == KW_OK) {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			rc = strbuf_append(sb, e, sizeof(e));
		}
		start = i + 1;
	}
	if (rc == KW_OK)
		rc = strbuf_append(sb, s.p + start, s.n - start);
	return rc;
}

/* Whether escape(dec, m) would give exactly raw, without building it. */
static bool escape_matches(struct span dec, struct span raw, enum mode m)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;

	for (size_t i = 0; i < dec.n; i++) {
		unsigned char c = (unsigned char)dec.p[i];

		if (!should_escape(c, m)) {
			if (j >= raw.n || raw.p[j] != dec.p[i])
				return false;
			j++;
			continue;
		}
		if (raw.n - j < 3 || raw.p[j] != '%' || raw.p[j + 1] != hex[c >> 4] ||
		    raw.p[j + 2] != hex[c & 15])
			return false;
		j += 3;
	}
	return j == raw.n;
}

/* validEncoded: whether s may be printed as it is. */
static bool valid_encoded(struct span s, enum mode m)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (in_set(c, "!$&'()*+,;=:@[]%"))
			continue;
		if (should_escape(c, m))
			return false;
	}
	return true;
}

/* ---- net/url parsing ---- */

/* validOptionalPort: "" or ":" followed by digits only. */
static bool valid_optional_port(struct span s)
{
	if (s.n == 0)
		return true;
	if (s.p[0] != ':')
		return false;
	for (size_t i = 1; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
	return true;
}

/* validUserinfo, which Go checks rune by rune: any non-ASCII byte fails. */
static bool valid_userinfo(struct span s)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (!is_alnum(c) && !in_set(c, "-._:~!$&'()*+,;=%@"))
			return false;
	}
	return true;
}

/* parseIPv4Fields for the IPv4 tail of an IPv6 address. */
static bool ipv4_fields_ok(struct span s)
{
	int val = 0, pos = 0, digits = 0;

	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];

		if (c >= '0' && c <= '9') {
			if (digits == 1 && val == 0)
				return false; /* leading zero */
			val = val * 10 + (c - '0');
			digits++;
			if (val > 255)
				return false;
		} else if (c == '.') {
			if (i == 0 || i == s.n - 1 || s.p[i - 1] == '.' || pos == 3)
				return false;
			pos++;
			val = 0;
			digits = 0;
		} else {
			return false;
		}
	}
	return pos == 3;
}

/* Leading hex digits of s, or 5 when there are more than four (an error
 * in Go, which stops at the fifth). */
static size_t hex_group(struct span s)
{
	size_t k = 0;

	while (k < s.n && k < 5 && kw_hex_value((unsigned char)s.p[k]) >= 0)
		k++;
	return k;
}

/* The group loop of netip's parseIPv6, over s (no zone). */
static bool ipv6_groups_ok(struct span s, bool ellipsis)
{
	size_t filled = 0;

	while (filled < 16) {
		size_t off = hex_group(s);

		if (off == 0 || off > 4)
			return false;
		if (off < s.n && s.p[off] == '.') {
			if ((!ellipsis && filled != 12) || filled + 4 > 16)
				return false;
			if (!ipv4_fields_ok(s))
				return false;
			filled += 4;
			s.n = 0;
			break;
		}
		filled += 2;
		s = span_tail(s, off);
		if (s.n == 0)
			break;
		if (s.p[0] != ':' || s.n == 1)
			return false;
		s = span_tail(s, 1);
		if (s.p[0] == ':') {
			if (ellipsis)
				return false;
			ellipsis = true;
			s = span_tail(s, 1);
			if (s.n == 0)
				break;
		}
	}
	if (s.n != 0)
		return false;
	/* Short needs "::"; full length forbids it (it stands for >= 1 group). */
	return filled < 16 ? ellipsis : !ellipsis;
}

/* netip.ParseAddr(s) succeeds with an IPv6 address. Go decides the family
 * by whichever of '.', ':' or '%' comes first; an IPv4 address in brackets
 * is rejected by net/url, so only ':' can succeed. */
static bool ipv6_ok(struct span s)
{
	size_t zone;

	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] == '.' || s.p[i] == '%')
			return false;
		if (s.p[i] == ':')
			break;
		if (i + 1 == s.n)
			return false;
	}
	if (s.n == 0)
		return false;
	zone = span_index(s, '%');
	if (zone != SPAN_NPOS) {
		if (zone + 1 == s.n)
			return false; /* empty zone */
		s.n = zone;
	}
	if (s.n >= 2 && s.p[0] == ':' && s.p[1] == ':') {
		if (s.n == 2)
			return true;
		return ipv6_groups_ok(span_tail(s, 2), true);
	}
	return ipv6_groups_ok(s, false);
}

/* parseHost for "[...]" hosts: an IPv6 literal, optional zone and port. */
static bool parse_ip_literal(struct arena *a, struct span h, struct span *out)
{
	size_t close = span_rindex(h, ']'), zone, mark = a->len;
	struct span name, port, part;

	if (close == SPAN_NPOS)
		return false;
	port = span_tail(h, close + 1);
	if (!valid_optional_port(port))
		return false;
	name = span_head(span_tail(h, 1), close - 1);
	zone = pct25_index(name);
	if (!arena_put(a, span_head(h, 1)))
		return false;
	if (zone == SPAN_NPOS) {
		if (!unescape(a, name, M_HOST, &part))
			return false;
	} else if (!unescape(a, span_head(name, zone), M_HOST, &part) ||
	    !unescape(a, span_tail(name, zone), M_ZONE, &part)) {
		return false;
	}
	part.p = a->buf + mark + 1;
	part.n = a->len - mark - 1;
	if (!ipv6_ok(part))
		return false;
	if (!arena_put(a, span_tail(h, close)))
		return false;
	out->p = a->buf + mark;
	out->n = a->len - mark;
	return true;
}

/*
 * parseHost. Since Go 1.26 (urlstrictcolons) an http or https host may hold
 * one colon only, the port's; other schemes keep the old rule that the port
 * follows the last colon.
 */
static bool parse_host(struct arena *a, struct span scheme, struct span h,
	struct span *out)
{
	size_t open = span_rindex(h, '['), colon;

	if (open != SPAN_NPOS)
		return open == 0 && parse_ip_literal(a, h, out);
	colon = span_index(h, ':');
	if (colon != SPAN_NPOS) {
		if (!span_eq(scheme, "http") && !span_eq(scheme, "https"))
			colon = span_rindex(h, ':');
		if (!valid_optional_port(span_tail(h, colon)))
			return false;
	}
	return unescape(a, h, M_HOST, out);
}

/* getScheme: "scheme:" with a letter first, else no scheme. Input here is
 * already lowercase, which Go's strings.ToLower(scheme) would ensure. */
static bool get_scheme(struct span raw, struct span *scheme, struct span *rest)
{
	scheme->p = raw.p;
	scheme->n = 0;
	*rest = raw;
	for (size_t i = 0; i < raw.n; i++) {
		unsigned char c = (unsigned char)raw.p[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			continue;
		if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
			if (i == 0)
				return true;
			continue;
		}
		if (c == ':') {
			if (i == 0)
				return false; /* "missing protocol scheme" */
			scheme->n = i;
			*rest = span_tail(raw, i + 1);
		}
		return true;
	}
	return true;
}

static bool set_path(struct arena *a, struct gourl *u, struct span p)
{
	if (!unescape(a, p, M_PATH, &u->path))
		return false;
	u->parsed_path_len = u->path.n;
	/* RawPath is kept only when it differs from Go's own escaping. */
	if (!escape_matches(u->path, p, M_PATH))
		u->raw_path = p;
	return true;
}

static bool set_fragment(struct arena *a, struct gourl *u, struct span f)
{
	if (!unescape(a, f, M_FRAGMENT, &u->fragment))
		return false;
	if (!escape_matches(u->fragment, f, M_FRAGMENT))
		u->raw_fragment = f;
	return true;
}

static bool parse_userinfo(struct arena *a, struct gourl *u, struct span ui)
{
	size_t colon = span_index(ui, ':');

	if (!valid_userinfo(ui))
		return false;
	u->has_user = true;
	if (colon == SPAN_NPOS)
		return unescape(a, ui, M_USERPASS, &u->username);
	u->has_password = true;
	return unescape(a, span_head(ui, colon), M_USERPASS, &u->username) &&
		unescape(a, span_tail(ui, colon + 1), M_USERPASS, &u->password);
}

/* The "//authority" after the scheme; rest becomes what follows it. */
static bool parse_authority(struct arena *a, struct gourl *u, struct span *rest)
{
	struct span auth = span_tail(*rest, 2);
	size_t slash = span_index(auth, '/'), at;

	*rest = span_tail(auth, auth.n);
	if (slash != SPAN_NPOS) {
		*rest = span_tail(auth, slash);
		auth.n = slash;
	}
	at = span_rindex(auth, '@');
	if (at == SPAN_NPOS)
		return parse_host(a, u->scheme, auth, &u->host);
	return parse_host(a, u->scheme, span_tail(auth, at + 1), &u->host) &&
		parse_userinfo(a, u, span_head(auth, at));
}

static void split_query(struct gourl *u, struct span *rest)
{
	size_t q;

	if (rest->n > 0 && rest->p[rest->n - 1] == '?' && span_count(*rest, '?') == 1) {
		u->force_query = true;
		rest->n--;
		return;
	}
	q = span_index(*rest, '?');
	if (q != SPAN_NPOS) {
		u->raw_query = span_tail(*rest, q + 1);
		rest->n = q;
	}
}

/* Whether the first '/'-separated segment of s holds a colon. */
static bool first_segment_has_colon(struct span s)
{
	size_t slash = span_index(s, '/');

	return span_index(slash == SPAN_NPOS ? s : span_head(s, slash), ':') != SPAN_NPOS;
}

static bool has_ctl_byte(struct span s)
{
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7F)
			return true;
	return false;
}

/* Go's parse(rawURL, viaRequest=false), fragment already cut off. */
static bool parse_reference(struct arena *a, struct span raw, struct gourl *u)
{
	struct span rest;

	if (has_ctl_byte(raw))
		return false;
	if (span_eq(raw, "*")) {
		u->path = raw;
		u->parsed_path_len = 1;
		return true;
	}
	if (!get_scheme(raw, &u->scheme, &rest))
		return false;
	split_query(u, &rest);
	if (!span_has_prefix(rest, "/")) {
		if (u->scheme.n > 0) {
			u->opaque = rest;
			return true;
		}
		/* A relative path's first segment may not hold a colon. */
		if (first_segment_has_colon(rest))
			return false;
	}
	if (span_has_prefix(rest, "//") &&
	    (u->scheme.n > 0 || !span_has_prefix(rest, "///"))) {
		if (!parse_authority(a, u, &rest))
			return false;
	} else if (u->scheme.n > 0 && span_has_prefix(rest, "/")) {
		u->omit_host = true;
	}
	return set_path(a, u, rest);
}

/* url.Parse. False wherever Go returns an error. */
static bool url_parse(struct arena *a, struct span raw, struct gourl *u)
{
	size_t hash = span_index(raw, '#');
	struct span frag = { raw.p, 0 };

	memset(u, 0, sizeof(*u));
	if (hash != SPAN_NPOS) {
		frag = span_tail(raw, hash + 1);
		raw.n = hash;
	}
	if (!parse_reference(a, raw, u))
		return false;
	return frag.n == 0 || set_fragment(a, u, frag);
}

/* len(u.Query()) > 0: some '&'-separated pair without ';' whose key and
 * value both unescape. Past the parameter limit Go returns no values. */
static bool query_has_params(struct span q)
{
	if (span_count(q, '&') + 1 > GO_MAX_QUERY_PARAMS)
		return false;
	while (q.n > 0) {
		size_t amp = span_index(q, '&');
		struct span kv = amp == SPAN_NPOS ? q : span_head(q, amp);
		size_t eq = span_index(kv, '=');

		q = amp == SPAN_NPOS ? span_tail(q, q.n) : span_tail(q, amp + 1);
		if (kv.n == 0 || span_index(kv, ';') != SPAN_NPOS)
			continue;
		if (eq == SPAN_NPOS && unescape_valid(kv, M_QUERY))
			return true;
		if (eq != SPAN_NPOS && unescape_valid(span_head(kv, eq), M_QUERY) &&
		    unescape_valid(span_tail(kv, eq + 1), M_QUERY))
			return true;
	}
	return false;
}

/* ---- net/url printing ---- */

static int put(struct strbuf *sb, struct span s)
{
	return strbuf_append(sb, s.p, s.n);
}

static int put_lit(struct strbuf *sb, const char *s)
{
	return strbuf_append(sb, s, strlen(s));
}

/* EscapedPath. Unescaping RawPath gives the path as parsed, so RawPath
 * still describes Path exactly when Path was not trimmed since. */
static int escaped_path(struct strbuf *sb, const struct gourl *u)
{
	if (u->raw_path.n > 0 && valid_encoded(u->raw_path, M_PATH) &&
	    u->path.n == u->parsed_path_len)
		return put(sb, u->raw_path);
	if (span_eq(u->path, "*"))
		return put_lit(sb, "*");
	return escape(sb, u->path, M_PATH);
}

/* EscapedFragment; NormalizeGit never changes the fragment. */
static int escaped_fragment(struct strbuf *sb, const struct gourl *u)
{
	if (u->raw_fragment.n > 0 && valid_encoded(u->raw_fragment, M_FRAGMENT))
		return put(sb, u->raw_fragment);
	return escape(sb, u->fragment, M_FRAGMENT);
}

static int write_authority(struct strbuf *sb, const struct gourl *u)
{
	int rc = KW_OK;

	if (u->scheme.n == 0 && u->host.n == 0 && !u->has_user)
		return KW_OK;
	if (u->omit_host && u->host.n == 0 && !u->has_user)
		return KW_OK;
	if (u->host.n > 0 || u->path.n > 0 || u->has_user)
		rc = put_lit(sb, "//");
	if (rc == KW_OK && u->has_user) {
		rc = escape(sb, u->username, M_USERPASS);
		if (rc == KW_OK && u->has_password)
			rc = put_lit(sb, ":");
		if (rc == KW_OK && u->has_password)
			rc = escape(sb, u->password, M_USERPASS);
		if (rc == KW_OK)
			rc = put_lit(sb, "@");
	}
	if (rc == KW_OK && u->host.n > 0)
		rc = escape(sb, u->host, M_HOST);
	return rc;
}

/* The path part of URL.String; start is where this URL's text begins. */
static int write_path(struct strbuf *sb, const struct gourl *u, size_t start)
{
	struct strbuf tmp;
	struct span p;
	int rc;

	strbuf_init(&tmp, sb->max);
	rc = escaped_path(&tmp, u);
	p.p = tmp.buf ? tmp.buf : "";
	p.n = tmp.len;
	/* An authority-less "//x" path would read back as a host. */
	if (rc == KW_OK && u->omit_host && u->host.n == 0 && !u->has_user &&
	    span_has_prefix(p, "//")) {
		rc = put_lit(sb, "%2F");
		p = span_tail(p, 1);
	}
	if (rc == KW_OK && p.n > 0 && p.p[0] != '/' && u->host.n > 0)
		rc = put_lit(sb, "/");
	/* A first segment with a colon would read back as a scheme. */
	if (rc == KW_OK && sb->len == start && first_segment_has_colon(p))
		rc = put_lit(sb, "./");
	if (rc == KW_OK)
		rc = put(sb, p);
	strbuf_free(&tmp);
	return rc;
}

/* URL.String. */
static int url_string(struct strbuf *sb, const struct gourl *u)
{
	size_t start = sb->len;
	int rc = KW_OK;

	if (u->scheme.n > 0) {
		rc = put(sb, u->scheme);
		if (rc == KW_OK)
			rc = put_lit(sb, ":");
	}
	if (rc == KW_OK && u->opaque.n > 0)
		rc = put(sb, u->opaque);
	else if (rc == KW_OK)
		rc = write_authority(sb, u);
	if (rc == KW_OK && u->opaque.n == 0)
		rc = write_path(sb, u, start);
	if (rc == KW_OK && (u->force_query || u->raw_query.n > 0)) {
		rc = put_lit(sb, "?");
		if (rc == KW_OK)
			rc = put(sb, u->raw_query);
	}
	if (rc == KW_OK && u->fragment.n > 0) {
		rc = put_lit(sb, "#");
		if (rc == KW_OK)
			rc = escaped_fragment(sb, u);
	}
	return rc;
}

/* ---- NormalizeGit ---- */

/* strings.TrimSuffix(path, "/") then strings.TrimSuffix(path, ".git"). */
static void trim_path(struct gourl *u)
{
	if (u->path.n >= 1 && u->path.p[u->path.n - 1] == '/')
		u->path.n--;
	if (u->path.n >= 4 && memcmp(u->path.p + u->path.n - 4, ".git", 4) == 0)
		u->path.n -= 4;
}

/* http(s):// and ssh:// URLs: parse, refuse queries, drop the user for
 * http(s), trim the path and print. */
static int normalize_url(struct strbuf *sb, struct arena *a, struct span s,
	bool keep_user, bool *as_given)
{
	struct gourl u;

	if (!url_parse(a, s, &u) || query_has_params(u.raw_query)) {
		*as_given = true;
		return KW_OK;
	}
	if (!keep_user)
		u.has_user = u.has_password = false;
	trim_path(&u);
	return url_string(sb, &u);
}

static bool is_word(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '-';
}

/*
 * Kargo's scpSyntaxRegex, ^((?:[\w-]+@)?[\w-]+(?:\.[\w-]+)*)(?::(.*))?$,
 * which has exactly one way to match: an optional "user@" (no dots), then
 * dot-separated host labels, then the end or ':' and anything. Sets *end to
 * the end of "[user@]host".
 */
static bool scp_match(struct span s, size_t *end)
{
	size_t i = 0;

	while (i < s.n && is_word((unsigned char)s.p[i]))
		i++;
	i = i > 0 && i < s.n && s.p[i] == '@' ? i + 1 : 0;
	for (;;) {
		size_t label = i;

		while (i < s.n && is_word((unsigned char)s.p[i]))
			i++;
		if (i == label)
			return false;
		if (i < s.n && s.p[i] == '.') {
			i++;
			continue;
		}
		break;
	}
	if (i < s.n && s.p[i] != ':')
		return false;
	*end = i;
	return true;
}

/* "[user@]host[:path]" becomes ssh://[user@]host[/path], the path going
 * through url.Parse and URL.String like Kargo's. */
static int normalize_scp(struct strbuf *sb, struct arena *a, struct span s,
	bool *as_given)
{
	struct span path = { s.p, 0 };
	struct gourl u;
	size_t end;
	int rc;

	if (!scp_match(s, &end)) {
		*as_given = true;
		return KW_OK;
	}
	if (end < s.n)
		path = span_tail(s, end + 1);
	if (!url_parse(a, path, &u)) {
		*as_given = true;
		return KW_OK;
	}
	trim_path(&u);
	rc = put_lit(sb, "ssh://");
	if (rc == KW_OK)
		rc = put(sb, span_head(s, end));
	if (rc == KW_OK && u.path.n > 0) {
		rc = put_lit(sb, "/");
		if (rc == KW_OK)
			rc = url_string(sb, &u);
	}
	return rc;
}

static int normalize(struct strbuf *sb, struct arena *a, struct span s,
	bool *as_given)
{
	if (span_has_prefix(s, "http://") || span_has_prefix(s, "https://"))
		return normalize_url(sb, a, s, false, as_given);
	if (span_has_prefix(s, "ssh://"))
		return normalize_url(sb, a, s, true, as_given);
	return normalize_scp(sb, a, s, as_given);
}

int urlnorm_git(char **out, const char *in, size_t len)
{
	struct arena a = { NULL, 0, 0 };
	struct strbuf sb;
	char *clean = NULL;
	size_t clean_len = 0;
	bool as_given = false;
	int rc;

	*out = NULL;
	strbuf_init(&sb, 0);
	rc = urlnorm_sanitize(&clean, &clean_len, in, len, true);
	if (rc != KW_OK)
		goto out;
	a.cap = clean_len + 1;
	a.buf = malloc(a.cap);
	if (a.buf == NULL || clean_len > (SIZE_MAX - OUTPUT_SLACK) / 3) {
		rc = KW_ENOMEM;
		goto out;
	}
	/* Escaping at most triples a byte; see OUTPUT_SLACK for the rest. */
	strbuf_init(&sb, 3 * clean_len + OUTPUT_SLACK);
	rc = normalize(&sb, &a, (struct span){ clean, clean_len }, &as_given);
	if (rc != KW_OK)
		goto out;
	/* Kargo returns anything it cannot normalize exactly as given. */
	*out = as_given ? kw_strndup(in, len) : strbuf_take(&sb);
	if (*out == NULL)
		rc = KW_ENOMEM;
out:
	strbuf_free(&sb);
	free(a.buf);
	free(clean);
	return rc;
}

/* ---- net/url checks for other normalizers (imagenorm.c) ---- */

/* One url.Parse(prefix + in) for the checks below: u points into buf and
 * arena, which go_parse_free() releases. */
struct go_parse {
	struct gourl u;
	char *buf;
	char *arena;
};

/* *ok is false where Go returns an error. KW_OK or KW_ENOMEM; p is to be
 * freed either way. */
static int go_parse(struct go_parse *p, bool *ok, const char *prefix,
	const char *in, size_t len)
{
	size_t plen = strlen(prefix);
	struct arena a = { NULL, 0, 0 };

	*ok = false;
	p->buf = NULL;
	p->arena = NULL;
	if (len > SIZE_MAX - plen - 1)
		return KW_ENOMEM;
	p->buf = malloc(plen + len + 1);
	a.cap = plen + len + 1;
	a.buf = malloc(a.cap);
	p->arena = a.buf;
	if (p->buf == NULL || a.buf == NULL)
		return KW_ENOMEM;
	memcpy(p->buf, prefix, plen);
	if (len > 0)
		memcpy(p->buf + plen, in, len);
	*ok = url_parse(&a, (struct span){ p->buf, plen + len }, &p->u);
	return KW_OK;
}

static void go_parse_free(struct go_parse *p)
{
	free(p->buf);
	free(p->arena);
}

int urlnorm_go_parses(bool *ok, const char *in, size_t len)
{
	struct go_parse p;
	int rc = go_parse(&p, ok, "", in, len);

	go_parse_free(&p);
	return rc;
}

int urlnorm_go_host(char **out, bool *ok, const char *in, size_t len)
{
	struct go_parse p;
	int rc = go_parse(&p, ok, "", in, len);
	const struct span *host = &p.u.host;

	*out = NULL;
	if (rc == KW_OK && *ok) {
		*out = kw_strndup(host->n ? host->p : "", host->n);
		if (*out == NULL)
			rc = KW_ENOMEM;
	}
	go_parse_free(&p);
	return rc;
}

bool urlnorm_go_is_print(uint32_t r)
{
	return go_is_print(r);
}

int urlnorm_go_authority(bool *ok, const char *name, size_t len)
{
	struct go_parse p;
	int rc = go_parse(&p, ok, "//", name, len);
	const struct span *host = &p.u.host;

	*ok = *ok && host->n == len && (len == 0 || memcmp(host->p, name, len) == 0);
	go_parse_free(&p);
	return rc;
}

/*
 * Unicode 15.0.0 (Go 1.21 to 1.26), from UnicodeData.txt. print_ranges
 * lists the code points from U+0080 up in categories L, M, N, P and S
 * (Go's unicode.PrintRanges); lower_ranges gives the simple lowercase
 * mappings (UnicodeData field 13, Go's unicode.ToLower): within [lo, hi]
 * every stride-th code point from lo maps to itself plus delta.
 *
 * Generated by scripts/gen_urlnorm_tables.py from Debian's unicode-data
 * package; do not edit. After changing the generator or the Unicode
 * version, run
 *	python3 scripts/gen_urlnorm_tables.py --write src/urlnorm.c
 * and make check compares the two (tests/urlnorm_tables.sh).
 */
/* clang-format off */
static const uint32_t print_ranges[710][2] = {
	{0xA1, 0xAC}, {0xAE, 0x377}, {0x37A, 0x37F}, {0x384, 0x38A},
	{0x38C, 0x38C}, {0x38E, 0x3A1}, {0x3A3, 0x52F}, {0x531, 0x556},
	{0x559, 0x58A}, {0x58D, 0x58F}, {0x591, 0x5C7}, {0x5D0, 0x5EA},
	{0x5EF, 0x5F4}, {0x606, 0x61B}, {0x61D, 0x6DC}, {0x6DE, 0x70D},
	{0x710, 0x74A}, {0x74D, 0x7B1}, {0x7C0, 0x7FA}, {0x7FD, 0x82D},
	{0x830, 0x83E}, {0x840, 0x85B}, {0x85E, 0x85E}, {0x860, 0x86A},
	{0x870, 0x88E}, {0x898, 0x8E1}, {0x8E3, 0x983}, {0x985, 0x98C},
	{0x98F, 0x990}, {0x993, 0x9A8}, {0x9AA, 0x9B0}, {0x9B2, 0x9B2},
	{0x9B6, 0x9B9}, {0x9BC, 0x9C4}, {0x9C7, 0x9C8}, {0x9CB, 0x9CE},
	{0x9D7, 0x9D7}, {0x9DC, 0x9DD}, {0x9DF, 0x9E3}, {0x9E6, 0x9FE},
	{0xA01, 0xA03}, {0xA05, 0xA0A}, {0xA0F, 0xA10}, {0xA13, 0xA28},
	{0xA2A, 0xA30}, {0xA32, 0xA33}, {0xA35, 0xA36}, {0xA38, 0xA39},
	{0xA3C, 0xA3C}, {0xA3E, 0xA42}, {0xA47, 0xA48}, {0xA4B, 0xA4D},
	{0xA51, 0xA51}, {0xA59, 0xA5C}, {0xA5E, 0xA5E}, {0xA66, 0xA76},
	{0xA81, 0xA83}, {0xA85, 0xA8D}, {0xA8F, 0xA91}, {0xA93, 0xAA8},
	{0xAAA, 0xAB0}, {0xAB2, 0xAB3}, {0xAB5, 0xAB9}, {0xABC, 0xAC5},
	{0xAC7, 0xAC9}, {0xACB, 0xACD}, {0xAD0, 0xAD0}, {0xAE0, 0xAE3},
	{0xAE6, 0xAF1}, {0xAF9, 0xAFF}, {0xB01, 0xB03}, {0xB05, 0xB0C},
	{0xB0F, 0xB10}, {0xB13, 0xB28}, {0xB2A, 0xB30}, {0xB32, 0xB33},
	{0xB35, 0xB39}, {0xB3C, 0xB44}, {0xB47, 0xB48}, {0xB4B, 0xB4D},
	{0xB55, 0xB57}, {0xB5C, 0xB5D}, {0xB5F, 0xB63}, {0xB66, 0xB77},
	{0xB82, 0xB83}, {0xB85, 0xB8A}, {0xB8E, 0xB90}, {0xB92, 0xB95},
	{0xB99, 0xB9A}, {0xB9C, 0xB9C}, {0xB9E, 0xB9F}, {0xBA3, 0xBA4},
	{0xBA8, 0xBAA}, {0xBAE, 0xBB9}, {0xBBE, 0xBC2}, {0xBC6, 0xBC8},
	{0xBCA, 0xBCD}, {0xBD0, 0xBD0}, {0xBD7, 0xBD7}, {0xBE6, 0xBFA},
	{0xC00, 0xC0C}, {0xC0E, 0xC10}, {0xC12, 0xC28}, {0xC2A, 0xC39},
	{0xC3C, 0xC44}, {0xC46, 0xC48}, {0xC4A, 0xC4D}, {0xC55, 0xC56},
	{0xC58, 0xC5A}, {0xC5D, 0xC5D}, {0xC60, 0xC63}, {0xC66, 0xC6F},
	{0xC77, 0xC8C}, {0xC8E, 0xC90}, {0xC92, 0xCA8}, {0xCAA, 0xCB3},
	{0xCB5, 0xCB9}, {0xCBC, 0xCC4}, {0xCC6, 0xCC8}, {0xCCA, 0xCCD},
	{0xCD5, 0xCD6}, {0xCDD, 0xCDE}, {0xCE0, 0xCE3}, {0xCE6, 0xCEF},
	{0xCF1, 0xCF3}, {0xD00, 0xD0C}, {0xD0E, 0xD10}, {0xD12, 0xD44},
	{0xD46, 0xD48}, {0xD4A, 0xD4F}, {0xD54, 0xD63}, {0xD66, 0xD7F},
	{0xD81, 0xD83}, {0xD85, 0xD96}, {0xD9A, 0xDB1}, {0xDB3, 0xDBB},
	{0xDBD, 0xDBD}, {0xDC0, 0xDC6}, {0xDCA, 0xDCA}, {0xDCF, 0xDD4},
	{0xDD6, 0xDD6}, {0xDD8, 0xDDF}, {0xDE6, 0xDEF}, {0xDF2, 0xDF4},
	{0xE01, 0xE3A}, {0xE3F, 0xE5B}, {0xE81, 0xE82}, {0xE84, 0xE84},
	{0xE86, 0xE8A}, {0xE8C, 0xEA3}, {0xEA5, 0xEA5}, {0xEA7, 0xEBD},
	{0xEC0, 0xEC4}, {0xEC6, 0xEC6}, {0xEC8, 0xECE}, {0xED0, 0xED9},
	{0xEDC, 0xEDF}, {0xF00, 0xF47}, {0xF49, 0xF6C}, {0xF71, 0xF97},
	{0xF99, 0xFBC}, {0xFBE, 0xFCC}, {0xFCE, 0xFDA}, {0x1000, 0x10C5},
	{0x10C7, 0x10C7}, {0x10CD, 0x10CD}, {0x10D0, 0x1248}, {0x124A, 0x124D},
	{0x1250, 0x1256}, {0x1258, 0x1258}, {0x125A, 0x125D}, {0x1260, 0x1288},
	{0x128A, 0x128D}, {0x1290, 0x12B0}, {0x12B2, 0x12B5}, {0x12B8, 0x12BE},
	{0x12C0, 0x12C0}, {0x12C2, 0x12C5}, {0x12C8, 0x12D6}, {0x12D8, 0x1310},
	{0x1312, 0x1315}, {0x1318, 0x135A}, {0x135D, 0x137C}, {0x1380, 0x1399},
	{0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1400, 0x167F}, {0x1681, 0x169C},
	{0x16A0, 0x16F8}, {0x1700, 0x1715}, {0x171F, 0x1736}, {0x1740, 0x1753},
	{0x1760, 0x176C}, {0x176E, 0x1770}, {0x1772, 0x1773}, {0x1780, 0x17DD},
	{0x17E0, 0x17E9}, {0x17F0, 0x17F9}, {0x1800, 0x180D}, {0x180F, 0x1819},
	{0x1820, 0x1878}, {0x1880, 0x18AA}, {0x18B0, 0x18F5}, {0x1900, 0x191E},
	{0x1920, 0x192B}, {0x1930, 0x193B}, {0x1940, 0x1940}, {0x1944, 0x196D},
	{0x1970, 0x1974}, {0x1980, 0x19AB}, {0x19B0, 0x19C9}, {0x19D0, 0x19DA},
	{0x19DE, 0x1A1B}, {0x1A1E, 0x1A5E}, {0x1A60, 0x1A7C}, {0x1A7F, 0x1A89},
	{0x1A90, 0x1A99}, {0x1AA0, 0x1AAD}, {0x1AB0, 0x1ACE}, {0x1B00, 0x1B4C},
	{0x1B50, 0x1B7E}, {0x1B80, 0x1BF3}, {0x1BFC, 0x1C37}, {0x1C3B, 0x1C49},
	{0x1C4D, 0x1C88}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CC7}, {0x1CD0, 0x1CFA},
	{0x1D00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D},
	{0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D},
	{0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FC4}, {0x1FC6, 0x1FD3},
	{0x1FD6, 0x1FDB}, {0x1FDD, 0x1FEF}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFE},
	{0x2010, 0x2027}, {0x2030, 0x205E}, {0x2070, 0x2071}, {0x2074, 0x208E},
	{0x2090, 0x209C}, {0x20A0, 0x20C0}, {0x20D0, 0x20F0}, {0x2100, 0x218B},
	{0x2190, 0x2426}, {0x2440, 0x244A}, {0x2460, 0x2B73}, {0x2B76, 0x2B95},
	{0x2B97, 0x2CF3}, {0x2CF9, 0x2D25}, {0x2D27, 0x2D27}, {0x2D2D, 0x2D2D},
	{0x2D30, 0x2D67}, {0x2D6F, 0x2D70}, {0x2D7F, 0x2D96}, {0x2DA0, 0x2DA6},
	{0x2DA8, 0x2DAE}, {0x2DB0, 0x2DB6}, {0x2DB8, 0x2DBE}, {0x2DC0, 0x2DC6},
	{0x2DC8, 0x2DCE}, {0x2DD0, 0x2DD6}, {0x2DD8, 0x2DDE}, {0x2DE0, 0x2E5D},
	{0x2E80, 0x2E99}, {0x2E9B, 0x2EF3}, {0x2F00, 0x2FD5}, {0x2FF0, 0x2FFB},
	{0x3001, 0x303F}, {0x3041, 0x3096}, {0x3099, 0x30FF}, {0x3105, 0x312F},
	{0x3131, 0x318E}, {0x3190, 0x31E3}, {0x31F0, 0x321E}, {0x3220, 0xA48C},
	{0xA490, 0xA4C6}, {0xA4D0, 0xA62B}, {0xA640, 0xA6F7}, {0xA700, 0xA7CA},
	{0xA7D0, 0xA7D1}, {0xA7D3, 0xA7D3}, {0xA7D5, 0xA7D9}, {0xA7F2, 0xA82C},
	{0xA830, 0xA839}, {0xA840, 0xA877}, {0xA880, 0xA8C5}, {0xA8CE, 0xA8D9},
	{0xA8E0, 0xA953}, {0xA95F, 0xA97C}, {0xA980, 0xA9CD}, {0xA9CF, 0xA9D9},
	{0xA9DE, 0xA9FE}, {0xAA00, 0xAA36}, {0xAA40, 0xAA4D}, {0xAA50, 0xAA59},
	{0xAA5C, 0xAAC2}, {0xAADB, 0xAAF6}, {0xAB01, 0xAB06}, {0xAB09, 0xAB0E},
	{0xAB11, 0xAB16}, {0xAB20, 0xAB26}, {0xAB28, 0xAB2E}, {0xAB30, 0xAB6B},
	{0xAB70, 0xABED}, {0xABF0, 0xABF9}, {0xAC00, 0xD7A3}, {0xD7B0, 0xD7C6},
	{0xD7CB, 0xD7FB}, {0xF900, 0xFA6D}, {0xFA70, 0xFAD9}, {0xFB00, 0xFB06},
	{0xFB13, 0xFB17}, {0xFB1D, 0xFB36}, {0xFB38, 0xFB3C}, {0xFB3E, 0xFB3E},
	{0xFB40, 0xFB41}, {0xFB43, 0xFB44}, {0xFB46, 0xFBC2}, {0xFBD3, 0xFD8F},
	{0xFD92, 0xFDC7}, {0xFDCF, 0xFDCF}, {0xFDF0, 0xFE19}, {0xFE20, 0xFE52},
	{0xFE54, 0xFE66}, {0xFE68, 0xFE6B}, {0xFE70, 0xFE74}, {0xFE76, 0xFEFC},
	{0xFF01, 0xFFBE}, {0xFFC2, 0xFFC7}, {0xFFCA, 0xFFCF}, {0xFFD2, 0xFFD7},
	{0xFFDA, 0xFFDC}, {0xFFE0, 0xFFE6}, {0xFFE8, 0xFFEE}, {0xFFFC, 0xFFFD},
	{0x10000, 0x1000B}, {0x1000D, 0x10026}, {0x10028, 0x1003A},
	{0x1003C, 0x1003D}, {0x1003F, 0x1004D}, {0x10050, 0x1005D},
	{0x10080, 0x100FA}, {0x10100, 0x10102}, {0x10107, 0x10133},
	{0x10137, 0x1018E}, {0x10190, 0x1019C}, {0x101A0, 0x101A0},
	{0x101D0, 0x101FD}, {0x10280, 0x1029C}, {0x102A0, 0x102D0},
	{0x102E0, 0x102FB}, {0x10300, 0x10323}, {0x1032D, 0x1034A},
	{0x10350, 0x1037A}, {0x10380, 0x1039D}, {0x1039F, 0x103C3},
	{0x103C8, 0x103D5}, {0x10400, 0x1049D}, {0x104A0, 0x104A9},
	{0x104B0, 0x104D3}, {0x104D8, 0x104FB}, {0x10500, 0x10527},
	{0x10530, 0x10563}, {0x1056F, 0x1057A}, {0x1057C, 0x1058A},
	{0x1058C, 0x10592}, {0x10594, 0x10595}, {0x10597, 0x105A1},
	{0x105A3, 0x105B1}, {0x105B3, 0x105B9}, {0x105BB, 0x105BC},
	{0x10600, 0x10736}, {0x10740, 0x10755}, {0x10760, 0x10767},
	{0x10780, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA},
	{0x10800, 0x10805}, {0x10808, 0x10808}, {0x1080A, 0x10835},
	{0x10837, 0x10838}, {0x1083C, 0x1083C}, {0x1083F, 0x10855},
	{0x10857, 0x1089E}, {0x108A7, 0x108AF}, {0x108E0, 0x108F2},
	{0x108F4, 0x108F5}, {0x108FB, 0x1091B}, {0x1091F, 0x10939},
	{0x1093F, 0x1093F}, {0x10980, 0x109B7}, {0x109BC, 0x109CF},
	{0x109D2, 0x10A03}, {0x10A05, 0x10A06}, {0x10A0C, 0x10A13},
	{0x10A15, 0x10A17}, {0x10A19, 0x10A35}, {0x10A38, 0x10A3A},
	{0x10A3F, 0x10A48}, {0x10A50, 0x10A58}, {0x10A60, 0x10A9F},
	{0x10AC0, 0x10AE6}, {0x10AEB, 0x10AF6}, {0x10B00, 0x10B35},
	{0x10B39, 0x10B55}, {0x10B58, 0x10B72}, {0x10B78, 0x10B91},
	{0x10B99, 0x10B9C}, {0x10BA9, 0x10BAF}, {0x10C00, 0x10C48},
	{0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x10CFA, 0x10D27},
	{0x10D30, 0x10D39}, {0x10E60, 0x10E7E}, {0x10E80, 0x10EA9},
	{0x10EAB, 0x10EAD}, {0x10EB0, 0x10EB1}, {0x10EFD, 0x10F27},
	{0x10F30, 0x10F59}, {0x10F70, 0x10F89}, {0x10FB0, 0x10FCB},
	{0x10FE0, 0x10FF6}, {0x11000, 0x1104D}, {0x11052, 0x11075},
	{0x1107F, 0x110BC}, {0x110BE, 0x110C2}, {0x110D0, 0x110E8},
	{0x110F0, 0x110F9}, {0x11100, 0x11134}, {0x11136, 0x11147},
	{0x11150, 0x11176}, {0x11180, 0x111DF}, {0x111E1, 0x111F4},
	{0x11200, 0x11211}, {0x11213, 0x11241}, {0x11280, 0x11286},
	{0x11288, 0x11288}, {0x1128A, 0x1128D}, {0x1128F, 0x1129D},
	{0x1129F, 0x112A9}, {0x112B0, 0x112EA}, {0x112F0, 0x112F9},
	{0x11300, 0x11303}, {0x11305, 0x1130C}, {0x1130F, 0x11310},
	{0x11313, 0x11328}, {0x1132A, 0x11330}, {0x11332, 0x11333},
	{0x11335, 0x11339}, {0x1133B, 0x11344}, {0x11347, 0x11348},
	{0x1134B, 0x1134D}, {0x11350, 0x11350}, {0x11357, 0x11357},
	{0x1135D, 0x11363}, {0x11366, 0x1136C}, {0x11370, 0x11374},
	{0x11400, 0x1145B}, {0x1145D, 0x11461}, {0x11480, 0x114C7},
	{0x114D0, 0x114D9}, {0x11580, 0x115B5}, {0x115B8, 0x115DD},
	{0x11600, 0x11644}, {0x11650, 0x11659}, {0x11660, 0x1166C},
	{0x11680, 0x116B9}, {0x116C0, 0x116C9}, {0x11700, 0x1171A},
	{0x1171D, 0x1172B}, {0x11730, 0x11746}, {0x11800, 0x1183B},
	{0x118A0, 0x118F2}, {0x118FF, 0x11906}, {0x11909, 0x11909},
	{0x1190C, 0x11913}, {0x11915, 0x11916}, {0x11918, 0x11935},
	{0x11937, 0x11938}, {0x1193B, 0x11946}, {0x11950, 0x11959},
	{0x119A0, 0x119A7}, {0x119AA, 0x119D7}, {0x119DA, 0x119E4},
	{0x11A00, 0x11A47}, {0x11A50, 0x11AA2}, {0x11AB0, 0x11AF8},
	{0x11B00, 0x11B09}, {0x11C00, 0x11C08}, {0x11C0A, 0x11C36},
	{0x11C38, 0x11C45}, {0x11C50, 0x11C6C}, {0x11C70, 0x11C8F},
	{0x11C92, 0x11CA7}, {0x11CA9, 0x11CB6}, {0x11D00, 0x11D06},
	{0x11D08, 0x11D09}, {0x11D0B, 0x11D36}, {0x11D3A, 0x11D3A},
	{0x11D3C, 0x11D3D}, {0x11D3F, 0x11D47}, {0x11D50, 0x11D59},
	{0x11D60, 0x11D65}, {0x11D67, 0x11D68}, {0x11D6A, 0x11D8E},
	{0x11D90, 0x11D91}, {0x11D93, 0x11D98}, {0x11DA0, 0x11DA9},
	{0x11EE0, 0x11EF8}, {0x11F00, 0x11F10}, {0x11F12, 0x11F3A},
	{0x11F3E, 0x11F59}, {0x11FB0, 0x11FB0}, {0x11FC0, 0x11FF1},
	{0x11FFF, 0x12399}, {0x12400, 0x1246E}, {0x12470, 0x12474},
	{0x12480, 0x12543}, {0x12F90, 0x12FF2}, {0x13000, 0x1342F},
	{0x13440, 0x13455}, {0x14400, 0x14646}, {0x16800, 0x16A38},
	{0x16A40, 0x16A5E}, {0x16A60, 0x16A69}, {0x16A6E, 0x16ABE},
	{0x16AC0, 0x16AC9}, {0x16AD0, 0x16AED}, {0x16AF0, 0x16AF5},
	{0x16B00, 0x16B45}, {0x16B50, 0x16B59}, {0x16B5B, 0x16B61},
	{0x16B63, 0x16B77}, {0x16B7D, 0x16B8F}, {0x16E40, 0x16E9A},
	{0x16F00, 0x16F4A}, {0x16F4F, 0x16F87}, {0x16F8F, 0x16F9F},
	{0x16FE0, 0x16FE4}, {0x16FF0, 0x16FF1}, {0x17000, 0x187F7},
	{0x18800, 0x18CD5}, {0x18D00, 0x18D08}, {0x1AFF0, 0x1AFF3},
	{0x1AFF5, 0x1AFFB}, {0x1AFFD, 0x1AFFE}, {0x1B000, 0x1B122},
	{0x1B132, 0x1B132}, {0x1B150, 0x1B152}, {0x1B155, 0x1B155},
	{0x1B164, 0x1B167}, {0x1B170, 0x1B2FB}, {0x1BC00, 0x1BC6A},
	{0x1BC70, 0x1BC7C}, {0x1BC80, 0x1BC88}, {0x1BC90, 0x1BC99},
	{0x1BC9C, 0x1BC9F}, {0x1CF00, 0x1CF2D}, {0x1CF30, 0x1CF46},
	{0x1CF50, 0x1CFC3}, {0x1D000, 0x1D0F5}, {0x1D100, 0x1D126},
	{0x1D129, 0x1D172}, {0x1D17B, 0x1D1EA}, {0x1D200, 0x1D245},
	{0x1D2C0, 0x1D2D3}, {0x1D2E0, 0x1D2F3}, {0x1D300, 0x1D356},
	{0x1D360, 0x1D378}, {0x1D400, 0x1D454}, {0x1D456, 0x1D49C},
	{0x1D49E, 0x1D49F}, {0x1D4A2, 0x1D4A2}, {0x1D4A5, 0x1D4A6},
	{0x1D4A9, 0x1D4AC}, {0x1D4AE, 0x1D4B9}, {0x1D4BB, 0x1D4BB},
	{0x1D4BD, 0x1D4C3}, {0x1D4C5, 0x1D505}, {0x1D507, 0x1D50A},
	{0x1D50D, 0x1D514}, {0x1D516, 0x1D51C}, {0x1D51E, 0x1D539},
	{0x1D53B, 0x1D53E}, {0x1D540, 0x1D544}, {0x1D546, 0x1D546},
	{0x1D54A, 0x1D550}, {0x1D552, 0x1D6A5}, {0x1D6A8, 0x1D7CB},
	{0x1D7CE, 0x1DA8B}, {0x1DA9B, 0x1DA9F}, {0x1DAA1, 0x1DAAF},
	{0x1DF00, 0x1DF1E}, {0x1DF25, 0x1DF2A}, {0x1E000, 0x1E006},
	{0x1E008, 0x1E018}, {0x1E01B, 0x1E021}, {0x1E023, 0x1E024},
	{0x1E026, 0x1E02A}, {0x1E030, 0x1E06D}, {0x1E08F, 0x1E08F},
	{0x1E100, 0x1E12C}, {0x1E130, 0x1E13D}, {0x1E140, 0x1E149},
	{0x1E14E, 0x1E14F}, {0x1E290, 0x1E2AE}, {0x1E2C0, 0x1E2F9},
	{0x1E2FF, 0x1E2FF}, {0x1E4D0, 0x1E4F9}, {0x1E7E0, 0x1E7E6},
	{0x1E7E8, 0x1E7EB}, {0x1E7ED, 0x1E7EE}, {0x1E7F0, 0x1E7FE},
	{0x1E800, 0x1E8C4}, {0x1E8C7, 0x1E8D6}, {0x1E900, 0x1E94B},
	{0x1E950, 0x1E959}, {0x1E95E, 0x1E95F}, {0x1EC71, 0x1ECB4},
	{0x1ED01, 0x1ED3D}, {0x1EE00, 0x1EE03}, {0x1EE05, 0x1EE1F},
	{0x1EE21, 0x1EE22}, {0x1EE24, 0x1EE24}, {0x1EE27, 0x1EE27},
	{0x1EE29, 0x1EE32}, {0x1EE34, 0x1EE37}, {0x1EE39, 0x1EE39},
	{0x1EE3B, 0x1EE3B}, {0x1EE42, 0x1EE42}, {0x1EE47, 0x1EE47},
	{0x1EE49, 0x1EE49}, {0x1EE4B, 0x1EE4B}, {0x1EE4D, 0x1EE4F},
	{0x1EE51, 0x1EE52}, {0x1EE54, 0x1EE54}, {0x1EE57, 0x1EE57},
	{0x1EE59, 0x1EE59}, {0x1EE5B, 0x1EE5B}, {0x1EE5D, 0x1EE5D},
	{0x1EE5F, 0x1EE5F}, {0x1EE61, 0x1EE62}, {0x1EE64, 0x1EE64},
	{0x1EE67, 0x1EE6A}, {0x1EE6C, 0x1EE72}, {0x1EE74, 0x1EE77},
	{0x1EE79, 0x1EE7C}, {0x1EE7E, 0x1EE7E}, {0x1EE80, 0x1EE89},
	{0x1EE8B, 0x1EE9B}, {0x1EEA1, 0x1EEA3}, {0x1EEA5, 0x1EEA9},
	{0x1EEAB, 0x1EEBB}, {0x1EEF0, 0x1EEF1}, {0x1F000, 0x1F02B},
	{0x1F030, 0x1F093}, {0x1F0A0, 0x1F0AE}, {0x1F0B1, 0x1F0BF},
	{0x1F0C1, 0x1F0CF}, {0x1F0D1, 0x1F0F5}, {0x1F100, 0x1F1AD},
	{0x1F1E6, 0x1F202}, {0x1F210, 0x1F23B}, {0x1F240, 0x1F248},
	{0x1F250, 0x1F251}, {0x1F260, 0x1F265}, {0x1F300, 0x1F6D7},
	{0x1F6DC, 0x1F6EC}, {0x1F6F0, 0x1F6FC}, {0x1F700, 0x1F776},
	{0x1F77B, 0x1F7D9}, {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0},
	{0x1F800, 0x1F80B}, {0x1F810, 0x1F847}, {0x1F850, 0x1F859},
	{0x1F860, 0x1F887}, {0x1F890, 0x1F8AD}, {0x1F8B0, 0x1F8B1},
	{0x1F900, 0x1FA53}, {0x1FA60, 0x1FA6D}, {0x1FA70, 0x1FA7C},
	{0x1FA80, 0x1FA88}, {0x1FA90, 0x1FABD}, {0x1FABF, 0x1FAC5},
	{0x1FACE, 0x1FADB}, {0x1FAE0, 0x1FAE8}, {0x1FAF0, 0x1FAF8},
	{0x1FB00, 0x1FB92}, {0x1FB94, 0x1FBCA}, {0x1FBF0, 0x1FBF9},
	{0x20000, 0x2A6DF}, {0x2A700, 0x2B739}, {0x2B740, 0x2B81D},
	{0x2B820, 0x2CEA1}, {0x2CEB0, 0x2EBE0}, {0x2F800, 0x2FA1D},
	{0x30000, 0x3134A}, {0x31350, 0x323AF}, {0xE0100, 0xE01EF},
};

static const struct lower_range lower_ranges[181] = {
	{0xC0, 0xD6, 32, 1}, {0xD8, 0xDE, 32, 1}, {0x100, 0x12E, 1, 2},
	{0x130, 0x130, -199, 1}, {0x132, 0x136, 1, 2}, {0x139, 0x147, 1, 2},
	{0x14A, 0x176, 1, 2}, {0x178, 0x178, -121, 1}, {0x179, 0x17D, 1, 2},
	{0x181, 0x181, 210, 1}, {0x182, 0x184, 1, 2}, {0x186, 0x186, 206, 1},
	{0x187, 0x187, 1, 1}, {0x189, 0x18A, 205, 1}, {0x18B, 0x18B, 1, 1},
	{0x18E, 0x18E, 79, 1}, {0x18F, 0x18F, 202, 1}, {0x190, 0x190, 203, 1},
	{0x191, 0x191, 1, 1}, {0x193, 0x193, 205, 1}, {0x194, 0x194, 207, 1},
	{0x196, 0x196, 211, 1}, {0x197, 0x197, 209, 1}, {0x198, 0x198, 1, 1},
	{0x19C, 0x19C, 211, 1}, {0x19D, 0x19D, 213, 1}, {0x19F, 0x19F, 214, 1},
	{0x1A0, 0x1A4, 1, 2}, {0x1A6, 0x1A6, 218, 1}, {0x1A7, 0x1A7, 1, 1},
	{0x1A9, 0x1A9, 218, 1}, {0x1AC, 0x1AC, 1, 1}, {0x1AE, 0x1AE, 218, 1},
	{0x1AF, 0x1AF, 1, 1}, {0x1B1, 0x1B2, 217, 1}, {0x1B3, 0x1B5, 1, 2},
	{0x1B7, 0x1B7, 219, 1}, {0x1B8, 0x1B8, 1, 1}, {0x1BC, 0x1BC, 1, 1},
	{0x1C4, 0x1C4, 2, 1}, {0x1C5, 0x1C5, 1, 1}, {0x1C7, 0x1C7, 2, 1},
	{0x1C8, 0x1C8, 1, 1}, {0x1CA, 0x1CA, 2, 1}, {0x1CB, 0x1DB, 1, 2},
	{0x1DE, 0x1EE, 1, 2}, {0x1F1, 0x1F1, 2, 1}, {0x1F2, 0x1F4, 1, 2},
	{0x1F6, 0x1F6, -97, 1}, {0x1F7, 0x1F7, -56, 1}, {0x1F8, 0x21E, 1, 2},
	{0x220, 0x220, -130, 1}, {0x222, 0x232, 1, 2}, {0x23A, 0x23A, 10795, 1},
	{0x23B, 0x23B, 1, 1}, {0x23D, 0x23D, -163, 1}, {0x23E, 0x23E, 10792, 1},
	{0x241, 0x241, 1, 1}, {0x243, 0x243, -195, 1}, {0x244, 0x244, 69, 1},
	{0x245, 0x245, 71, 1}, {0x246, 0x24E, 1, 2}, {0x370, 0x372, 1, 2},
	{0x376, 0x376, 1, 1}, {0x37F, 0x37F, 116, 1}, {0x386, 0x386, 38, 1},
	{0x388, 0x38A, 37, 1}, {0x38C, 0x38C, 64, 1}, {0x38E, 0x38F, 63, 1},
	{0x391, 0x3A1, 32, 1}, {0x3A3, 0x3AB, 32, 1}, {0x3CF, 0x3CF, 8, 1},
	{0x3D8, 0x3EE, 1, 2}, {0x3F4, 0x3F4, -60, 1}, {0x3F7, 0x3F7, 1, 1},
	{0x3F9, 0x3F9, -7, 1}, {0x3FA, 0x3FA, 1, 1}, {0x3FD, 0x3FF, -130, 1},
	{0x400, 0x40F, 80, 1}, {0x410, 0x42F, 32, 1}, {0x460, 0x480, 1, 2},
	{0x48A, 0x4BE, 1, 2}, {0x4C0, 0x4C0, 15, 1}, {0x4C1, 0x4CD, 1, 2},
	{0x4D0, 0x52E, 1, 2}, {0x531, 0x556, 48, 1}, {0x10A0, 0x10C5, 7264, 1},
	{0x10C7, 0x10C7, 7264, 1}, {0x10CD, 0x10CD, 7264, 1},
	{0x13A0, 0x13EF, 38864, 1}, {0x13F0, 0x13F5, 8, 1},
	{0x1C90, 0x1CBA, -3008, 1}, {0x1CBD, 0x1CBF, -3008, 1},
	{0x1E00, 0x1E94, 1, 2}, {0x1E9E, 0x1E9E, -7615, 1},
	{0x1EA0, 0x1EFE, 1, 2}, {0x1F08, 0x1F0F, -8, 1}, {0x1F18, 0x1F1D, -8, 1},
	{0x1F28, 0x1F2F, -8, 1}, {0x1F38, 0x1F3F, -8, 1}, {0x1F48, 0x1F4D, -8, 1},
	{0x1F59, 0x1F5F, -8, 2}, {0x1F68, 0x1F6F, -8, 1}, {0x1F88, 0x1F8F, -8, 1},
	{0x1F98, 0x1F9F, -8, 1}, {0x1FA8, 0x1FAF, -8, 1}, {0x1FB8, 0x1FB9, -8, 1},
	{0x1FBA, 0x1FBB, -74, 1}, {0x1FBC, 0x1FBC, -9, 1},
	{0x1FC8, 0x1FCB, -86, 1}, {0x1FCC, 0x1FCC, -9, 1},
	{0x1FD8, 0x1FD9, -8, 1}, {0x1FDA, 0x1FDB, -100, 1},
	{0x1FE8, 0x1FE9, -8, 1}, {0x1FEA, 0x1FEB, -112, 1},
	{0x1FEC, 0x1FEC, -7, 1}, {0x1FF8, 0x1FF9, -128, 1},
	{0x1FFA, 0x1FFB, -126, 1}, {0x1FFC, 0x1FFC, -9, 1},
	{0x2126, 0x2126, -7517, 1}, {0x212A, 0x212A, -8383, 1},
	{0x212B, 0x212B, -8262, 1}, {0x2132, 0x2132, 28, 1},
	{0x2160, 0x216F, 16, 1}, {0x2183, 0x2183, 1, 1}, {0x24B6, 0x24CF, 26, 1},
	{0x2C00, 0x2C2F, 48, 1}, {0x2C60, 0x2C60, 1, 1},
	{0x2C62, 0x2C62, -10743, 1}, {0x2C63, 0x2C63, -3814, 1},
	{0x2C64, 0x2C64, -10727, 1}, {0x2C67, 0x2C6B, 1, 2},
	{0x2C6D, 0x2C6D, -10780, 1}, {0x2C6E, 0x2C6E, -10749, 1},
	{0x2C6F, 0x2C6F, -10783, 1}, {0x2C70, 0x2C70, -10782, 1},
	{0x2C72, 0x2C72, 1, 1}, {0x2C75, 0x2C75, 1, 1},
	{0x2C7E, 0x2C7F, -10815, 1}, {0x2C80, 0x2CE2, 1, 2},
	{0x2CEB, 0x2CED, 1, 2}, {0x2CF2, 0x2CF2, 1, 1}, {0xA640, 0xA66C, 1, 2},
	{0xA680, 0xA69A, 1, 2}, {0xA722, 0xA72E, 1, 2}, {0xA732, 0xA76E, 1, 2},
	{0xA779, 0xA77B, 1, 2}, {0xA77D, 0xA77D, -35332, 1},
	{0xA77E, 0xA786, 1, 2}, {0xA78B, 0xA78B, 1, 1},
	{0xA78D, 0xA78D, -42280, 1}, {0xA790, 0xA792, 1, 2},
	{0xA796, 0xA7A8, 1, 2}, {0xA7AA, 0xA7AA, -42308, 1},
	{0xA7AB, 0xA7AB, -42319, 1}, {0xA7AC, 0xA7AC, -42315, 1},
	{0xA7AD, 0xA7AD, -42305, 1}, {0xA7AE, 0xA7AE, -42308, 1},
	{0xA7B0, 0xA7B0, -42258, 1}, {0xA7B1, 0xA7B1, -42282, 1},
	{0xA7B2, 0xA7B2, -42261, 1}, {0xA7B3, 0xA7B3, 928, 1},
	{0xA7B4, 0xA7C2, 1, 2}, {0xA7C4, 0xA7C4, -48, 1},
	{0xA7C5, 0xA7C5, -42307, 1}, {0xA7C6, 0xA7C6, -35384, 1},
	{0xA7C7, 0xA7C9, 1, 2}, {0xA7D0, 0xA7D0, 1, 1}, {0xA7D6, 0xA7D8, 1, 2},
	{0xA7F5, 0xA7F5, 1, 1}, {0xFF21, 0xFF3A, 32, 1},
	{0x10400, 0x10427, 40, 1}, {0x104B0, 0x104D3, 40, 1},
	{0x10570, 0x1057A, 39, 1}, {0x1057C, 0x1058A, 39, 1},
	{0x1058C, 0x10592, 39, 1}, {0x10594, 0x10595, 39, 1},
	{0x10C80, 0x10CB2, 64, 1}, {0x118A0, 0x118BF, 32, 1},
	{0x16E40, 0x16E5F, 32, 1}, {0x1E900, 0x1E921, 34, 1},
};
/* clang-format on */
