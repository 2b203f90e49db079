/*
 * urlnorm.h: Kargo-compatible git URL normalization (urls.NormalizeGit),
 * contract §5. Pure: no I/O, no globals.
 */
#ifndef URLNORM_H
#define URLNORM_H

#include <stddef.h>

/*
 * Normalizes the git URL in in[0..len) (need not be NUL-terminated, may hold
 * any bytes). On KW_OK *out is a new NUL-terminated string the caller frees.
 * Returns KW_ENOMEM only: an unparsable URL (or an http(s) URL with query
 * parameters) is returned exactly as given, as Kargo does.
 */
int urlnorm_git(char **out, const char *in, size_t len);

#endif
