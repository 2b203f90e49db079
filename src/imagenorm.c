/*
 * imagenorm.c: Kargo's urls.NormalizeImage and urls.NormalizeChart (Kargo
 * v1.11, pkg/urls/image.go and helm.go), byte for byte, and the reference
 * checks its image and OCI chart selectors make when they are built.
 *
 * NormalizeImage leans on go-containerregistry v0.20.7's
 * name.ParseReference with weak validation (pkg/name: ref.go, tag.go,
 * digest.go, repository.go, registry.go), so this file carries that parser:
 * a tag after the last ':' unless a '/' follows it; else a digest after the
 * only '@'; the first path segment is the registry only if it holds '.' or
 * ':'; the registry must read back unchanged as the host of "//" + name
 * (Go's net/url, reused from urlnorm.c); no registry, or "docker.io", is
 * "index.docker.io", whose one-segment repositories live under "library/".
 * The OCI chart selector instead parses with oras-go v2.6.2's
 * registry.ParseReference, whose rules differ (regex-checked repository
 * components, a registry required), so that parser is here too. Input is
 * arbitrary bytes; every step is linear and every buffer has a computed
 * bound.
 */
#include "imagenorm.h"

#include "kw.h"
#include "span.h"
#include "urlnorm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_REGISTRY "index.docker.io"
#define REGISTRY_1 "registry-1.docker.io"
#define LIBRARY "library/"

/* go-containerregistry's element rules (repository.go, tag.go). */
#define REPO_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-./"
#define TAG_CHARS \
	"abcdefghijklmnopqrstuvwxyz0123456789_-.ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define REPO_MIN 2
#define REPO_MAX 255
#define TAG_MAX 128

/* A parsed reference: registry (after defaulting) and repository. With
 * library set the repository is "library/" + repo (RepositoryStr). */
struct ref {
	struct span reg;
	struct span repo;
	bool library;
};

static struct span lit(const char *s)
{
	return (struct span){ s, strlen(s) };
}

/* Every byte in set. The sets are ASCII, so bytes count as runes here. */
static bool all_in(struct span s, const char *set)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == '\0' || strchr(set, s.p[i]) == NULL)
			return false;
	return true;
}

static bool is_lower_hex(struct span s)
{
	return all_in(s, "0123456789abcdef");
}

/* ---- go-containerregistry, pkg/name ---- */

/* NewRegistry: the name must be its own authority; "" and "docker.io"
 * mean Docker Hub. */
static int new_registry(bool *ok, struct span name, struct span *out)
{
	int rc = urlnorm_go_authority(ok, name.p, name.n);

	if (rc != KW_OK || !*ok)
		return rc;
	*out = name;
	if (name.n == 0 || span_eq(name, "docker.io"))
		*out = lit(DEFAULT_REGISTRY);
	return KW_OK;
}

/* checkRepository; extra is the "library/" RepositoryStr may prepend. */
static bool repository_ok(struct span repo, size_t extra)
{
	return repo.n + extra >= REPO_MIN && repo.n + extra <= REPO_MAX &&
		all_in(repo, REPO_CHARS);
}

static bool implicit_library(struct span repo, struct span reg)
{
	return span_index(repo, '/') == SPAN_NPOS && span_eq(reg, DEFAULT_REGISTRY);
}

/* NewRepository. */
static int new_repository(bool *ok, struct span name, struct ref *out)
{
	size_t slash = span_index(name, '/');
	struct span reg = { name.p, 0 }, repo = name;

	*ok = false;
	if (name.n == 0)
		return KW_OK;
	if (slash != SPAN_NPOS) {
		struct span first = span_head(name, slash);

		if (span_index(first, '.') != SPAN_NPOS ||
		    span_index(first, ':') != SPAN_NPOS) {
			reg = first;
			repo = span_tail(name, slash + 1);
		}
	}
	if (!repository_ok(repo, 0))
		return KW_OK;
	out->repo = repo;
	out->library = false;
	return new_registry(ok, reg, &out->reg);
}

