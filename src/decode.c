/*
 * decode.c: per-kind decoders of manifest objects (decode.h). Each object
 * is first converted to kubectl's JSON (kjson.h) within the document's
 * budget; only an object that fits is decoded into its struct.
 */
#include "decode.h"

#include "kjson.h"
#include "kw.h"
#include "manifest.h"
#include "yread.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KARGO_API "kargo.akuity.io/v1alpha1"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * An object is decoded into a set of its own; if no error was reported it
 * moves into the document's set, else objects_free_set() frees it, so the
 * code that frees objects exists once.
 */
static struct obj_set *scratch_new(struct ydoc *d)
{
	struct obj_set *s = calloc(1, sizeof(*s));

	if (s == NULL)
		d->oom = true;
	return s;
}

static int move_objects(struct obj_set *dst, struct obj_set *src)
{
	void *v;

#define MOVE(f) \
	if (src->n_##f > 0) { \
		v = kw_array_append(dst->f, &dst->n_##f, src->f, src->n_##f, sizeof(*src->f)); \
		if (v == NULL) \
			return KW_ENOMEM; \
		dst->f = v; \
		src->n_##f = 0; \
	}
	MOVE(configs)
	MOVE(secrets)
	MOVE(warehouses)
	MOVE(promotions)
#undef MOVE
	return KW_OK;
}

static void scratch_commit(struct ydoc *d, struct obj_set *tmp)
{
	if (!d->oom && d->dl->n_errors == d->errors && move_objects(d->set, tmp) != KW_OK)
		d->oom = true;
	objects_free_set(tmp);
}

/* Allocates the one object of a scratch set: *arr gets it, *n 1. */
static void *scratch_one(struct ydoc *d, size_t size, size_t *n)
{
	void *p = calloc(1, size);

	if (p == NULL)
		d->oom = true;
	else
		*n = 1;
	return p;
}

struct meta {
	char *name;
	char *namespace;
	const yaml_node_t *node; /* metadata */
	const yaml_node_t *name_node;
	const yaml_node_t *ns_node;
};

/* Kubernetes' RFC 1123 names: lowercase alphanumeric words joined by '-',
 * and for a subdomain several such labels joined by '.'. */
static bool rfc1123(const char *s, size_t max, bool dots)
{
	size_t len = strlen(s);
	char prev = '.';

	if (len == 0 || len > max)
		return false;
	for (const char *p = s; *p != '\0'; prev = *p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || is_digit(*p);

		if (!alnum && *p != '-' && !(dots && *p == '.'))
			return false;
		if (!alnum && (prev == '.' || prev == '-') && *p == '.')
			return false;
		if (*p == '-' && prev == '.')
			return false;
	}
	return prev != '-' && prev != '.';
}

static void meta_free(struct meta *m)
{
	free(m->name);
	free(m->namespace);
}

/* metadata.name (a subdomain, or a label when label_name) and namespace. */
static bool decode_meta(struct ydoc *d, const yaml_node_t *root, bool label_name,
	bool namespaced, struct meta *m)
{
	bool ok;
	size_t old;

	if (!yread_node(d, root, "metadata", YAML_MAPPING_NODE, YREAD_REQUIRED, &m->node) ||
		m->node == NULL)
		return false;
	old = keypath_str(&d->kp, "metadata");
	ok = yread_string(d, m->node, "name", YREAD_REQUIRED | YREAD_NONEMPTY, &m->name, &m->name_node);
	ok = yread_string(d, m->node, "namespace", namespaced ? YREAD_REQUIRED | YREAD_NONEMPTY : 0,
		&m->namespace, &m->ns_node) && ok;
	if (m->name != NULL && !rfc1123(m->name, label_name ? 63 : 253, !label_name)) {
		size_t o = keypath_str(&d->kp, "name");

		ydoc_error(d, m->name_node, "must be a lowercase RFC 1123 %s (a-z, 0-9, '-'%s)",
			label_name ? "label" : "subdomain", label_name ? "" : ", '.'");
		keypath_pop(&d->kp, o);
		ok = false;
	}
	if (m->namespace != NULL && *m->namespace != '\0' && !rfc1123(m->namespace, 63, false)) {
		size_t o = keypath_str(&d->kp, "namespace");

		ydoc_error(d, m->ns_node, "must be a lowercase RFC 1123 label (a-z, 0-9, '-')");
		keypath_pop(&d->kp, o);
		ok = false;
	}
	keypath_pop(&d->kp, old);
	return ok;
}

/* Reports, at metadata.<key>, a problem with node n. */
static void meta_error(struct ydoc *d, const char *key, const yaml_node_t *n,
	const char *msg)
{
	size_t old = keypath_str(&d->kp, "metadata");

	keypath_str(&d->kp, key);
	ydoc_error(d, n, "%s", msg);
	keypath_pop(&d->kp, old);
}

/* ---- ProjectConfig and ClusterConfig ------------------------------------ */

static const char *const receiver_kinds[] = {
	"bitbucket", "github", "gitlab", "gitea", "dockerhub",
	"quay", "harbor", "artifactory", "azure", "generic",
};

static void receiver_secret(struct ydoc *d, const yaml_node_t *v,
	struct obj_receiver *r)
{
	const yaml_node_t *ref;
	size_t old = keypath_str(&d->kp, r->kind_name);

	if (yread_expect_mapping(d, v) &&
		yread_node(d, v, "secretRef", YAML_MAPPING_NODE, YREAD_REQUIRED, &ref) && ref != NULL) {
		size_t o = keypath_str(&d->kp, "secretRef");

		yread_string(d, ref, "name", YREAD_REQUIRED | YREAD_NONEMPTY, &r->secret_name, NULL);
		keypath_pop(&d->kp, o);
	}
	/* Artifactory's virtualRepoName replaces the payload's repo_key. */
	if (strcmp(r->kind_name, "artifactory") == 0 && ydoc_map_get(d, v, "virtualRepoName") != NULL)
		yread_string(d, v, "virtualRepoName", 0, &r->option, NULL);
	if (strcmp(r->kind_name, "generic") == 0)
		decode_generic(d, v, r);
	keypath_pop(&d->kp, old);
}

static void decode_receiver(struct ydoc *d, const yaml_node_t *item,
	struct obj_receiver *r)
{
	int k;

	r->pos = ydoc_pos(d, item);
	if (!yread_expect_mapping(d, item))
		return;
	yread_string(d, item, "name", YREAD_REQUIRED | YREAD_NONEMPTY, &r->name, NULL);
	k = yread_exactly_one(d, item, receiver_kinds, KW_ARRAY_LEN(receiver_kinds),
		"bitbucket, github, gitlab, gitea, dockerhub, quay, harbor, "
		"artifactory, azure, generic");
	if (k < 0)
		return;
	r->kind = k == 0 ? RECEIVER_BITBUCKET : RECEIVER_OTHER;
	r->kind_name = strdup(receiver_kinds[k]);
	if (r->kind_name == NULL) {
		d->oom = true;
		return;
	}
	receiver_secret(d, ydoc_map_get(d, item, receiver_kinds[k]), r);
}

static int receiver_cmp(const void *a, const void *b)
{
	const struct obj_receiver *x = *(const struct obj_receiver *const *)a;
	const struct obj_receiver *y = *(const struct obj_receiver *const *)b;
	int r = strcmp(x->name, y->name);

	return r != 0 ? r : (x < y ? -1 : x > y);
}

/* Receiver names are unique within a config: Kargo hashes the name into
 * the receiver's URL. Sorting keeps this linear in practice. */
static void check_receiver_names(struct ydoc *d, struct obj_config *c)
{
	const struct obj_receiver **v;
	size_t n = 0;

	v = calloc(c->n_receivers + 1, sizeof(*v));
	if (v == NULL) {
		d->oom = true;
		return;
	}
	for (size_t i = 0; i < c->n_receivers; i++)
		if (c->receivers[i].name != NULL)
			v[n++] = &c->receivers[i];
	qsort(v, n, sizeof(*v), receiver_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		size_t old;
		struct diag_shown sh;

		if (strcmp(v[i]->name, v[first]->name) != 0) {
			first = i;
			continue;
		}
		old = keypath_index(&d->kp, (size_t)(v[i] - c->receivers));
		keypath_str(&d->kp, "name");
		if (diag_add(d->dl, DIAG_ERROR, d->file, v[i]->pos.line, v[i]->pos.column,
			d->kp.buf, "duplicate receiver name \"%s\" (first at line %zu)",
			diag_show(&sh, v[i]->name), v[first]->pos.line) != KW_OK)
			d->oom = true;
		keypath_pop(&d->kp, old);
	}
	free(v);
}

/* Kubernetes mode (obj_set.receivers_one_by_one): the last receiver,
 * whose decoding added errors from diagnostic first on, is dropped and
 * its errors become warnings, so the config and its other receivers stay
 * (the caller logs the warnings). */
static void leave_out_receiver(struct ydoc *d, struct obj_config *c, size_t first,
	size_t errors)
{
	for (size_t i = first; i < d->dl->n; i++) {
		struct diag *g = &d->dl->items[i];
		char *m;

		if (g->severity == DIAG_ERROR &&
		    asprintf(&m, "this receiver is left out: %s", g->message) >= 0) {
			free(g->message);
			g->message = m;
		}
		g->severity = DIAG_WARNING;
	}
	d->dl->n_errors = errors;
	objects_free_receiver(&c->receivers[--c->n_receivers]);
	memset(&c->receivers[c->n_receivers], 0, sizeof(*c->receivers));
}

static void decode_receivers(struct ydoc *d, const yaml_node_t *root,
	struct obj_config *c)
{
	const yaml_node_t *spec, *list;
	size_t old, n;

	if (!yread_node(d, root, "spec", YAML_MAPPING_NODE, 0, &spec) || spec == NULL)
		return;
	old = keypath_str(&d->kp, "spec");
	if (yread_node(d, spec, "webhookReceivers", YAML_SEQUENCE_NODE, 0, &list) &&
		list != NULL && (n = ydoc_list_len(list)) > 0) {
		size_t o = keypath_str(&d->kp, "webhookReceivers");

		c->receivers = calloc(n, sizeof(*c->receivers));
		if (c->receivers == NULL)
			d->oom = true;
		for (size_t i = 0; c->receivers != NULL && i < n; i++) {
			size_t oi = keypath_index(&d->kp, i), first = d->dl->n;
			size_t errors = d->dl->n_errors;

			decode_receiver(d, ydoc_node(d, list->data.sequence.items.start[i]),
				&c->receivers[c->n_receivers++]);
			if (d->set->receivers_one_by_one && d->dl->n_errors > errors)
				leave_out_receiver(d, c, first, errors);
			keypath_pop(&d->kp, oi);
		}
		if (c->receivers != NULL)
			check_receiver_names(d, c);
		keypath_pop(&d->kp, o);
	}
	keypath_pop(&d->kp, old);
}

/* A ProjectConfig is named after its project, which is its namespace. */
static void config_project(struct ydoc *d, struct obj_config *c, struct meta *m)
{
	if (m->namespace != NULL && *m->namespace != '\0' &&
		strcmp(m->namespace, m->name) != 0)
		meta_error(d, "namespace", m->ns_node, "must equal metadata.name: a "
			"ProjectConfig is named after its project (namespace)");
	c->project = m->name;
	m->name = NULL;
	c->namespace = strdup(c->project);
	if (c->namespace == NULL)
		d->oom = true;
}

static void config_cluster(struct ydoc *d, struct obj_config *c, struct meta *m)
{
	if (strcmp(m->name, "cluster") != 0)
		meta_error(d, "name", m->name_node, "a ClusterConfig must be named \"cluster\"");
	c->project = strdup("");
	c->namespace = strdup(""); /* set by manifest_load_ns() */
	if (c->project == NULL || c->namespace == NULL)
		d->oom = true;
}

static void decode_config(struct ydoc *d, const yaml_node_t *root, bool cluster)
{
	struct obj_set *tmp = scratch_new(d);
	struct obj_config *c;
	struct meta m = { 0 };

	if (tmp == NULL || (c = tmp->configs = scratch_one(d, sizeof(*c), &tmp->n_configs)) == NULL) {
		objects_free_set(tmp);
		return;
	}
	c->cluster = cluster;
	c->pos = ydoc_pos(d, root);
	if (decode_meta(d, root, !cluster, false, &m)) {
		if (cluster)
			config_cluster(d, c, &m);
		else
			config_project(d, c, &m);
	}
	decode_receivers(d, root, c);
	meta_free(&m);
	scratch_commit(d, tmp);
}

static void decode_project_config(struct ydoc *d, const yaml_node_t *root, cJSON **json)
{
	(void)json;
	decode_config(d, root, false);
}

static void decode_cluster_config(struct ydoc *d, const yaml_node_t *root, cJSON **json)
{
	(void)json;
	decode_config(d, root, true);
}

/* ---- Secret ------------------------------------------------------------- */

enum secret_source { FROM_DATA, FROM_STRING_DATA };

/* The Secret's keys that receivers use, as they are being read. */
struct secret_keys {
	struct obj_secret *s;
	const yaml_node_t *at[2];    /* value nodes of secret, previous-secret */
	enum secret_source from[2];
};

/* The bytes of one value; NULL after reporting a problem. */
static unsigned char *secret_bytes(struct ydoc *d, const yaml_node_t *v,
	enum secret_source src, size_t *len)
{
	struct yaml11_scalar sc = { 0 };
	unsigned char *out;

	*len = 0;
	if (ydoc_mistagged(d, v))
		return NULL;
	if (!ydoc_is_null(d, v) && (v->type != YAML_SCALAR_NODE ||
		!ydoc_scalar(d, v, &sc) || sc.type != YAML11_STR)) {
		ydoc_error(d, v, "must be a string, not %s%s", ydoc_describe(d, v),
			v->type == YAML_SCALAR_NODE ? " (quote it)" : "");
		return NULL;
	}
	if (sc.len > (src == FROM_DATA ? MANIFEST_MAX_SECRET / 3 * 4 + 4 : MANIFEST_MAX_SECRET)) {
		ydoc_error(d, v, "is larger than a Secret may be (%u bytes)", MANIFEST_MAX_SECRET);
		return NULL;
	}
	if ((out = malloc(sc.len + 1)) == NULL) {
		d->oom = true;
		return NULL;
	}
	if (src == FROM_STRING_DATA) {
		if (sc.len > 0)
			memcpy(out, sc.s, sc.len);
		*len = sc.len;
	} else if (!kw_base64_decode(sc.s, sc.len, out, len)) {
		ydoc_error(d, v, "is not valid base64 (Kubernetes would reject it)");
		OPENSSL_cleanse(out, sc.len + 1);
		free(out);
		return NULL;
	}
	return out;
}

static void secret_store(struct secret_keys *sk, int which, unsigned char *bytes,
	size_t len, const yaml_node_t *at, enum secret_source src)
{
	unsigned char **slot = which == 0 ? &sk->s->secret : &sk->s->previous;
	size_t *slot_len = which == 0 ? &sk->s->secret_len : &sk->s->previous_len;

	if (*slot != NULL) {
		OPENSSL_cleanse(*slot, *slot_len);
		free(*slot);
	}
	*slot = bytes;
	*slot_len = len;
	if (which == 0)
		sk->s->has_secret = true;
	else
		sk->s->has_previous = true;
	sk->at[which] = at;
	sk->from[which] = src;
}

static bool key_is(const yaml_node_t *k, const char *s)
{
	return k->data.scalar.length == strlen(s) &&
		memcmp(k->data.scalar.value, s, k->data.scalar.length) == 0;
}

/* Keeps a key other kinds use (secret-token, auth-header, ...): takes
 * bytes, replacing an earlier value of the key (stringData after data).
 * false when out of memory (bytes not taken). */
static bool secret_store_other(struct ydoc *d, struct obj_secret *s,
	const yaml_node_t *k, unsigned char *bytes, size_t len)
{
	const char *key = (const char *)k->data.scalar.value;
	size_t key_len = k->data.scalar.length, i;
	struct obj_secret_value *v;

	for (i = 0; i < s->n_values; i++)
		if (strlen(s->values[i].key) == key_len &&
		    memcmp(s->values[i].key, key, key_len) == 0)
			break;
	if (i < s->n_values) {
		OPENSSL_cleanse(s->values[i].bytes, s->values[i].len);
		free(s->values[i].bytes);
		s->values[i].bytes = bytes;
		s->values[i].len = len;
		return true;
	}
	v = realloc(s->values, (s->n_values + 1) * sizeof(*v));
	if (v == NULL || (v[s->n_values].key = kw_strndup(key, key_len)) == NULL) {
		if (v != NULL)
			s->values = v;
		d->oom = true;
		return false;
	}
	s->values = v;
	v[s->n_values].bytes = bytes;
	v[s->n_values++].len = len;
	return true;
}

/* [beyond] The other kinds' keys get the warning secret_whitespace gives
 * "secret": Harbor's Auth Header and Artifactory's or GitLab's secret token
 * never end in white space, so such a value never matches. */
static void other_key_whitespace(struct ydoc *d, const yaml_node_t *k,
	const yaml_node_t *v, const unsigned char *bytes, size_t len)
{
	static const char *const keys[] = { "secret-token", "auth-header",
		"previous-secret-token", "previous-auth-header" };
	bool known = false;

	for (size_t i = 0; i < KW_ARRAY_LEN(keys); i++)
		known = known || key_is(k, keys[i]);
	if (!known || len == 0 || strchr(" \t\r\n", bytes[len - 1]) == NULL)
		return;
	ydoc_warning(d, v, "the value ends in white space (%s); the sender's copy "
		"almost never does, so requests would not authenticate",
		bytes[len - 1] == '\n' ? "a newline" : bytes[len - 1] == '\r' ?
		"a carriage return" : bytes[len - 1] == '\t' ? "a tab" : "a space");
}

static void secret_value(struct ydoc *d, const yaml_node_t *k, const yaml_node_t *v,
	enum secret_source src, struct secret_keys *sk)
{
	size_t old = keypath_key(&d->kp, (const char *)k->data.scalar.value,
		k->data.scalar.length);
	size_t len;
	unsigned char *bytes = secret_bytes(d, v, src, &len);
	int which = key_is(k, "secret") ? 0 : key_is(k, "previous-secret") ? 1 : -1;

	if (bytes != NULL && which < 0)
		other_key_whitespace(d, k, v, bytes, len);
	if (bytes != NULL && which >= 0) {
		secret_store(sk, which, bytes, len, v, src);
	} else if (bytes != NULL && !secret_store_other(d, sk->s, k, bytes, len)) {
		OPENSSL_cleanse(bytes, len);
		free(bytes);
	}
	keypath_pop(&d->kp, old);
}

/* data, then stringData: Kubernetes lets stringData win. Merge keys are
 * not followed here: a "<<" key is reported as a value of the wrong type. */
static void secret_values(struct ydoc *d, const yaml_node_t *root,
	const char *field, enum secret_source src, struct secret_keys *sk)
{
	const yaml_node_t *m;
	size_t old;

	if (!yread_node(d, root, field, YAML_MAPPING_NODE, 0, &m) || m == NULL)
		return;
	old = keypath_str(&d->kp, field);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
		p < m->data.mapping.pairs.top && !d->oom; p++) {
		const yaml_node_t *k = ydoc_node(d, p->key);

		if (k->type == YAML_SCALAR_NODE) /* else reported by kjson_convert() */
			secret_value(d, k, ydoc_node(d, p->value), src, sk);
	}
	keypath_pop(&d->kp, old);
}

