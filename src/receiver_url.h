/*
 * receiver_url.h: a receiver's path and URL (contract §3):
 *   hex  = lowercase hex SHA-256(project + name + secret)
 *   path = join(basePath, "bitbucket", hex)
 *   url  = scheme://host[:port] of the base URL, then path
 * Pure: no I/O, no globals.
 */
#ifndef RECEIVER_URL_H
#define RECEIVER_URL_H

#include <stddef.h>

struct kw_err;

struct receiver_url {
	char *path; /* e.g. "/webhooks/bitbucket/815f...d569" */
	char *url;  /* e.g. "https://kargo.example.com/webhooks/bitbucket/..." */
};

/*
 * Splits a base URL ("https://host[:port][/path]", or "" / NULL meaning no
 * base) into its origin ("https://host:port", "" when none) and its cleaned
 * path ("/" when empty; duplicate and trailing slashes removed). Both are
 * new strings the caller frees. KW_EINVAL (with err) when base is not an
 * http(s) URL; KW_ENOMEM.
 */
int receiver_url_split_base(char **origin, char **base_path,
	const char *base, struct kw_err *err);

/*
 * Fills out for one receiver. kind is the path segment ("bitbucket").
 * out->path and out->url are new strings; free them with
 * receiver_url_clear(). Returns KW_OK, KW_EINVAL (bad base, with err) or
 * KW_ENOMEM.
 */
int receiver_url_build(struct receiver_url *out, const char *base_url,
	const char *kind, const char *project, const char *name,
	const unsigned char *secret, size_t secret_len, struct kw_err *err);

/* Frees out's strings; accepts a zeroed struct. */
void receiver_url_clear(struct receiver_url *out);

#endif
