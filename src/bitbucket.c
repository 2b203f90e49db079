/*
 * bitbucket.c: a Bitbucket webhook body turned into the repository URLs and
 * refs the receiver acts on (contract §4.6-4.8). Kargo v1.11
 * (pkg/webhook/external/bitbucket.go) decodes each event with Go's
 * encoding/json into a small struct of its own, and whether a body earns
 * 400 "invalid request body" is whatever json.Unmarshal decides. This file
 * reproduces that decision, then reads the same fields Kargo reads.
 *
 * gojson.h makes that decision, as Go would, from the tables below that
 * mirror Kargo's structs (every field of them, read or not: the unused
 * actor.name and actor.emailAddress are checked too, because a number there
 * makes Kargo answer 400), and notes where each string value lies in the
 * body; only the strings that end up in the result are decoded, into the
 * event's single allocation. repository.full_name, read only for the
 * [beyond] SSH form, is not in Kargo's struct, so a non-string there is
 * ignored rather than refused. A "\u0000" escape is read as U+0001: URL
 * normalization drops both and neither can spell a field name.
 *
 * Then, as Kargo does, empty URLs and refs are dropped and the rest
 * deduplicated. Bounds: at most MAX_URLS URLs are kept (the first ones);
 * a push naming more than MAX_REFS distinct refs yields no refs at all,
 * which makes the receiver refresh every subscribed Warehouse: refreshing
 * too many is harmless, missing one is not. Each string is at most three
 * times its length in the body (U+FFFD for each invalid byte).
 */
#include "bitbucket.h"

#include "gojson.h"
#include "kw.h"
#include "urlnorm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_URLS 1024
#define MAX_REFS 4096

/* ---- Kargo's structs (pkg/webhook/external/bitbucket.go) ---- */

#define STR(n, slot) { (n), GOJSON_STRING, NULL, 0, (slot), 0 }
#define ANY_STR(n, slot) { (n), GOJSON_ANY_STRING, NULL, 0, (slot), 0 }
#define OBJ(n, f) { (n), GOJSON_STRUCT, (f), KW_ARRAY_LEN(f), GOJSON_NO_SLOT, 0 }
#define LIST(n, f, slice, width) \
	{ (n), GOJSON_SLICE, (f), KW_ARRAY_LEN(f), (slice), (width) }

/* Slots: what each event's extraction reads. */
enum {
	HREF = 0,      /* html.href in the body; href in a clone or self element */
	FULL_NAME = 1, /* repository.full_name (repo:push) */
	NEW_TYPE = 0,  /* push.changes[].new.type */
	NEW_NAME = 1,  /* push.changes[].new.name */
	REF_ID = 0,    /* changes[].ref.id (repo:refs_changed) */
	CHANGES = 0,   /* slice: push.changes, changes */
	CLONE = 1,     /* slice: repository.links.clone */
	SELF = 0,      /* slice: pullRequest.links.self */
};

static const struct gojson_field href_fields[] = { STR("href", HREF) };
static const struct gojson_field actor_fields[] = {
	STR("name", GOJSON_NO_SLOT), STR("emailAddress", GOJSON_NO_SLOT),
};

/* repo:push: bitbucketPushEventBody */
static const struct gojson_field push_new_fields[] = {
	STR("type", NEW_TYPE), STR("name", NEW_NAME),
};
static const struct gojson_field push_change_fields[] = { OBJ("new", push_new_fields) };
static const struct gojson_field push_fields[] = {
	LIST("changes", push_change_fields, CHANGES, 2),
};
static const struct gojson_field html_links_fields[] = { OBJ("html", href_fields) };
static const struct gojson_field cloud_repo_fields[] = {
	OBJ("links", html_links_fields), ANY_STR("full_name", FULL_NAME),
};
static const struct gojson_field push_body_fields[] = {
	OBJ("actor", actor_fields), OBJ("push", push_fields),
	OBJ("repository", cloud_repo_fields),
};

/* repo:refs_changed: bitbucketRefsChangedEventBody */
static const struct gojson_field ref_fields[] = { STR("id", REF_ID) };
static const struct gojson_field server_change_fields[] = { OBJ("ref", ref_fields) };
static const struct gojson_field clone_links_fields[] = {
	LIST("clone", href_fields, CLONE, 1),
};
static const struct gojson_field server_repo_fields[] = { OBJ("links", clone_links_fields) };
static const struct gojson_field refs_changed_body_fields[] = {
	OBJ("actor", actor_fields), LIST("changes", server_change_fields, CHANGES, 1),
	OBJ("repository", server_repo_fields),
};

