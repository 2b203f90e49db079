/*
 * fuzz_imagenorm.c: libFuzzer target for imagenorm.c. The first byte picks
 * the function (image, chart, reference check, OCI reference check); the
 * rest is the input, any bytes, as a webhook body or a manifest may carry.
 * Besides memory safety it checks what holds for every output of Kargo's
 * NormalizeImage: either the input comes back byte for byte, or the output
 * is a lowercase "registry/repository" with no tag, digest or space, and
 * the same call gives the same answer.
 */
#include "imagenorm.h"
#include "kw.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool as_given(const char *out, const uint8_t *data, size_t size)
{
	size_t n = strlen(out);

	return n <= size && memcmp(out, data, n) == 0 &&
		(n == size || data[n] == '\0');
}

/* A parsed reference prints as registry/repository: '@' never survives,
 * nor ASCII upper case, spaces or control bytes. */
static void check_image(const char *out, const uint8_t *data, size_t size)
{
	if (as_given(out, data, size))
		return;
	if (strlen(out) > 3 * size)
		abort();
	for (const char *p = out; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '@' || c <= ' ' || c == 0x7F || (c >= 'A' && c <= 'Z'))
			abort();
	}
}

static void run_norm(int (*fn)(char **, const char *, size_t), bool image,
	const uint8_t *data, size_t size)
{
	char *out = NULL, *again = NULL;

	if (fn(&out, (const char *)data, size) != KW_OK || out == NULL)
		abort();
	if (image)
		check_image(out, data, size);
	if (fn(&again, (const char *)data, size) != KW_OK ||
	    strcmp(out, again) != 0)
		abort();
	free(again);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool ok;

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		run_norm(imagenorm_image, true, data + 1, size - 1);
		break;
	case 1:
		run_norm(imagenorm_chart, false, data + 1, size - 1);
		break;
	case 2:
		if (imagenorm_reference_ok(&ok, (const char *)data + 1, size - 1) != KW_OK)
			abort();
		break;
	default:
		if (imagenorm_oci_reference_ok(&ok, (const char *)data + 1, size - 1) != KW_OK)
			abort();
		break;
	}
	return 0;
}