/* [beyond] The bytes are the HMAC key as they are: a trailing newline, the
 * usual slip of `echo ... | base64`, makes every signature differ from
 * Bitbucket's, whose copy almost never ends in white space. */
static void secret_whitespace(struct ydoc *d, const struct secret_keys *sk)
{
	static const char *const keys[2] = { "secret", "previous-secret" };

	for (int i = 0; i < 2; i++) {
		const unsigned char *v = i == 0 ? sk->s->secret : sk->s->previous;
		size_t len = i == 0 ? sk->s->secret_len : sk->s->previous_len;
		size_t old;

		if (sk->at[i] == NULL || len == 0 || strchr(" \t\r\n", v[len - 1]) == NULL)
			continue;
		old = keypath_str(&d->kp, sk->from[i] == FROM_DATA ? "data" : "stringData");
		keypath_str(&d->kp, keys[i]);
		ydoc_warning(d, sk->at[i], "the value ends in white space (%s); Bitbucket's "
			"copy of a secret almost never does, and signatures would not "
			"match%s", v[len - 1] == '\n' ? "a newline" : v[len - 1] == '\r'
			? "a carriage return" : v[len - 1] == '\t' ? "a tab" : "a space",
			sk->from[i] == FROM_DATA ? " (encoded with echo, without -n?)" : "");
		keypath_pop(&d->kp, old);
	}
}

