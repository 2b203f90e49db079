/*
 * event.c: the neutral event's builder (event.h). The strings are kept
 * apart while a body is read, then sorted, cleaned and copied into the
 * event's single allocation, which event_clear() frees.
 */
#include "event.h"

#include "gojson.h"
#include "kw.h"
#include "urlnorm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const size_t limits[EVENT_LISTS] = {
	EVENT_MAX_URLS, EVENT_MAX_REFS, EVENT_MAX_PATHS,
};

void event_builder_init(struct event_builder *b)
{
	memset(b, 0, sizeof(*b));
}

void event_builder_free(struct event_builder *b)
{
	for (int l = 0; l < EVENT_LISTS; l++) {
		for (size_t i = 0; i < b->lists[l].n; i++)
			free(b->lists[l].v[i]);
		free(b->lists[l].v);
	}
	free(b->name);
	memset(b, 0, sizeof(*b));
}

/* Takes s (malloc'd) into the list, or frees it. An empty URL or ref is
 * dropped, as refreshWarehouses drops them; an empty path is kept, as
 * collectPaths keeps it: it is a changed file that includePaths refuse. */
static int take(struct event_builder *b, enum event_list list, char *s)
{
	struct event_strings *l = &b->lists[list];
	bool empty;

	if (s == NULL)
		return KW_ENOMEM;
	empty = s[0] == '\0' && list != EVENT_PATHS;
	if (empty || l->n == limits[list]) {
		l->overflow = l->overflow || !empty;
		free(s);
		return KW_OK;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			free(s);
			return KW_ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return KW_OK;
}

int event_add(struct event_builder *b, enum event_list list, const char *s,
	size_t n)
{
	return take(b, list, kw_strndup(s, n));
}

char *event_go_string(const struct gojson_decoder *d,
	const struct gojson_span *sp)
{
	char *s;
	size_t n;

	if (sp->len > (SIZE_MAX - 1) / 3 || (s = malloc(3 * sp->len + 1)) == NULL)
		return NULL;
	n = gojson_string((unsigned char *)s, d->js.s + sp->off, sp->len);
	s[n] = '\0';
	return s;
}

bool event_go_equal(const struct gojson_decoder *d,
	const struct gojson_span *sp, const char *word)
{
	char *s;
	bool eq;

	/* An escape is at most 6 bytes per rune: longer spans cannot match. */
	if (sp->len > 6 * strlen(word) || (s = event_go_string(d, sp)) == NULL)
		return false;
	eq = strcmp(s, word) == 0;
	free(s);
	return eq;
}

int event_add_go(struct event_builder *b, enum event_list list,
	const struct gojson_decoder *d, const struct gojson_span *sp)
{
	return take(b, list, event_go_string(d, sp));
}

int event_add_git_url(struct event_builder *b, const struct gojson_decoder *d,
	const struct gojson_span *sp)
{
	char *raw = event_go_string(d, sp), *norm = NULL;
	int rc;

	if (raw == NULL)
		return KW_ENOMEM;
	rc = urlnorm_git(&norm, raw, strlen(raw));
	free(raw);
	return rc == KW_OK ? take(b, EVENT_URLS, norm) : rc;
}

int event_add_go_list(struct event_builder *b, enum event_list list,
	const struct gojson_decoder *d, int slice)
{
	const struct gojson_slice *sl = &d->slices[slice];
	int rc = KW_OK;

	for (size_t i = 0; rc == KW_OK && i < sl->len && !b->lists[list].overflow; i++)
		rc = event_add_go(b, list, d, &sl->elems[i]);
	return rc;
}

int event_add_push(struct event_builder *b, const struct gojson_decoder *d,
	const struct gojson_span *http_url, const struct gojson_span *ssh_url,
	const struct gojson_span *ref, int paths)
{
	int rc = event_add_git_url(b, d, http_url);

	if (rc == KW_OK)
		rc = event_add_git_url(b, d, ssh_url);
	if (rc == KW_OK)
		rc = event_add_go(b, EVENT_REFS, d, ref);
	if (rc == KW_OK && paths != -1)
		rc = event_add_go_list(b, EVENT_PATHS, d, paths);
	return rc;
}

bool event_commits_whole(const struct gojson_decoder *d,
	const struct gojson_span *total, int commits)
{
	return event_go_int(d, total) <= (long long)d->slices[commits].len;
}

int event_pr_on(struct event_builder *b, const struct gojson_decoder *d,
	const struct gojson_span *action, const char *const *actions,
	const struct gojson_span *url, enum event_kind *kind)
{
	*kind = EVENT_IGNORED;
	for (size_t i = 0; actions[i] != NULL; i++)
		if (event_go_equal(d, action, actions[i]))
			*kind = EVENT_PR;
	return *kind == EVENT_PR ? event_add_go(b, EVENT_URLS, d, url) : KW_OK;
}

long long event_go_int(const struct gojson_decoder *d,
	const struct gojson_span *sp)
{
	char buf[32];

	if (sp->len == 0 || sp->len >= sizeof(buf))
		return 0;
	memcpy(buf, d->js.s + sp->off, sp->len);
	buf[sp->len] = '\0';
	return strtoll(buf, NULL, 10);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and removes duplicates; an overflowing ref or path list is
 * emptied (see event.h). Returns the bytes the strings take. */
static size_t settle(struct event_strings *l, enum event_list list)
{
	size_t n = 0, bytes = 0;

	if (l->overflow && list != EVENT_URLS)
		n = 0;
	else if (l->n > 0) {
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
		for (size_t i = 0; i < l->n; i++) {
			if (n > 0 && strcmp(l->v[n - 1], l->v[i]) == 0) {
				free(l->v[i]);
				continue;
			}
			l->v[n++] = l->v[i];
		}
	}
	for (size_t i = n; i < l->n && l->overflow && list != EVENT_URLS; i++)
		free(l->v[i]);
	l->n = n;
	for (size_t i = 0; i < n; i++)
		bytes += strlen(l->v[i]) + 1;
	return bytes;
}

static void release_block(void *block)
{
	free(block);
}

int event_builder_finish(struct event *out, struct event_builder *b,
	enum event_kind kind)
{
	size_t bytes = 0, n_ptrs = 0, name_len = b->name ? strlen(b->name) + 1 : 0;
	char **ptrs, *dst;
	void *block;

	for (int l = 0; l < EVENT_LISTS; l++) {
		bytes += settle(&b->lists[l], (enum event_list)l);
		n_ptrs += b->lists[l].n;
	}
	block = malloc(n_ptrs * sizeof(char *) + bytes + name_len + 1);
	if (block == NULL)
		return KW_ENOMEM;
	ptrs = block;
	dst = (char *)(ptrs + n_ptrs);
	out->kind = kind;
	for (int l = 0; l < EVENT_LISTS; l++) {
		struct event_strings *s = &b->lists[l];
		char *const *first = s->n > 0 ? ptrs : NULL;

		for (size_t i = 0; i < s->n; i++) {
			size_t len = strlen(s->v[i]) + 1;

			memcpy(dst, s->v[i], len);
			*ptrs++ = dst;
			dst += len;
		}
		if (l == EVENT_URLS) {
			out->urls = first;
			out->n_urls = s->n;
		} else if (l == EVENT_REFS) {
			out->refs = first;
			out->n_refs = s->n;
		} else {
			out->paths = first;
			out->n_paths = s->n;
		}
	}
	if (b->name != NULL) {
		memcpy(dst, b->name, name_len);
		out->name = dst;
	}
	out->block = block;
	out->release = release_block;
	event_builder_free(b);
	return KW_OK;
}

int event_decode(struct event *out, const struct gojson_field *shape,
	event_extract_fn extract, const char *body, size_t len,
	struct kw_err *err)
{
	enum event_kind kind = EVENT_PUSH;
	struct gojson_decoder d;
	struct event_builder b;
	int rc, made;

	gojson_init(&d, body, len, err);
	event_builder_init(&b);
	rc = gojson_decode(&d, shape, body, len);
	if (rc == KW_OK)
		rc = extract(&b, &d, &kind);
	made = rc == KW_OK || rc == KW_EUNSUPPORTED ?
		event_builder_finish(out, &b, kind) : KW_OK;
	if (made != KW_OK)
		rc = made;
	event_builder_free(&b);
	gojson_free(&d);
	return rc;
}

int event_route(struct event *out, const struct event_route *routes,
	size_t n_routes, const char *type, const char *body, size_t len,
	struct kw_err *err)
{
	for (size_t i = 0; type != NULL && i < n_routes; i++)
		if (strcmp(routes[i].type, type) == 0)
			return event_decode(out, routes[i].shape, routes[i].extract,
				body, len, err);
	out->refusal = REFUSE_EVENT;
	return KW_EUNSUPPORTED;
}
