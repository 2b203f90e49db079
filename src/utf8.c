/*
 * utf8.c: Go's UTF-8 decoding and encoding (utf8.h).
 */
#include "utf8.h"

#include <stddef.h>

size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *r)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t w;
	uint32_t v;

	*r = UTF8_REPLACEMENT;
	if (p[0] < 0x80) {
		*r = p[0];
		return 1;
	}
	if (p[0] < 0xC2 || p[0] > 0xF4)
		return 1;
	w = p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
	if (n < w)
		return 1;
	if (p[0] == 0xE0)
		lo = 0xA0;
	else if (p[0] == 0xED)
		hi = 0x9F;
	else if (p[0] == 0xF0)
		lo = 0x90;
	else if (p[0] == 0xF4)
		hi = 0x8F;
	if (p[1] < lo || p[1] > hi)
		return 1;
	v = p[0] & (0xFF >> (w + 1));
	for (size_t i = 1; i < w; i++) {
		if (i > 1 && (p[i] < 0x80 || p[i] > 0xBF))
			return 1;
		v = v << 6 | (p[i] & 0x3F);
	}
	*r = v;
	return w;
}

size_t utf8_valid_len(const unsigned char *p, size_t n, uint32_t *r)
{
	uint32_t v;
	size_t w = utf8_decode(p, n, &v);

	if (w == 1 && p[0] >= 0x80)
		return 0;
	if (r != NULL)
		*r = v;
	return w;
}

size_t utf8_encode(unsigned char *out, uint32_t r)
{
	if (r < 0x80) {
		out[0] = (unsigned char)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (unsigned char)(0xC0 | r >> 6);
		out[1] = (unsigned char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (unsigned char)(0xE0 | r >> 12);
		out[1] = (unsigned char)(0x80 | (r >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (r & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | r >> 18);
	out[1] = (unsigned char)(0x80 | (r >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (r >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (r & 0x3F));
	return 4;
}
