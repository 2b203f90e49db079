/*
 * utf8.h: UTF-8 as Go's unicode/utf8 package reads and writes it, the one
 * copy every module uses (JSON strings, URL normalization, JSON escaping):
 * no overlong forms, no surrogates, nothing past U+10FFFF.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT 0xFFFDu

/* utf8.DecodeRune on p[0..n) (n > 0): the rune in *r and its width; an
 * invalid or short sequence is U+FFFD of width 1. */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *r);

/* The width of the valid sequence at p[0..n) (n > 0), 0 when invalid;
 * *r (optional) gets the rune. */
size_t utf8_valid_len(const unsigned char *p, size_t n, uint32_t *r);

/* utf8.EncodeRune of a valid rune r into out (room for 4); returns the
 * width. */
size_t utf8_encode(unsigned char *out, uint32_t r);

#endif
