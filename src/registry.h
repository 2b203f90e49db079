/*
 * registry.h: what the container-registry receiver kinds share (dockerhub,
 * quay, harbor, artifactory, and the image events of azure and github):
 * which normalized repository URLs a pushed artifact stands for, as Kargo
 * v1.11's pkg/webhook/external/media_types.go decides, and the kinds' own
 * refusals.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <stddef.h>

struct event;
struct event_builder;
struct gojson_decoder;
struct gojson_field;
struct kw_err;

/*
 * What a registry kind makes of a decoded body: URLs and tags into b, or a
 * refusal into out (registry_refuse). Returns KW_OK, KW_EUNSUPPORTED,
 * KW_ENOMEM. out->option holds the receiver's option.
 */
typedef int (*registry_build_fn)(struct event *out, struct event_builder *b,
	const struct gojson_decoder *d);

/*
 * The parse every registry kind shares: body[0..len) decoded as Go's
 * encoding/json decodes it into the struct shape describes (KW_EINVAL with
 * err when it cannot be), then build; a push event on success. As
 * receiver_ops.parse.
 */
int registry_parse(struct event *out, const struct gojson_field *shape,
	registry_build_fn build, const char *body, size_t len,
	struct kw_err *err);

/*
 * Adds to b's URLs the repository repo[0..len) normalized as Kargo's
 * getNormalizedImageRepoURLs does for media_type: a media type starting
 * "application/vnd.cncf.helm" is a chart (NormalizeChart); the OCI and
 * Docker index, manifest-list, manifest and image-config types are an
 * image (NormalizeImage); anything else, or media_type NULL (quay and
 * harbor, which never look at one), both. KW_OK or KW_ENOMEM.
 */
int registry_add_repo(struct event_builder *b, const char *repo, size_t len,
	const char *media_type);

/* Adds repo[0..len) normalized as a chart only (artifactory's "oci"). */
int registry_add_chart(struct event_builder *b, const char *repo, size_t len);

/* Adds repo[0..len) normalized as an image only (artifactory's "docker"). */
int registry_add_image(struct event_builder *b, const char *repo, size_t len);

/*
 * Fills out as a refusal in the kind's own words: the handler answers
 * status with {"error": msg} (msg is copied). Returns KW_EUNSUPPORTED, or
 * KW_ENOMEM.
 */
int registry_refuse(struct event *out, int status, const char *msg);

#endif