static void decode_secret(struct ydoc *d, const yaml_node_t *root, cJSON **json)
{
	struct obj_set *tmp = scratch_new(d);
	struct secret_keys sk = { 0 };
	struct meta m = { 0 };

	(void)json;
	if (tmp == NULL || (sk.s = tmp->secrets = scratch_one(d, sizeof(*sk.s), &tmp->n_secrets)) == NULL) {
		objects_free_set(tmp);
		return;
	}
	sk.s->pos = ydoc_pos(d, root);
	if (decode_meta(d, root, false, true, &m)) {
		sk.s->name = m.name;
		sk.s->namespace = m.namespace;
		m.name = m.namespace = NULL;
	}
	secret_values(d, root, "data", FROM_DATA, &sk);
	secret_values(d, root, "stringData", FROM_STRING_DATA, &sk);
	secret_whitespace(d, &sk);
	meta_free(&m);
	scratch_commit(d, tmp);
}

/* ---- Warehouse ---------------------------------------------------------- */

static const char *const strategy_names[] = {
	[STRATEGY_NEWEST_FROM_BRANCH] = "NewestFromBranch",
	[STRATEGY_SEMVER] = "SemVer",
	[STRATEGY_LEXICAL] = "Lexical",
	[STRATEGY_NEWEST_TAG] = "NewestTag",
};

