/*
 * registry.c: the normalized repository URLs of a pushed artifact
 * (registry.h), and the registry kinds' refusals. The media types are
 * Kargo's (media_types.go): a Helm chart's config type makes the push a
 * chart's; the types only container images use make it an image's;
 * anything else could be either, so both forms are offered and the index
 * decides (they are often the same string).
 */
#include "registry.h"

#include "event.h"
#include "gojson.h"
#include "imagenorm.h"
#include "kw.h"
#include "receiver.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const image_media_types[] = {
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.oci.image.config.v1+json",
	"application/vnd.docker.container.image.v1+json",
};

#define HELM_PREFIX "application/vnd.cncf.helm"

/* Adds the output of a normalizer, which is never NULL on KW_OK. */
static int add_normalized(struct event_builder *b,
	int (*norm)(char **, const char *, size_t), const char *repo, size_t len)
{
	char *url = NULL;
	int rc = norm(&url, repo, len);

	if (rc == KW_OK)
		rc = event_add(b, EVENT_URLS, url, strlen(url));
	free(url);
	return rc;
}

int registry_add_image(struct event_builder *b, const char *repo, size_t len)
{
	return add_normalized(b, imagenorm_image, repo, len);
}

int registry_add_chart(struct event_builder *b, const char *repo, size_t len)
{
	return add_normalized(b, imagenorm_chart, repo, len);
}

static bool is_image_type(const char *t)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(image_media_types); i++)
		if (strcmp(t, image_media_types[i]) == 0)
			return true;
	return false;
}

int registry_add_repo(struct event_builder *b, const char *repo, size_t len,
	const char *media_type)
{
	int rc;

	if (media_type != NULL &&
	    strncmp(media_type, HELM_PREFIX, strlen(HELM_PREFIX)) == 0)
		return registry_add_chart(b, repo, len);
	rc = registry_add_image(b, repo, len);
	if (rc != KW_OK || (media_type != NULL && is_image_type(media_type)))
		return rc;
	return registry_add_chart(b, repo, len);
}

static void release(void *block)
{
	free(block);
}

int registry_refuse(struct event *out, int status, const char *msg)
{
	char *copy = kw_strndup(msg, strlen(msg));

	if (copy == NULL)
		return KW_ENOMEM;
	out->refusal = REFUSE_CUSTOM;
	out->status = status;
	out->error = copy;
	out->block = copy;
	out->release = release;
	return KW_EUNSUPPORTED;
}

int registry_parse(struct event *out, const struct gojson_field *shape,
	registry_build_fn build, const char *body, size_t len,
	struct kw_err *err)
{
	struct gojson_decoder d;
	struct event_builder b;
	int rc;

	gojson_init(&d, body, len, err);
	event_builder_init(&b);
	rc = gojson_decode(&d, shape, body, len);
	if (rc == KW_OK)
		rc = build(out, &b, &d);
	if (rc == KW_OK)
		rc = event_builder_finish(out, &b, EVENT_PUSH);
	event_builder_free(&b);
	gojson_free(&d);
	return rc;
}