/* NewTag: a tag after the last ':' unless a '/' follows it. */
static int new_tag(bool *ok, struct span name, struct ref *out)
{
	size_t colon = span_rindex(name, ':');
	struct span base = name;

	*ok = false;
	if (colon != SPAN_NPOS) {
		struct span tag = span_tail(name, colon + 1);

		if (span_index(tag, '/') == SPAN_NPOS) {
			if (tag.n == 0 || tag.n > TAG_MAX || !all_in(tag, TAG_CHARS))
				return KW_OK;
			base.n = colon;
		}
	}
	return new_repository(ok, base, out);
}

/* NewDigest: one '@', "sha256:" and 64 lowercase hex digits after it. A
 * base that parses as a tag is parsed again from its full name, which
 * spells out Docker Hub's "library/" (and so may grow past the limit). */
static int new_digest(bool *ok, struct span name, struct ref *out)
{
	size_t at = span_index(name, '@');
	struct span base, dig, hex;
	int rc;

	*ok = false;
	if (span_count(name, '@') != 1)
		return KW_OK;
	base = span_head(name, at);
	dig = span_tail(name, at + 1);
	if (dig.n != 7 + 64 || memcmp(dig.p, "sha256:", 7) != 0)
		return KW_OK;
	hex = (struct span){ dig.p + 7, 64 };
	if (!is_lower_hex(hex))
		return KW_OK;
	rc = new_tag(ok, base, out);
	if (rc != KW_OK)
		return rc;
	if (!*ok)
		return new_repository(ok, base, out);
	if (implicit_library(out->repo, out->reg)) {
		out->library = true;
		*ok = repository_ok(out->repo, strlen(LIBRARY));
	}
	return KW_OK;
}

/* name.ParseReference: a tag (or none), else a digest. */
static int parse_reference(bool *ok, struct span s, struct ref *out)
{
	int rc = new_tag(ok, s, out);

	if (rc != KW_OK || *ok)
		return rc;
	return new_digest(ok, s, out);
}

int imagenorm_reference_ok(bool *ok, const char *s, size_t len)
{
	struct ref r;

	return parse_reference(ok, (struct span){ s, len }, &r);
}

/* registry/repository, or for Docker Hub the repository without a
 * leading "library/". Only Docker Hub has an implicit "library/". */
static char *image_name(const struct ref *r)
{
	struct span repo = r->repo;
	size_t lib = strlen(LIBRARY);
	char *out;

	if (span_eq(r->reg, DEFAULT_REGISTRY) || span_eq(r->reg, REGISTRY_1)) {
		bool library = r->library || implicit_library(r->repo, r->reg);

		if (!library && repo.n >= lib && memcmp(repo.p, LIBRARY, lib) == 0) {
			repo.p += lib;
			repo.n -= lib;
		}
		return kw_strndup(repo.p, repo.n);
	}
	/* Both parts are at most the input's length. */
	out = malloc(r->reg.n + 1 + repo.n + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, r->reg.p, r->reg.n);
	out[r->reg.n] = '/';
	memcpy(out + r->reg.n + 1, repo.p, repo.n);
	out[r->reg.n + 1 + repo.n] = '\0';
	return out;
}

int imagenorm_image(char **out, const char *in, size_t len)
{
	char *clean = NULL;
	size_t n = 0;
	struct ref r;
	bool ok = false;
	int rc;

	*out = NULL;
	rc = urlnorm_sanitize(&clean, &n, in, len, true);
	if (rc == KW_OK)
		rc = parse_reference(&ok, (struct span){ clean, n }, &r);
	if (rc != KW_OK)
		goto out;
	/* Kargo returns what it cannot parse exactly as given. */
	*out = ok ? image_name(&r) : kw_strndup(in, len);
	if (*out == NULL)
		rc = KW_ENOMEM;
out:
	free(clean);
	return rc;
}