/* pullrequest:fulfilled, :rejected: handlePRFulfilledEvent's payload */
static const struct gojson_field cloud_pr_fields[] = { OBJ("links", html_links_fields) };
static const struct gojson_field cloud_pr_body_fields[] = {
	OBJ("pullrequest", cloud_pr_fields),
};

/* pr:merged, pr:declined: handlePRMergedEvent's payload */
static const struct gojson_field self_links_fields[] = { LIST("self", href_fields, SELF, 1) };
static const struct gojson_field server_pr_fields[] = { OBJ("links", self_links_fields) };
static const struct gojson_field server_pr_body_fields[] = {
	OBJ("pullRequest", server_pr_fields),
};

/* ---- the result ---- */

/* The kept strings' bytes, each NUL-terminated; copied into the event at
 * the end. Starts on the stack, which holds a typical push's. */
struct arena {
	char *buf;
	size_t len, cap;
	char small[1024];
};

struct item {
	size_t off, len; /* in the arena */
};

#define LINEAR_MAX 16 /* up to this many items, look up without a table */

/* Distinct non-empty strings in insertion order, at most max of them. */
struct strset {
	struct item *items;
	size_t n, cap, max;
	uint32_t *slots; /* open addressing: index into items + 1, 0 when free */
	size_t n_slots;  /* a power of two, at least 2 * max */
	bool overflow;   /* a distinct string beyond max was seen */
	struct item small[LINEAR_MAX];
};

struct collect {
	const unsigned char *body;
	struct arena a;
	struct strset urls, refs;
};

static int arena_reserve(struct arena *a, size_t n)
{
	size_t cap = a->cap;
	char *p;

	if (n > SIZE_MAX / 2 - a->len)
		return KW_ENOMEM;
	if (a->len + n <= cap)
		return KW_OK;
	while (cap < a->len + n)
		cap *= 2;
	p = a->buf == a->small ? malloc(cap) : realloc(a->buf, cap);
	if (p == NULL)
		return KW_ENOMEM;
	if (a->buf == a->small)
		memcpy(p, a->small, a->len);
	a->buf = p;
	a->cap = cap;
	return KW_OK;
}

static int arena_append(struct arena *a, const char *s, size_t n)
{
	int rc = arena_reserve(a, n);

	if (rc == KW_OK) {
		memcpy(a->buf + a->len, s, n);
		a->len += n;
	}
	return rc;
}

/* Appends span as Go holds it (not terminated). */
static int arena_go_string(struct collect *c, struct gojson_span sp)
{
	int rc = sp.len > SIZE_MAX / 3 ? KW_ENOMEM : arena_reserve(&c->a, 3 * sp.len);

	if (rc == KW_OK)
		c->a.len += gojson_string((unsigned char *)c->a.buf + c->a.len,
			c->body + sp.off, sp.len);
	return rc;
}

static void strset_init(struct strset *set, size_t max, size_t n_slots)
{
	memset(set, 0, sizeof(*set));
	set->items = set->small;
	set->cap = LINEAR_MAX;
	set->max = max;
	set->n_slots = n_slots;
}

static void strset_free(struct strset *set)
{
	if (set->items != set->small)
		free(set->items);
	free(set->slots);
}

static uint32_t hash_str(const char *s, size_t n)
{
	return (uint32_t)kw_fnv1a(KW_FNV1A_INIT, s, n);
}

static bool item_equal(const struct collect *c, const struct item *it,
	const char *s, size_t n)
{
	return it->len == n && memcmp(c->a.buf + it->off, s, n) == 0;
}

/* Whether s is in the set; *slot is where it is, or where it would go in
 * the table. The table is at most half full, so the probe ends. */
static bool strset_find(const struct collect *c, const struct strset *set,
	const char *s, size_t n, size_t *slot)
{
	size_t mask = set->n_slots - 1, i;

	if (set->slots == NULL) {
		for (i = 0; i < set->n; i++)
			if (item_equal(c, &set->items[i], s, n))
				return true;
		return false;
	}
	for (i = hash_str(s, n) & mask; set->slots[i] != 0; i = (i + 1) & mask)
		if (item_equal(c, &set->items[set->slots[i] - 1], s, n))
			break;
	*slot = i;
	return set->slots[i] != 0;
}

