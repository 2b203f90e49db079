/*
 * receiver.c: the table of served receiver kinds (receiver.h) and the
 * neutral event's release. Adding a kind is one file in src/receivers/
 * and one line here.
 */
#include "receiver.h"

#include "kw.h"

#include <string.h>

static const struct receiver_ops *const kinds[] = {
	&receiver_bitbucket, &receiver_github, &receiver_gitlab, &receiver_gitea,
	&receiver_azure, &receiver_dockerhub, &receiver_quay, &receiver_harbor,
	&receiver_artifactory, &receiver_generic,
};

const struct receiver_ops *receiver_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < KW_ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

const struct receiver_ops *const *receiver_all(size_t *n)
{
	*n = KW_ARRAY_LEN(kinds);
	return kinds;
}

void event_clear(struct event *ev)
{
	if (ev->release != NULL)
		ev->release(ev->block);
	memset(ev, 0, sizeof(*ev));
}
