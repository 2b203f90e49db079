/*
 * receivers/artifactory.c: the JFrog Artifactory kind, as Kargo v1.11's
 * pkg/webhook/external/artifactory.go serves it: path segment
 * "artifactory", Secret key "secret-token"; X-Jfrog-Event-Auth must be the
 * lowercase hex HMAC-SHA256 of the body under it (no "sha256=" prefix;
 * absent or empty: 401 "missing signature"; else 401 "unauthorized"). Then
 * in Kargo's order: the body (Go's encoding/json: 400 "invalid request
 * body"); event_type "pushed" and domain "docker" (else 501); data.image_type
 * "docker" or "oci" (else 501); jpd_origin must parse as a Go URL and
 * data.path hold a '/' (else 400). The repository is
 * host(jpd_origin)/repo_key/<data.path less its last two segments>, with
 * the receiver's virtualRepoName in place of repo_key when set, normalized
 * as an image ("docker") or a chart ("oci"); data.tag is the qualifier.
 * The payload's values in messages are quoted as Go's %q quotes them.
 * [beyond] Two X-Jfrog-Event-Auth headers are refused (400). Artifactory
 * sends no delivery id.
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "headers.h"
#include "kw.h"
#include "registry.h"
#include "signature.h"
#include "strbuf.h"
#include "urlnorm.h"
#include "utf8.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX (64 * 1024 + 256) /* a quoted value is cut past this */

enum { DOMAIN, EVENT_TYPE, ORIGIN, PATH, REPO_KEY, IMAGE_TYPE, TAG, N_SLOTS };
_Static_assert(N_SLOTS <= GOJSON_MAX_SLOTS, "gojson notes too few strings");

static const struct gojson_field data_fields[] = {
	GOJSON_F_STR("path", PATH), GOJSON_F_STR("repo_key", REPO_KEY),
	GOJSON_F_STR("image_name", GOJSON_NO_SLOT),
	GOJSON_F_STR("image_type", IMAGE_TYPE), GOJSON_F_STR("tag", TAG),
};
static const struct gojson_field body_fields[] = {
	GOJSON_F_STR("domain", DOMAIN), GOJSON_F_STR("event_type", EVENT_TYPE),
	GOJSON_F_OBJ("data", data_fields), GOJSON_F_STR("jpd_origin", ORIGIN),
};
static const struct gojson_field body_shape = GOJSON_F_OBJ("", body_fields);

/* hmac.Equal([]byte(sig), []byte(hex(HMAC))): exact, lowercase. */
static enum auth_result authenticate(const struct auth_input *in)
{
	const char *sig = header_get(in->headers, in->ops->auth_header);
	char want[SIGNATURE_HEADER_SIZE];
	const char *hex = want + strlen("sha256=");

	if (header_count(in->headers, in->ops->auth_header) > 1)
		return AUTH_REPEATED;
	if (sig == NULL || sig[0] == '\0')
		return AUTH_MISSING;
	signature_sign(want, in->key, in->key_len, in->body, in->body_len);
	if (strlen(sig) != strlen(hex) || CRYPTO_memcmp(sig, hex, strlen(hex)) != 0)
		return AUTH_WRONG;
	return AUTH_OK;
}

/* strconv.Quote: printable runes as they are, the rest escaped. */
static int go_quote(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	int rc = strbuf_puts(sb, "\"");

	while (rc == KW_OK && i < n) {
		uint32_t r;
		size_t w = utf8_decode(p + i, n - i, &r);
		const char *esc = strchr("\a\b\f\n\r\t\v", (int)r);

		if (w == 1 && r == UTF8_REPLACEMENT)
			rc = strbuf_printf(sb, "\\x%02x", p[i]);
		else if (r == '"' || r == '\\')
			rc = strbuf_printf(sb, "\\%c", (int)r);
		else if (urlnorm_go_is_print(r))
			rc = strbuf_append(sb, s + i, w);
		else if (r != 0 && esc != NULL)
			rc = strbuf_printf(sb, "\\%c", "abfnrtv"[esc - "\a\b\f\n\r\t\v"]);
		else if (r < ' ' || r == 0x7F)
			rc = strbuf_printf(sb, "\\x%02x", (unsigned)r);
		else if (r < 0x10000)
			rc = strbuf_printf(sb, "\\u%04x", (unsigned)r);
		else
			rc = strbuf_printf(sb, "\\U%08x", (unsigned)r);
		i += w;
	}
	return rc == KW_OK ? strbuf_puts(sb, "\"") : rc;
}