/* Past LINEAR_MAX items: a table, and room for max items. */
static int strset_grow(const struct collect *c, struct strset *set)
{
	struct item *p = malloc(set->max * sizeof(*p));

	set->slots = calloc(set->n_slots, sizeof(*set->slots));
	if (p == NULL || set->slots == NULL) {
		free(p);
		return KW_ENOMEM;
	}
	memcpy(p, set->items, set->n * sizeof(*p));
	set->items = p;
	set->cap = set->max;
	for (size_t i = 0; i < set->n; i++) {
		size_t slot;

		(void)strset_find(c, set, c->a.buf + p[i].off, p[i].len, &slot);
		set->slots[slot] = (uint32_t)(i + 1);
	}
	return KW_OK;
}

/* Keeps the string the arena ends with, from off on, or drops it (as
 * Kargo's refreshWarehouses drops empty URLs and refs) when it is empty,
 * already there, or beyond max. */
static int strset_add(struct collect *c, struct strset *set, size_t off)
{
	const char *s = c->a.buf + off;
	size_t n = c->a.len - off, slot = 0;
	int rc = KW_OK;

	if (n == 0 || strset_find(c, set, s, n, &slot))
		rc = KW_OK;
	else if (set->n == set->max)
		set->overflow = true;
	else if (set->n == set->cap && (rc = strset_grow(c, set)) != KW_OK)
		rc = KW_ENOMEM;
	else {
		if (set->slots != NULL)
			(void)strset_find(c, set, s, n, &slot);
		set->items[set->n++] = (struct item){ off, n };
		if (set->slots != NULL)
			set->slots[slot] = (uint32_t)set->n;
		return arena_append(&c->a, "", 1);
	}
	c->a.len = off;
	return rc;
}

/* Adds prefix + span as Go holds it. */
static int add_go_string(struct collect *c, struct strset *set,
	const char *prefix, struct gojson_span sp)
{
	size_t off = c->a.len;
	int rc = arena_append(&c->a, prefix, strlen(prefix));

	if (rc == KW_OK)
		rc = arena_go_string(c, sp);
	return rc == KW_OK ? strset_add(c, set, off) : rc;
}

/* Normalizes the bytes the arena ends with, from off on, and removes them:
 * *out is the C string urlnorm_git gives. */
static int normalize_tail(char **out, struct collect *c, size_t off)
{
	int rc = urlnorm_git(out, c->a.buf + off, c->a.len - off);

	c->a.len = off;
	return rc;
}

static int normalize(char **out, struct collect *c, struct gojson_span sp)
{
	size_t off = c->a.len;
	int rc = arena_go_string(c, sp);

	*out = NULL;
	return rc == KW_OK ? normalize_tail(out, c, off) : rc;
}

static int add_c_string(struct collect *c, struct strset *set, const char *s)
{
	size_t off = c->a.len;
	int rc = arena_append(&c->a, s, strlen(s));

	return rc == KW_OK ? strset_add(c, set, off) : rc;
}

static int add_url(struct collect *c, struct gojson_span sp, bool normalized)
{
	char *s = NULL;
	int rc;

	if (!normalized)
		return add_go_string(c, &c->urls, "", sp);
	rc = normalize(&s, c, sp);
	if (rc == KW_OK)
		rc = add_c_string(c, &c->urls, s);
	free(s);
	return rc;
}

/* The host of an http(s) URL, without user info or port. */
static bool http_host(const char *url, const char **host, size_t *len)
{
	const char *p, *end, *q;

	if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return false;
	end = p + strcspn(p, "/?#");
	for (q = end; q > p && q[-1] != '@'; q--)
		;
	p = q; /* past the user info, if any */
	if (*p == '[') {
		q = memchr(p, ']', (size_t)(end - p));
		end = q != NULL ? q + 1 : p;
	} else if ((q = memchr(p, ':', (size_t)(end - p))) != NULL) {
		end = q;
	}
	*host = p;
	*len = (size_t)(end - p);
	return end > p;
}

/* [beyond] "ssh://git@<host>/<full_name>", normalized, from the normalized
 * html href: what a Warehouse subscribed with git@host:ws/repo.git holds.
 * *out stays NULL when there is no host or no full_name. */
