/*
 * receivers/github_package.c: GitHub's package and registry_package
 * events (GHCR), which Kargo's github.go turns into image and chart
 * refreshes, as Kargo decides it: an action other than "published" or
 * "updated" answers 200 {}; a body without the package or its
 * package_version (absent or null: go-github's nil pointers; an empty
 * object is one) is 400 "invalid request body"; a package_type other than
 * CONTAINER or docker answers 200 {}. Otherwise the repository is
 * package_version.package_url less one trailing ':' (GitHub sometimes sends
 * "ghcr.io/o/p:"), offered as an image, a chart or both by the media type
 * of container_metadata.manifest.config (registry.h), and the qualifier is
 * container_metadata.tag.name. Kargo reads the manifest as a map[string]any
 * and takes config.media_type only when config is an object and it a
 * string; here too (anything else: no media type, so image and chart).
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "kw.h"
#include "registry.h"

#include <stdlib.h>
#include <string.h>

enum { ACTION, PACKAGE, TYPE, VERSION, PACKAGE_URL, TAG_NAME, MEDIA_TYPE, N_SLOTS };
_Static_assert(N_SLOTS <= GOJSON_MAX_SLOTS, "gojson notes too few strings");

static const struct gojson_field config_fields[] = {
	{ "media_type", GOJSON_ANY_STRING, NULL, 0, MEDIA_TYPE, 0 },
};
static const struct gojson_field manifest_fields[] = {
	GOJSON_F_ANY_OBJ("config", config_fields),
};
static const struct gojson_field tag_fields[] = {
	GOJSON_F_STR("name", TAG_NAME), GOJSON_F_STR("digest", GOJSON_NO_SLOT),
};
static const struct gojson_field container_fields[] = {
	GOJSON_F_OBJ("tag", tag_fields), GOJSON_F_OBJ("manifest", manifest_fields),
};
static const struct gojson_field version_fields[] = {
	GOJSON_F_INT("id"), GOJSON_F_STR("package_url", PACKAGE_URL),
	GOJSON_F_OBJ("container_metadata", container_fields),
};
static const struct gojson_field package_fields[] = {
	GOJSON_F_INT("id"), GOJSON_F_STR("package_type", TYPE),
	GOJSON_F_PTR("package_version", version_fields, VERSION),
};
static const struct gojson_field package_body_fields[] = {
	GOJSON_F_STR("action", ACTION), GOJSON_F_PTR("package", package_fields, PACKAGE),
};
static const struct gojson_field registry_body_fields[] = {
	GOJSON_F_STR("action", ACTION),
	GOJSON_F_PTR("registry_package", package_fields, PACKAGE),
};
static const struct gojson_field package_body = GOJSON_F_OBJ("", package_body_fields);
static const struct gojson_field registry_body = GOJSON_F_OBJ("", registry_body_fields);

/* Kargo: pkg == nil || pkg.GetPackageVersion() == nil is a bad body;
 * go-github's pointers are nil while absent or null. */
static bool has_version(const struct gojson_decoder *d)
{
	return d->root[PACKAGE].off != 0 && d->root[VERSION].off != 0;
}

/* A container package's version: its repository and tag. */
static int container_push(struct event_builder *b, const struct gojson_decoder *d)
{
	char *url = event_go_string(d, &d->root[PACKAGE_URL]);
	char *media = event_go_string(d, &d->root[MEDIA_TYPE]);
	size_t n = url ? strlen(url) : 0;
	int rc = url && media ? KW_OK : KW_ENOMEM;

	if (n > 0 && url[n - 1] == ':')
		n--;
	if (rc == KW_OK)
		rc = registry_add_repo(b, url, n, media);
	if (rc == KW_OK)
		rc = event_add_go(b, EVENT_REFS, d, &d->root[TAG_NAME]);
	free(url);
	free(media);
	return rc;
}

static int package_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	*kind = EVENT_IGNORED;
	if (!event_go_equal(d, &d->root[ACTION], "published") &&
	    !event_go_equal(d, &d->root[ACTION], "updated"))
		return KW_OK;
	if (!has_version(d))
		return kw_errf(d->err, KW_EINVAL, "no package or package_version");
	if (!event_go_equal(d, &d->root[TYPE], "CONTAINER") &&
	    !event_go_equal(d, &d->root[TYPE], "docker"))
		return KW_OK;
	*kind = EVENT_PUSH;
	return container_push(b, d);
}

int github_package(struct event *out, const char *type, const char *body,
	size_t len, struct kw_err *err)
{
	return event_decode(out, strcmp(type, "package") == 0 ? &package_body :
		&registry_body, package_event, body, len, err);
}