#define SUB_FIELD(k, kind, flags, f) \
	{ k, kind, flags, offsetof(struct obj_subscription, f), 0, NULL, 0 }
#define SUB_LIST(k, f) \
	{ k, YREAD_STRINGS, 0, offsetof(struct obj_subscription, f), \
		offsetof(struct obj_subscription, n_##f), NULL, 0 }

static const struct yread_field git_fields[] = {
	SUB_FIELD("repoURL", YREAD_STRING, YREAD_REQUIRED | YREAD_NONEMPTY, repo_url),
	SUB_FIELD("branch", YREAD_STRING, 0, branch),
	{ "commitSelectionStrategy", YREAD_ENUM, 0, offsetof(struct obj_subscription, strategy),
		0, strategy_names, KW_ARRAY_LEN(strategy_names) },
	SUB_LIST("allowTagsRegexes", allow_regexes),
	SUB_LIST("ignoreTagsRegexes", ignore_regexes),
	SUB_FIELD("semverConstraint", YREAD_STRING, 0, semver_constraint),
	SUB_FIELD("strictSemvers", YREAD_BOOL, 0, strict_semvers),
	SUB_FIELD("allowTags", YREAD_STRING, 0, allow_tags),
	SUB_LIST("ignoreTags", ignore_tags),
	SUB_LIST("includePaths", include_paths),
	SUB_LIST("excludePaths", exclude_paths),
};

static const char *const image_strategy_names[] = {
	[IMAGE_SEMVER] = "SemVer",
	[IMAGE_DIGEST] = "Digest",
	[IMAGE_LEXICAL] = "Lexical",
	[IMAGE_NEWEST_BUILD] = "NewestBuild",
};

/* What Kargo's image selectors read when a webhook asks whether a tag is
 * selected (pkg/image); discovery-only fields are ignored. */
static const struct yread_field image_fields[] = {
	SUB_FIELD("repoURL", YREAD_STRING, YREAD_REQUIRED | YREAD_NONEMPTY, repo_url),
	{ "imageSelectionStrategy", YREAD_ENUM, 0,
		offsetof(struct obj_subscription, image_strategy), 0,
		image_strategy_names, KW_ARRAY_LEN(image_strategy_names) },
	SUB_FIELD("constraint", YREAD_STRING, 0, constraint),
	SUB_LIST("allowTagsRegexes", allow_regexes),
	SUB_LIST("ignoreTagsRegexes", ignore_regexes),
	SUB_FIELD("strictSemvers", YREAD_BOOL, 0, strict_semvers),
	SUB_FIELD("platform", YREAD_STRING, 0, platform),
	SUB_FIELD("allowTags", YREAD_STRING, 0, allow_tags),
	SUB_LIST("ignoreTags", ignore_tags),
};

/* What Kargo's chart selectors read (pkg/helm/chart). */
static const struct yread_field chart_fields[] = {
	SUB_FIELD("repoURL", YREAD_STRING, YREAD_REQUIRED | YREAD_NONEMPTY, repo_url),
	SUB_FIELD("name", YREAD_STRING, 0, chart_name),
	SUB_FIELD("semverConstraint", YREAD_STRING, 0, semver_constraint),
};

static const char *const sub_keys[] = { "git", "image", "chart" };

/* [beyond] Kargo refuses to build a tag strategy's selection with the
 * deprecated fields (its webhooks answer 500); here the snapshot refuses
 * the configuration, and this points at the field itself. Branch (git)
 * and Digest (image) selections do not read them. */
static void warn_deprecated(struct ydoc *d, const yaml_node_t *git,
	const struct obj_subscription *s)
{
	static const char *const keys[] = { "allowTags", "ignoreTags" };

	if (s->kind == SUB_GIT && s->strategy == STRATEGY_NEWEST_FROM_BRANCH)
		return;
	if (s->kind == SUB_IMAGE && s->image_strategy == IMAGE_DIGEST)
		return;
	for (size_t i = 0; i < KW_ARRAY_LEN(keys); i++) {
		const yaml_node_t *v = ydoc_map_get(d, git, keys[i]);
		size_t old;

		if (ydoc_is_null(d, v))
			continue;
		old = keypath_str(&d->kp, keys[i]);
		ydoc_warning(d, v, "deprecated: with a tag strategy Kargo cannot build "
			"this subscription's selection, so the configuration is refused "
			"(use allowTagsRegexes or ignoreTagsRegexes)");
		keypath_pop(&d->kp, old);
	}
}

/* The position of each of a list's n items; NULL unless the list was read
 * whole (a list with a bad item makes the object invalid anyway). */
static struct obj_pos *list_positions(struct ydoc *d, const yaml_node_t *list,
	size_t n)
{
	struct obj_pos *pos;

	if (n == 0 || list == NULL || list->type != YAML_SEQUENCE_NODE ||
		ydoc_list_len(list) != n)
		return NULL;
	if ((pos = calloc(n, sizeof(*pos))) == NULL) {
		d->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		pos[i] = ydoc_pos(d, ydoc_node(d, list->data.sequence.items.start[i]));
	return pos;
}

/* Where each regex and the constraint (semverConstraint, or an image's
 * constraint) are in the subscription's mapping m, so that the snapshot
 * names a bad one at its own line. */
static void keep_positions(struct ydoc *d, const yaml_node_t *m,
	struct obj_subscription *s)
{
	const char *key = s->kind == SUB_IMAGE ? "constraint" : "semverConstraint";
	const yaml_node_t *c = ydoc_map_get(d, m, key);

	s->allow_regex_pos = list_positions(d, ydoc_map_get(d, m, "allowTagsRegexes"),
		s->n_allow_regexes);
	s->ignore_regex_pos = list_positions(d, ydoc_map_get(d, m, "ignoreTagsRegexes"),
		s->n_ignore_regexes);
	if (c != NULL && !ydoc_is_null(d, c))
		s->constraint_pos = ydoc_pos(d, c);
}

static void decode_subscription(struct ydoc *d, const yaml_node_t *item,
	struct obj_subscription *s)
{
	const yaml_node_t *v;
	size_t old;
	int k;

	s->pos = ydoc_pos(d, item);
	if (!yread_expect_mapping(d, item))
		return;
	k = yread_exactly_one(d, item, sub_keys, KW_ARRAY_LEN(sub_keys), "git, image, chart");
	if (k < 0)
		return;
	s->kind = (enum sub_kind)k;
	v = ydoc_map_get(d, item, sub_keys[k]);
	old = keypath_str(&d->kp, sub_keys[k]);
	if (yread_expect_mapping(d, v)) {
		/* Kargo's Warehouse webhook defaults strictSemvers to true
		 * for git and image subscriptions (pkg/subscription). */
		s->strict_semvers = true;
		if (s->kind == SUB_GIT)
			yread_fields(d, v, git_fields, KW_ARRAY_LEN(git_fields), s);
		else if (s->kind == SUB_IMAGE)
			yread_fields(d, v, image_fields, KW_ARRAY_LEN(image_fields), s);
		else
			yread_fields(d, v, chart_fields, KW_ARRAY_LEN(chart_fields), s);
		if (s->kind != SUB_CHART)
			warn_deprecated(d, v, s);
		keep_positions(d, v, s);
	}
	keypath_pop(&d->kp, old);
}

static void decode_subscriptions(struct ydoc *d, const yaml_node_t *root,
	struct obj_warehouse *w)
{
	const yaml_node_t *spec, *list;
	size_t old, o, n;

	if (!yread_node(d, root, "spec", YAML_MAPPING_NODE, YREAD_REQUIRED, &spec) || spec == NULL)
		return;
	old = keypath_str(&d->kp, "spec");
	if (!yread_node(d, spec, "subscriptions", YAML_SEQUENCE_NODE, YREAD_REQUIRED, &list) ||
		list == NULL) {
		keypath_pop(&d->kp, old);
		return;
	}
	o = keypath_str(&d->kp, "subscriptions");
	n = ydoc_list_len(list);
	if (n == 0)
		ydoc_error(d, list, "must list at least one subscription");
	else if ((w->subs = calloc(n, sizeof(*w->subs))) == NULL)
		d->oom = true;
	for (size_t i = 0; w->subs != NULL && i < n; i++) {
		size_t oi = keypath_index(&d->kp, i);

		decode_subscription(d, ydoc_node(d, list->data.sequence.items.start[i]),
			&w->subs[w->n_subs++]);
		keypath_pop(&d->kp, oi);
	}
	keypath_pop(&d->kp, o);
	keypath_pop(&d->kp, old);
}

/* Moves a namespaced object's decoded name and namespace into its fields. */
static void take_names(struct ydoc *d, const yaml_node_t *root, struct meta *m,
	char **name, char **namespace)
{
	if (decode_meta(d, root, false, true, m)) {
		*name = m->name;
		*namespace = m->namespace;
		m->name = m->namespace = NULL;
	}
}

/* Hands the document's JSON to the object, unless the set keeps none. */
static void keep_object(struct ydoc *d, cJSON **json, cJSON **slot)
{
	if (!d->set->without_objects) {
		*slot = *json;
		*json = NULL;
	}
}

static void decode_warehouse(struct ydoc *d, const yaml_node_t *root, cJSON **json)
{
	struct obj_set *tmp = scratch_new(d);
	struct obj_warehouse *w;
	struct meta m = { 0 };

	if (tmp == NULL || (w = tmp->warehouses = scratch_one(d, sizeof(*w), &tmp->n_warehouses)) == NULL) {
		objects_free_set(tmp);
		return;
	}
	w->pos = ydoc_pos(d, root);
	take_names(d, root, &m, &w->name, &w->namespace);
	if (m.node != NULL) {
		size_t old = keypath_str(&d->kp, "metadata");

		yread_string_map(d, m.node, "labels", &w->labels, &w->n_labels);
		keypath_pop(&d->kp, old);
	}
	decode_subscriptions(d, root, w);
	keep_object(d, json, &w->object);
	meta_free(&m);
	scratch_commit(d, tmp);
}

/* ---- Promotion ---------------------------------------------------------- */

/* status.state[alias].pr.url when it is a string. */
static const char *state_pr_url(const cJSON *json, const char *alias)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(json, "status");

	j = cJSON_GetObjectItemCaseSensitive(j, "state");
	j = cJSON_GetObjectItemCaseSensitive(j, alias);
	j = cJSON_GetObjectItemCaseSensitive(j, "pr");
	j = cJSON_GetObjectItemCaseSensitive(j, "url");
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static void add_pr_url(struct ydoc *d, struct obj_promotion *p, const char *url)
{
	char *s = strdup(url);
	char **v = s != NULL ? kw_array_grow(p->pr_urls, p->n_pr_urls, 1, sizeof(*v)) : NULL;

	if (v == NULL) {
		free(s);
		d->oom = true;
		return;
	}
	v[p->n_pr_urls++] = s;
	p->pr_urls = v;
}

/* status.currentStep, as Kargo's int64 holds it: 0 when absent or not a
 * number (the API server allows only an integer there). */
static double current_step(const cJSON *json)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(json, "status"), "currentStep");

	return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

/*
 * The pull requests a Promotion waits on. Kargo v1.11 indexes Running
 * Promotions by the pr.url that a git-wait-for-pr step records in
 * status.state under the step's alias (pkg/indexer/indexer.go,
 * RunningPromotionsByPullRequestURL), and a pull-request event refreshes
 * the Promotions indexed under the event's URL. As there, a step without
 * "as" is skipped (its state key, "step-<index>", is not looked at), and
 * so is every step after status.currentStep: a step not reached yet waits
 * on nothing. The phase is kept so that the caller can require Running.
 */
static void decode_steps(struct ydoc *d, const yaml_node_t *root,
	const cJSON *json, struct obj_promotion *p)
{
	const yaml_node_t *spec, *steps;
	size_t old;

	if (!yread_node(d, root, "spec", YAML_MAPPING_NODE, 0, &spec) || spec == NULL)
		return;
	old = keypath_str(&d->kp, "spec");
	if (yread_node(d, spec, "steps", YAML_SEQUENCE_NODE, 0, &steps) && steps != NULL) {
		size_t o = keypath_str(&d->kp, "steps");
		double last = current_step(json);

		for (size_t i = 0; i < ydoc_list_len(steps) && !d->oom; i++) {
			const yaml_node_t *step = ydoc_node(d, steps->data.sequence.items.start[i]);
			size_t oi = keypath_index(&d->kp, i);
			char *uses = NULL, *as = NULL;
			const char *url;

			if (yread_expect_mapping(d, step) &&
				yread_string(d, step, "uses", 0, &uses, NULL) &&
				yread_string(d, step, "as", 0, &as, NULL) &&
				(double)i <= last && uses != NULL &&
				strcmp(uses, "git-wait-for-pr") == 0 &&
				as != NULL && *as != '\0' &&
				(url = state_pr_url(json, as)) != NULL && *url != '\0')
				add_pr_url(d, p, url);
			free(uses);
			free(as);
			keypath_pop(&d->kp, oi);
		}
		keypath_pop(&d->kp, o);
	}
	keypath_pop(&d->kp, old);
}

static void decode_promotion(struct ydoc *d, const yaml_node_t *root, cJSON **json)
{
	struct obj_set *tmp = scratch_new(d);
	struct obj_promotion *p;
	const yaml_node_t *status;
	struct meta m = { 0 };

	if (tmp == NULL || (p = tmp->promotions = scratch_one(d, sizeof(*p), &tmp->n_promotions)) == NULL) {
		objects_free_set(tmp);
		return;
	}
	p->pos = ydoc_pos(d, root);
	take_names(d, root, &m, &p->name, &p->namespace);
	if (yread_node(d, root, "status", YAML_MAPPING_NODE, 0, &status) && status != NULL) {
		size_t old = keypath_str(&d->kp, "status");

		yread_string(d, status, "phase", 0, &p->phase, NULL);
		keypath_pop(&d->kp, old);
	}
	decode_steps(d, root, *json, p);
	keep_object(d, json, &p->object);
	meta_free(&m);
	scratch_commit(d, tmp);
}

/* ---- Kinds -------------------------------------------------------------- */

static const struct kind {
	const char *name;
	const char *api_version;
	void (*decode)(struct ydoc *d, const yaml_node_t *root, cJSON **json);
} kinds[] = {
	{ "ProjectConfig", KARGO_API, decode_project_config },
	{ "ClusterConfig", KARGO_API, decode_cluster_config },
	{ "Secret", "v1", decode_secret },
	{ "Warehouse", KARGO_API, decode_warehouse },
	{ "Promotion", KARGO_API, decode_promotion },
};

/* The API group of an apiVersion: "" for the core "v1". */
static bool same_group(const char *a, const char *b)
{
	const char *sa = strchr(a, '/'), *sb = strchr(b, '/');
	size_t la = sa != NULL ? (size_t)(sa - a) : 0;
	size_t lb = sb != NULL ? (size_t)(sb - b) : 0;

	return la == lb && memcmp(a, b, la) == 0;
}

/* kubectl accepts a List (what `kubectl get -o yaml` prints) of objects. */
static void decode_items(struct ydoc *d, const yaml_node_t *n)
{
	const yaml_node_t *items;
	size_t old;

	if (!yread_node(d, n, "items", YAML_SEQUENCE_NODE, 0, &items) || items == NULL)
		return;
	old = keypath_str(&d->kp, "items");
	if (d->lists++ >= MANIFEST_MAX_DEPTH / 2) /* aliases can nest a List in itself */
		ydoc_error(d, items, "Lists nested deeper than %d levels", MANIFEST_MAX_DEPTH / 2);
	for (size_t i = 0; d->lists <= MANIFEST_MAX_DEPTH / 2 &&
		i < ydoc_list_len(items) && !d->oom; i++) {
		const yaml_node_t *item = ydoc_node(d, items->data.sequence.items.start[i]);
		size_t oi = keypath_index(&d->kp, i);

		/* an item may be an alias, read as often as it is named */
		if (ydoc_spend(d, item, 1 + (item->type == YAML_MAPPING_NODE ? ydoc_n_pairs(item) : 0), 0))
			decode_object(d, item);
		keypath_pop(&d->kp, oi);
	}
	d->lists--;
	keypath_pop(&d->kp, old);
}

/* The kinds of kargo.akuity.io (Kargo's CRDs, charts/kargo/resources/crds):
 * an object of another kind in that group is a typo, not someone else's. */
static const char *const kargo_kinds[] = {
	"AnalysisRunRequest", "ClusterConfig", "ClusterPromotionTask", "Freight",
	"Project", "ProjectConfig", "Promotion", "PromotionRequest",
	"PromotionSet", "PromotionTask", "PromotionTemplate", "PromotionWindow",
	"Receiver", "Stage", "Target", "TargetPromotion", "Warehouse",
};

/* Whether a and b are at most two single-letter edits apart (a typo). */
static bool near(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33], prev;

	if (la > 32 || lb > 32 || (la > lb ? la - lb : lb - la) > 2)
		return false;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j], best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb] <= 2;
}

