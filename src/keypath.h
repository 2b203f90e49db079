/*
 * keypath.h: the dotted path of the node being read, such as
 * "spec.subscriptions[1].git", which every manifest diagnostic names.
 * Push a key or an index, remember what the push returned, pop back to it.
 * A path longer than the buffer is cut; control characters become '?', so
 * a key cannot forge lines in the output.
 */
#ifndef KEYPATH_H
#define KEYPATH_H

#include <stddef.h>

#define KEYPATH_MAX 256

struct keypath {
	char buf[KEYPATH_MAX];
	size_t len;
};

/* Each push returns the length to pop back to. */
size_t keypath_key(struct keypath *kp, const char *key, size_t len);
size_t keypath_str(struct keypath *kp, const char *key);
size_t keypath_index(struct keypath *kp, size_t i);
void keypath_pop(struct keypath *kp, size_t old);

#endif