/* A refusal naming a payload value: before %q after. */
static int refuse_quoted(struct event *out, int status, const char *before,
	const char *value, const char *after)
{
	struct strbuf sb;
	int rc;

	strbuf_init(&sb, MSG_MAX);
	rc = strbuf_puts(&sb, before);
	if (rc == KW_OK)
		rc = go_quote(&sb, value);
	if (rc == KW_OK)
		rc = strbuf_puts(&sb, after);
	/* Past MSG_MAX (a value of over 64 KiB) the message is cut: the
	 * answer stays bounded. */
	if (rc != KW_ENOMEM)
		rc = registry_refuse(out, status, sb.buf ? sb.buf : "");
	strbuf_free(&sb);
	return rc;
}

/* strings.Join([host, repo, sections[:len-2]...], "/") with sections
 * strings.Split(path, "/"), which has at least two elements here: what
 * comes before the second-to-last '/' joins, when there is one. */
static int repo_url(struct strbuf *sb, const char *host, const char *repo,
	const char *path)
{
	const char *last = strrchr(path, '/'), *cut = NULL;
	int rc = strbuf_printf(sb, "%s/%s", host, repo);

	for (const char *q = path; q < last; q++)
		if (*q == '/')
			cut = q;
	if (rc == KW_OK && cut != NULL)
		rc = strbuf_puts(sb, "/");
	if (rc == KW_OK && cut != NULL)
		rc = strbuf_append(sb, path, (size_t)(cut - path));
	return rc;
}

struct fields {
	char *domain, *event_type, *origin, *path, *repo_key, *image_type;
};

static void fields_free(struct fields *f)
{
	free(f->domain);
	free(f->event_type);
	free(f->origin);
	free(f->path);
	free(f->repo_key);
	free(f->image_type);
}

static int fields_read(struct fields *f, const struct gojson_decoder *d)
{
	f->domain = event_go_string(d, &d->root[DOMAIN]);
	f->event_type = event_go_string(d, &d->root[EVENT_TYPE]);
	f->origin = event_go_string(d, &d->root[ORIGIN]);
	f->path = event_go_string(d, &d->root[PATH]);
	f->repo_key = event_go_string(d, &d->root[REPO_KEY]);
	f->image_type = event_go_string(d, &d->root[IMAGE_TYPE]);
	return f->domain && f->event_type && f->origin && f->path &&
		f->repo_key && f->image_type ? KW_OK : KW_ENOMEM;
}

/* Kargo's checks after decoding, in its order; KW_OK when none refuses. */
static int check(struct event *out, const struct fields *f, char **host)
{
	bool ok = false;
	int rc;

	if (strcmp(f->event_type, "pushed") != 0 || strcmp(f->domain, "docker") != 0)
		return registry_refuse(out, 501, "event type must be 'pushed' and "
			"domain must be 'docker'");
	if (strcmp(f->image_type, "docker") != 0 && strcmp(f->image_type, "oci") != 0)
		return refuse_quoted(out, 501, "unsupported image type ",
			f->image_type, "");
	rc = urlnorm_go_host(host, &ok, f->origin, strlen(f->origin));
	if (rc == KW_OK && !ok)
		return refuse_quoted(out, 400, "invalid value ", f->origin,
			" in payload's jpd_origin field");
	if (rc == KW_OK && strchr(f->path, '/') == NULL)
		return refuse_quoted(out, 400, "invalid value ", f->path,
			" in payload's data.path field");
	return rc;
}

static int push_event(struct event *out, struct event_builder *b,
	const struct gojson_decoder *d)
{
	struct fields f = { 0 };
	struct strbuf sb;
	char *host = NULL;
	const char *repo;
	int rc = fields_read(&f, d);

	strbuf_init(&sb, 0);
	if (rc == KW_OK)
		rc = check(out, &f, &host);
	if (rc != KW_OK)
		goto out;
	repo = out->option != NULL && out->option[0] != '\0' ? out->option : f.repo_key;
	strbuf_init(&sb, strlen(host) + strlen(repo) + strlen(f.path) + 3);
	rc = repo_url(&sb, host, repo, f.path);
	if (rc == KW_OK && strcmp(f.image_type, "docker") == 0)
		rc = registry_add_image(b, sb.buf, sb.len);
	else if (rc == KW_OK)
		rc = registry_add_chart(b, sb.buf, sb.len);
	if (rc == KW_OK)
		rc = event_add_go(b, EVENT_REFS, d, &d->root[TAG]);
out:
	strbuf_free(&sb);
	free(host);
	fields_free(&f);
	return rc;
}

static int parse(struct event *out, const struct header_lookup *h,
	const char *body, size_t len, struct kw_err *err)
{
	(void)h;
	return registry_parse(out, &body_shape, push_event, body, len, err);
}

const struct receiver_ops receiver_artifactory = {
	.name = "artifactory",
	.secret_key = "secret-token",
	.auth_header = "X-Jfrog-Event-Auth",
	.unsupported_status = 501,
	.authenticate = authenticate,
	.parse = parse,
};