static int ssh_url(char **out, struct collect *c, const char *href,
	struct gojson_span full_name)
{
	static const char scheme[] = "ssh://git@";
	size_t off = c->a.len, host_len;
	const char *host;
	int rc;

	*out = NULL;
	if (full_name.len == 0 || !http_host(href, &host, &host_len))
		return KW_OK;
	rc = arena_append(&c->a, scheme, strlen(scheme));
	if (rc == KW_OK)
		rc = arena_append(&c->a, host, host_len);
	if (rc == KW_OK)
		rc = arena_append(&c->a, "/", 1);
	if (rc == KW_OK)
		rc = arena_go_string(c, full_name);
	if (rc != KW_OK) {
		c->a.len = off;
		return rc;
	}
	return normalize_tail(out, c, off);
}

static int push_urls(struct collect *c, const struct gojson_decoder *d)
{
	char *href = NULL, *ssh = NULL;
	int rc = normalize(&href, c, d->root[HREF]);

	if (rc == KW_OK)
		rc = ssh_url(&ssh, c, href, d->root[FULL_NAME]);
	if (rc == KW_OK)
		rc = add_c_string(c, &c->urls, href);
	if (rc == KW_OK && ssh != NULL)
		rc = add_c_string(c, &c->urls, ssh);
	free(href);
	free(ssh);
	return rc;
}

/* The prefix for a change of this type: a tag only for exactly "tag". */
static int ref_prefix(const char **out, struct collect *c, struct gojson_span type)
{
	size_t off = c->a.len;
	int rc;

	*out = "refs/heads/";
	/* "tag" decodes from 3 to 18 bytes (each letter may be a \u escape). */
	if (type.len < 3 || type.len > 18)
		return KW_OK;
	rc = arena_go_string(c, type);
	if (rc == KW_OK && c->a.len - off == 3 && memcmp(c->a.buf + off, "tag", 3) == 0)
		*out = "refs/tags/";
	c->a.len = off;
	return rc;
}

static const struct gojson_span *elem(const struct gojson_decoder *d, size_t slice,
	size_t width, size_t i)
{
	return d->slices[slice].elems + i * width;
}

static int extract_push(struct collect *c, const struct gojson_decoder *d)
{
	const struct gojson_slice *changes = &d->slices[CHANGES];
	int rc = push_urls(c, d);

	for (size_t i = 0; rc == KW_OK && !c->refs.overflow && i < changes->len; i++) {
		const struct gojson_span *e = elem(d, CHANGES, 2, i);

		const char *prefix;

		/* Kargo skips an empty name: "new" is null for a deletion. */
		if (e[NEW_NAME].len == 0)
			continue;
		rc = ref_prefix(&prefix, c, e[NEW_TYPE]);
		if (rc == KW_OK)
			rc = add_go_string(c, &c->refs, prefix, e[NEW_NAME]);
	}
	return rc;
}

static int extract_refs_changed(struct collect *c, const struct gojson_decoder *d)
{
	size_t n_clone = d->slices[CLONE].len, n_changes = d->slices[CHANGES].len;
	int rc = KW_OK;

	/* Once full, a set keeps nothing more: stop reading. */
	for (size_t i = 0; rc == KW_OK && c->urls.n < c->urls.max && i < n_clone; i++)
		rc = add_url(c, elem(d, CLONE, 1, i)[HREF], true);
	for (size_t i = 0; rc == KW_OK && !c->refs.overflow && i < n_changes; i++)
		rc = add_go_string(c, &c->refs, "", elem(d, CHANGES, 1, i)[REF_ID]);
	return rc;
}

static int extract_cloud_pr(struct collect *c, const struct gojson_decoder *d)
{
	return add_url(c, d->root[HREF], false);
}

static int extract_server_pr(struct collect *c, const struct gojson_decoder *d)
{
	if (d->slices[SELF].len == 0)
		return KW_OK;
	return add_url(c, elem(d, SELF, 1, 0)[HREF], false);
}

struct event_def {
	const char *key;
	enum bitbucket_kind kind;
	struct gojson_field body;
	int (*extract)(struct collect *c, const struct gojson_decoder *d);
};