/* A kind in kargo.akuity.io that Kargo does not have: a warning (the
 * object is skipped, as kubectl would refuse it), counted in the set. */
static void unknown_kargo_kind(struct ydoc *d, const yaml_node_t *kind_node,
	const char *kind)
{
	const char *guess = NULL;
	size_t old;

	for (size_t i = 0; i < KW_ARRAY_LEN(kargo_kinds); i++) {
		if (strcmp(kind, kargo_kinds[i]) == 0)
			return;
		if (guess == NULL && near(kind, kargo_kinds[i]))
			guess = kargo_kinds[i];
	}
	old = keypath_str(&d->kp, "kind");
	ydoc_warning(d, kind_node, "kargo.akuity.io has no kind \"%s\"%s%s%s; "
		"the object is skipped", kind, guess ? " (" : "", guess ? guess : "",
		guess ? "?)" : "");
	keypath_pop(&d->kp, old);
	if (d->set->n_unknown_kinds++ == 0 &&
		(d->set->unknown_kind = strdup(kind)) == NULL)
		d->oom = true;
}

static bool is_list_kind(const char *kind)
{
	size_t len = strlen(kind);

	return len >= 4 && strcmp(kind + len - 4, "List") == 0;
}

static void decode_kind(struct ydoc *d, const yaml_node_t *n, const char *api,
	const yaml_node_t *api_node, const char *kind, const yaml_node_t *kind_node)
{
	cJSON *json = NULL;

	for (size_t i = 0; i < KW_ARRAY_LEN(kinds); i++) {
		const struct kind *k = &kinds[i];

		/* The same kind name in another API group is someone else's. */
		if (strcmp(kind, k->name) != 0 || !same_group(api, k->api_version))
			continue;
		if (strcmp(api, k->api_version) != 0) {
			size_t old = keypath_str(&d->kp, "apiVersion");

			ydoc_error(d, api_node, "%s is served as %s", kind, k->api_version);
			keypath_pop(&d->kp, old);
			return;
		}
		d->errors = d->dl->n_errors;
		if (kjson_convert(d, n, &json) != KW_ETOOBIG)
			k->decode(d, n, &json);
		cJSON_Delete(json);
		return;
	}
	if (same_group(api, KARGO_API))
		unknown_kargo_kind(d, kind_node, kind);
}

