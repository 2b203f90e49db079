/*
 * urlnorm.h: Kargo-compatible git URL normalization (urls.NormalizeGit),
 * contract §5, and the pieces of Go's net/url and urls.SanitizeURL that the
 * image and chart normalizers (imagenorm.h) reuse. Pure: no I/O, no
 * globals.
 */
#ifndef URLNORM_H
#define URLNORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Normalizes the git URL in in[0..len) (need not be NUL-terminated, may hold
 * any bytes). On KW_OK *out is a new NUL-terminated string the caller frees.
 * Returns KW_ENOMEM only: an unparsable URL (or an http(s) URL with query
 * parameters) is returned exactly as given, as Kargo does.
 */
int urlnorm_git(char **out, const char *in, size_t len);

/*
 * Kargo's urls.SanitizeURL, of strings.ToLower(in) when lower: drops every
 * non-printable rune anywhere and spaces at both ends, turns invalid UTF-8
 * bytes into U+FFFD as Go does. *out is a new NUL-terminated string of
 * *out_len bytes (the caller frees). KW_OK or KW_ENOMEM.
 */
int urlnorm_sanitize(char **out, size_t *out_len, const char *in, size_t len,
	bool lower);

/* *ok: whether Go 1.26's url.Parse(in) succeeds. KW_OK or KW_ENOMEM. */
int urlnorm_go_parses(bool *ok, const char *in, size_t len);

/*
 * url.Parse(in).Host: *ok whether it parses; then *out is a new string,
 * the host (with its port, unescaped as Go holds it; "" when none). KW_OK
 * or KW_ENOMEM.
 */
int urlnorm_go_host(char **out, bool *ok, const char *in, size_t len);

/* unicode.IsPrint as Go 1.26 has it (strconv.Quote's test). */
bool urlnorm_go_is_print(uint32_t r);

/*
 * *ok: whether url.Parse("//" + name) succeeds with Host equal to name,
 * the check go-containerregistry makes of a registry name (an empty name
 * passes). The same holds for any scheme other than http and https in
 * front, so it also serves oras' "dummy://" + name check. KW_OK or
 * KW_ENOMEM.
 */
int urlnorm_go_authority(bool *ok, const char *name, size_t len);

#endif
