/*
 * imagenorm.h: Kargo's image and chart repository normalization
 * (urls.NormalizeImage, urls.NormalizeChart), and the reference checks
 * Kargo's image and OCI chart selectors make when they are built. Registry
 * webhooks and Warehouse image/chart subscriptions are compared after this
 * step. Pure: no I/O, no globals.
 */
#ifndef IMAGENORM_H
#define IMAGENORM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * urls.NormalizeImage of in[0..len) (any bytes): lowercased and sanitized,
 * parsed as go-containerregistry's name.ParseReference (weak validation)
 * does, then "registry/repository" with any tag or digest dropped, and for
 * Docker Hub (index.docker.io, docker.io, registry-1.docker.io, or no
 * registry) the repository alone without a leading "library/". Input that
 * does not parse comes back exactly as given. *out is a new NUL-terminated
 * string (the caller frees). KW_OK or KW_ENOMEM.
 */
int imagenorm_image(char **out, const char *in, size_t len);

/*
 * urls.NormalizeChart: sanitized; input Go's url.Parse refuses comes back
 * as given; otherwise lowercased, one leading "oci://" dropped, then
 * NormalizeImage (which, failing, returns that lowercased string). *out as
 * above. KW_OK or KW_ENOMEM.
 */
int imagenorm_chart(char **out, const char *in, size_t len);

/*
 * *ok: whether name.ParseReference(s) (weak validation, no lowercasing)
 * accepts s[0..len): what Kargo's image selector checks of
 * NormalizeImage(repoURL) when it is built. KW_OK or KW_ENOMEM.
 */
int imagenorm_reference_ok(bool *ok, const char *s, size_t len);

/*
 * *ok: whether oras-go's registry.ParseReference accepts s[0..len) (a
 * chart repoURL without its "oci://"): "registry/repository[:tag|@digest]"
 * with a non-empty registry. What Kargo's OCI chart selector checks when
 * it is built. KW_OK or KW_ENOMEM.
 */
int imagenorm_oci_reference_ok(bool *ok, const char *s, size_t len);

#endif