static const struct event_def events[] = {
	{ "repo:push", BITBUCKET_PUSH, OBJ("", push_body_fields), extract_push },
	{ "repo:refs_changed", BITBUCKET_PUSH, OBJ("", refs_changed_body_fields),
		extract_refs_changed },
	{ "pullrequest:fulfilled", BITBUCKET_PR, OBJ("", cloud_pr_body_fields),
		extract_cloud_pr },
	{ "pullrequest:rejected", BITBUCKET_PR, OBJ("", cloud_pr_body_fields),
		extract_cloud_pr },
	{ "pr:merged", BITBUCKET_PR, OBJ("", server_pr_body_fields), extract_server_pr },
	{ "pr:declined", BITBUCKET_PR, OBJ("", server_pr_body_fields),
		extract_server_pr },
};

static const struct event_def *find_event(const char *key)
{
	for (size_t i = 0; key != NULL && i < KW_ARRAY_LEN(events); i++)
		if (strcmp(events[i].key, key) == 0)
			return &events[i];
	return NULL;
}

/* Bytes a set's strings take, terminators included. */
static size_t strset_bytes(const struct strset *set)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n; i++)
		n += set->items[i].len + 1;
	return n;
}

/* Copies a set's strings to *dst, pointing list at them. */
static void strset_copy(char **list, char **dst, const struct collect *c,
	const struct strset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		list[i] = *dst;
		memcpy(*dst, c->a.buf + set->items[i].off, set->items[i].len + 1);
		*dst += set->items[i].len + 1;
	}
}

/* The event in one allocation: the struct, the two lists, the strings
 * (all bounded by the body's size, so the sum cannot overflow). */
static int event_new(struct bitbucket_event **out, enum bitbucket_kind kind,
	const struct collect *c)
{
	/* Too many refs to match on: none, so every subscriber is refreshed. */
	size_t n_refs = c->refs.overflow ? 0 : c->refs.n;
	size_t n_ptrs = c->urls.n + n_refs;
	size_t size = sizeof(**out) + n_ptrs * sizeof(char *) +
		strset_bytes(&c->urls) + (n_refs > 0 ? strset_bytes(&c->refs) : 0);
	struct bitbucket_event *ev = malloc(size);
	char **ptrs, *dst;

	if (ev == NULL)
		return KW_ENOMEM;
	ptrs = (char **)(ev + 1);
	dst = (char *)(ptrs + n_ptrs);
	ev->kind = kind;
	ev->n_urls = c->urls.n;
	ev->urls = ev->n_urls > 0 ? ptrs : NULL;
	ev->n_refs = n_refs;
	ev->refs = n_refs > 0 ? ptrs + ev->n_urls : NULL;
	strset_copy(ptrs, &dst, c, &c->urls);
	if (n_refs > 0)
		strset_copy(ptrs + ev->n_urls, &dst, c, &c->refs);
	*out = ev;
	return KW_OK;
}

static void collect_init(struct collect *c, const char *body)
{
	c->body = (const unsigned char *)body;
	c->a.buf = c->a.small;
	c->a.len = 0;
	c->a.cap = sizeof(c->a.small);
	strset_init(&c->urls, MAX_URLS, 2 * MAX_URLS);
	strset_init(&c->refs, MAX_REFS, 2 * MAX_REFS);
}

static void collect_free(struct collect *c)
{
	if (c->a.buf != c->a.small)
		free(c->a.buf);
	strset_free(&c->urls);
	strset_free(&c->refs);
}

/* ---- the API ---- */

bool bitbucket_event_supported(const char *key)
{
	return find_event(key) != NULL;
}

int bitbucket_parse(struct bitbucket_event **out, const char *event_key,
	const char *body, size_t len, struct kw_err *err)
{
	const struct event_def *def = find_event(event_key);
	struct gojson_decoder d;
	struct collect c;
	int rc;

	*out = NULL;
	if (def == NULL)
		return kw_errf(err, KW_EUNSUPPORTED, "event type is not supported");
	gojson_init(&d, body, len, err);
	collect_init(&c, body);
	rc = gojson_decode(&d, &def->body, body, len);
	if (rc == KW_OK)
		rc = def->extract(&c, &d);
	if (rc == KW_OK)
		rc = event_new(out, def->kind, &c);
	if (rc == KW_ENOMEM)
		kw_errf(err, rc, "out of memory");
	gojson_free(&d);
	collect_free(&c);
	return rc;
}

/* The event and everything it points to are one allocation. */
void bitbucket_event_free(struct bitbucket_event *ev)
{
	free(ev);
}
