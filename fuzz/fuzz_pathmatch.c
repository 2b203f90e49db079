/*
 * fuzz_pathmatch.c: libFuzzer target for src/pathmatch.c. The input is a
 * pattern, a NUL byte, and a path. Besides the sanitizers' findings it
 * checks what holds for any input: a pattern matches itself when it holds
 * no special character, and a base directory contains itself.
 */
#include "pathmatch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2), *path;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	path = buf + strlen(buf) + (strlen(buf) < size ? 1 : 0);
	if (pathmatch_glob_valid(buf)) {
		(void)pathmatch_glob(buf, path);
		if (strpbrk(buf, "*?[]{}\\") == NULL && buf[0] != '\0' &&
		    !pathmatch_glob(buf, buf))
			abort();
	}
	(void)pathmatch_base_dir(buf, path);
	if (strstr(buf, "..") == NULL && !pathmatch_base_dir(buf, buf))
		abort();
	free(buf);
	return 0;
}
