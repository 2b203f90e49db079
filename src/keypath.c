/*
 * keypath.c: the dotted key path of diagnostics (keypath.h).
 */
#include "keypath.h"

#include <stdio.h>
#include <string.h>

/* Control characters would let a key forge lines in the output. */
static void kp_putc(struct keypath *kp, char c)
{
	if (kp->len + 1 >= sizeof(kp->buf))
		return;
	kp->buf[kp->len++] = ((unsigned char)c < 0x20 || c == 0x7f) ? '?' : c;
	kp->buf[kp->len] = '\0';
}

size_t keypath_key(struct keypath *kp, const char *key, size_t len)
{
	size_t old = kp->len;

	if (old > 0)
		kp_putc(kp, '.');
	for (size_t i = 0; i < len; i++)
		kp_putc(kp, key[i]);
	return old;
}

size_t keypath_str(struct keypath *kp, const char *key)
{
	return keypath_key(kp, key, strlen(key));
}

size_t keypath_index(struct keypath *kp, size_t i)
{
	char num[32];
	size_t old = kp->len;

	snprintf(num, sizeof(num), "[%zu]", i);
	for (const char *p = num; *p != '\0'; p++)
		kp_putc(kp, *p);
	return old;
}

void keypath_pop(struct keypath *kp, size_t old)
{
	kp->len = old;
	kp->buf[old] = '\0';
}
