/*
 * receivers/github_package.c: GitHub's package and registry_package
 * events (GHCR), which Kargo's github.go turns into image and chart
 * refreshes. What is decided here so far, as Kargo decides it: an action
 * other than "published" or "updated" answers 200 {}; a body without the
 * package or its package_version is 400 "invalid request body"; a
 * package_type other than CONTAINER or docker answers 200 {}.
 * Matching the image to image and chart subscriptions belongs to the
 * registry kinds' image matching; until it lands, a container package
 * answers 200 {} too.
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "kw.h"

#include <string.h>

enum { ACTION, TYPE, VERSION_ID };

static const struct gojson_field version_fields[] = {
	GOJSON_F_INT_AT("id", VERSION_ID), GOJSON_F_STR("package_url", GOJSON_NO_SLOT),
};
static const struct gojson_field package_fields[] = {
	GOJSON_F_INT("id"), GOJSON_F_STR("package_type", TYPE),
	GOJSON_F_OBJ("package_version", version_fields),
};
static const struct gojson_field package_body_fields[] = {
	GOJSON_F_STR("action", ACTION), GOJSON_F_OBJ("package", package_fields),
};
static const struct gojson_field registry_body_fields[] = {
	GOJSON_F_STR("action", ACTION), GOJSON_F_OBJ("registry_package", package_fields),
};
static const struct gojson_field package_body = GOJSON_F_OBJ("", package_body_fields);
static const struct gojson_field registry_body = GOJSON_F_OBJ("", registry_body_fields);

/* Whether the body named the package and its version: Go leaves a
 * pointer nil for an absent object, which the noted fields stand for. */
static bool has_version(const struct gojson_decoder *d)
{
	return d->root[VERSION_ID].off != 0 || d->root[TYPE].off != 0;
}

static int package_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	(void)b;
	*kind = EVENT_IGNORED;
	if ((event_go_equal(d, &d->root[ACTION], "published") ||
	     event_go_equal(d, &d->root[ACTION], "updated")) && !has_version(d))
		return kw_errf(d->err, KW_EINVAL, "no package or package_version");
	return KW_OK;
}

int github_package(struct event *out, const char *type, const char *body,
	size_t len, struct kw_err *err)
{
	return event_decode(out, strcmp(type, "package") == 0 ? &package_body :
		&registry_body, package_event, body, len, err);
}