void decode_object(struct ydoc *d, const yaml_node_t *n)
{
	char *api = NULL, *kind = NULL;
	const yaml_node_t *api_node = NULL, *kind_node = NULL;
	bool ok;

	if (n->type != YAML_MAPPING_NODE) {
		ydoc_error(d, n, "a manifest is a mapping with apiVersion and kind, not %s",
			ydoc_describe(d, n));
		return;
	}
	ok = yread_string(d, n, "apiVersion", YREAD_REQUIRED | YREAD_NONEMPTY, &api, &api_node);
	ok = yread_string(d, n, "kind", YREAD_REQUIRED | YREAD_NONEMPTY, &kind,
		&kind_node) && ok;
	if (ok && is_list_kind(kind))
		decode_items(d, n);
	else if (ok)
		decode_kind(d, n, api, api_node, kind, kind_node);
	free(api);
	free(kind);
}

void decode_document(struct ydoc *d, yaml_document_t *doc)
{
	const yaml_node_t *root = yaml_document_get_root_node(doc);

	d->ydoc = doc;
	d->budget_nodes = MANIFEST_MAX_NODES;
	d->budget_bytes = MANIFEST_MAX_FILE_SIZE;
	d->exhausted = false;
	if (!ydoc_is_null(d, root)) /* an empty document, as kubectl skips */
		decode_object(d, root);
	d->ydoc = NULL;
}