int imagenorm_chart(char **out, const char *in, size_t len)
{
	char *clean = NULL, *lower = NULL;
	size_t n = 0, ln = 0, skip = 0;
	bool ok = false;
	int rc;

	*out = NULL;
	rc = urlnorm_sanitize(&clean, &n, in, len, false);
	if (rc == KW_OK)
		rc = urlnorm_go_parses(&ok, clean, n);
	if (rc == KW_OK && !ok) {
		*out = kw_strndup(in, len);
		rc = *out ? KW_OK : KW_ENOMEM;
	}
	if (rc != KW_OK || !ok)
		goto out;
	rc = urlnorm_sanitize(&lower, &ln, clean, n, true);
	if (rc != KW_OK)
		goto out;
	if (ln >= 6 && memcmp(lower, "oci://", 6) == 0)
		skip = 6;
	rc = imagenorm_image(out, lower + skip, ln - skip);
out:
	free(lower);
	free(clean);
	return rc;
}

/* ---- oras-go, registry/reference.go ---- */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One component of
 * ^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:/<component>)*$:
 * alphanumeric runs joined by ".", "_", "__" or any run of '-'. */
static bool oras_component_ok(struct span c)
{
	size_t i = 0;

	while (i < c.n) {
		size_t run = i, sep;

		while (i < c.n && is_lower_alnum(c.p[i]))
			i++;
		if (i == run)
			return false;
		if (i == c.n)
			return true;
		sep = i;
		if (c.p[i] == '.') {
			i++;
		} else if (c.p[i] == '_') {
			i += i + 1 < c.n && c.p[i + 1] == '_' ? 2 : 1;
		} else {
			while (i < c.n && c.p[i] == '-')
				i++;
		}
		if (i == sep || i == c.n)
			return false;
	}
	return false;
}

static bool oras_repository_ok(struct span r)
{
	size_t slash;

	while ((slash = span_index(r, '/')) != SPAN_NPOS) {
		if (!oras_component_ok(span_head(r, slash)))
			return false;
		r = span_tail(r, slash + 1);
	}
	return oras_component_ok(r);
}

static bool is_word(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_';
}

/* ^[\w][\w.-]{0,127}$ */
static bool oras_tag_ok(struct span t)
{
	if (t.n == 0 || t.n > 128 || !is_word(t.p[0]))
		return false;
	for (size_t i = 1; i < t.n; i++)
		if (!is_word(t.p[i]) && t.p[i] != '.' && t.p[i] != '-')
			return false;
	return true;
}

/* go-digest's Parse with sha256, sha384 and sha512 available. */
static bool digest_ok(struct span d)
{
	static const struct {
		const char *alg;
		size_t hex;
	} algs[] = { { "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 } };
	size_t colon = span_index(d, ':');
	struct span alg, enc;

	if (colon == SPAN_NPOS)
		return false;
	alg = span_head(d, colon);
	enc = span_tail(d, colon + 1);
	for (size_t i = 0; i < KW_ARRAY_LEN(algs); i++)
		if (span_eq(alg, algs[i].alg))
			return enc.n == algs[i].hex && is_lower_hex(enc);
	return false;
}

int imagenorm_oci_reference_ok(bool *ok, const char *s, size_t len)
{
	struct span all = { s, len }, reg, path, repo, ref = { s, 0 };
	size_t slash = span_index(all, '/'), at, colon;
	bool is_tag = false;
	int rc;

	*ok = false;
	if (slash == SPAN_NPOS)
		return KW_OK;
	reg = span_head(all, slash);
	path = span_tail(all, slash + 1);
	repo = path;
	if ((at = span_index(path, '@')) != SPAN_NPOS) {
		repo.n = at;
		ref = span_tail(path, at + 1);
		if ((colon = span_index(repo, ':')) != SPAN_NPOS)
			repo.n = colon;
	} else if ((colon = span_index(path, ':')) != SPAN_NPOS) {
		is_tag = true;
		repo.n = colon;
		ref = span_tail(path, colon + 1);
	}
	rc = urlnorm_go_authority(ok, reg.p, reg.n);
	if (rc != KW_OK)
		return rc;
	*ok = *ok && reg.n > 0 && oras_repository_ok(repo) &&
		(ref.n == 0 || (is_tag ? oras_tag_ok(ref) : digest_ok(ref)));
	return KW_OK;
}
