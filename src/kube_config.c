/*
 * kube_config.c: where the API server is and who we are. A kubeconfig's
 * current context (its cluster and user) is turned into a kube_config by a
 * pure parser (text in, struct out: fuzz/fuzz_kubeconfig.c); loading a file
 * and the in-cluster service account are thin I/O around it.
 *
 * Kubeconfigs are YAML read by sigs.k8s.io/yaml (go-yaml v2, YAML 1.1), and
 * JSON kubeconfigs are YAML too, so libyaml reads both. A first pass over
 * libyaml's events bounds nesting before its recursive loader runs. Only
 * what the client can honour is accepted: an exec plugin, an auth provider
 * or basic auth would need code we do not have, so they are errors that
 * say so rather than an anonymous client that fails later.
 */
#include "kube.h"

#include "kw.h"

#include <yaml.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 64
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void kube_config_clear(struct kube_config *c)
{
	if (c == NULL)
		return;
	free(c->server);
	free(c->ca_file);
	free(c->ca_pem);
	if (c->token != NULL)
		memset(c->token, 0, strlen(c->token));
	free(c->token);
	free(c->token_file);
	free(c->cert_file);
	free(c->cert_pem);
	if (c->key_pem != NULL)
		memset(c->key_pem, 0, strlen(c->key_pem));
	free(c->key_file);
	free(c->key_pem);
	free(c->namespace);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

/* ---- the YAML tree ------------------------------------------------------ */

struct kc {
	yaml_document_t doc;
	const char *dir;
	const char *origin;
	struct kw_err *err;
};

/* libyaml's loader recurses once per nesting level: refuse deep input
 * before it runs. */
static int check_depth(const char *buf, size_t len, struct kw_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, rc = KW_OK;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return kw_errf(err, KW_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && rc == KW_OK) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = kw_errf(err, KW_EINVAL, "line %zu: %s",
				p.problem_mark.line + 1,
				p.problem ? p.problem : "malformed YAML");
			break;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		/* Only the first document is the kubeconfig. */
		done = ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_DOCUMENT_END_EVENT;
		yaml_event_delete(&ev);
		if (depth > MAX_DEPTH)
			rc = kw_errf(err, KW_EINVAL, "nested deeper than %d levels", MAX_DEPTH);
	}
	yaml_parser_delete(&p);
	return rc;
}

static yaml_node_t *node(struct kc *k, yaml_node_item_t i)
{
	return yaml_document_get_node(&k->doc, i);
}

static bool is_scalar(const yaml_node_t *n, const char *s)
{
	return n != NULL && n->type == YAML_SCALAR_NODE &&
		n->data.scalar.length == strlen(s) &&
		memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* The value of key in mapping m, or NULL. */
static yaml_node_t *get(struct kc *k, const yaml_node_t *m, const char *key)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++)
		if (is_scalar(node(k, p->key), key))
			return node(k, p->value);
	return NULL;
}

/* A scalar's text, or NULL for a missing key or YAML null. */
static const char *text(const yaml_node_t *n)
{
	const char *v;

	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	v = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (strcmp(v, "") == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	     strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0))
		return NULL;
	return v;
}

/* In list seq, the item whose "name" is name; its field (e.g. "cluster"). */
static yaml_node_t *named(struct kc *k, const yaml_node_t *seq, const char *name,
	const char *field)
{
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *i = seq->data.sequence.items.start;
	     i < seq->data.sequence.items.top; i++) {
		yaml_node_t *item = node(k, *i);
		const char *n = text(get(k, item, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return get(k, item, field);
	}
	return NULL;
}

/* ---- fields -------------------------------------------------------------- */

static int dup_to(struct kc *k, char **out, const char *v)
{
	if (v == NULL)
		return KW_OK;
	*out = strdup(v);
	return *out ? KW_OK : kw_errf(k->err, KW_ENOMEM, "out of memory");
}

/* A file name, joined to the kubeconfig's folder when relative. */
static int path_to(struct kc *k, char **out, const yaml_node_t *n)
{
	const char *v = text(n);

	if (v == NULL)
		return KW_OK;
	if (v[0] == '/' || k->dir == NULL || k->dir[0] == '\0')
		return dup_to(k, out, v);
	if (asprintf(out, "%s/%s", k->dir, v) < 0) {
		*out = NULL;
		return kw_errf(k->err, KW_ENOMEM, "out of memory");
	}
	return KW_OK;
}

/* A *-data field: base64 of PEM text. */
static int data_to(struct kc *k, char **out, const yaml_node_t *n, const char *what)
{
	const char *v = text(n);
	size_t len;

	if (v == NULL)
		return KW_OK;
	len = strlen(v);
	if ((*out = malloc(len + 1)) == NULL)
		return kw_errf(k->err, KW_ENOMEM, "out of memory");
	if (!kw_base64_decode(v, len, (unsigned char *)*out, &len) ||
	    memchr(*out, '\0', len) != NULL) {
		free(*out);
		*out = NULL;
		return kw_errf(k->err, KW_EINVAL, "%s: %s is not valid base64 of PEM text",
			k->origin, what);
	}
	(*out)[len] = '\0';
	return KW_OK;
}

/* YAML 1.1 booleans, as go-yaml v2 reads them. */
static int bool_to(struct kc *k, bool *out, const yaml_node_t *n, const char *what)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true", "True",
		"TRUE", "on", "On", "ON"};
	static const char *const no[] = {"n", "N", "no", "No", "NO", "false", "False",
		"FALSE", "off", "Off", "OFF"};
	const char *v = text(n);

	*out = false;
	if (v == NULL)
		return KW_OK;
	for (size_t i = 0; n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	     i < KW_ARRAY_LEN(yes); i++) {
		if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
			*out = strcmp(v, yes[i]) == 0;
			return KW_OK;
		}
	}
	return kw_errf(k->err, KW_EINVAL, "%s: %s is not a boolean: %s", k->origin, what, v);
}

static int read_cluster(struct kc *k, const yaml_node_t *c, const char *name,
	struct kube_config *out)
{
	const char *server = text(get(k, c, "server"));
	size_t n;
	int rc;

	if (c == NULL || c->type != YAML_MAPPING_NODE)
		return kw_errf(k->err, KW_EINVAL, "%s: no cluster named \"%s\"", k->origin, name);
	if (server == NULL || strncmp(server, "https://", 8) != 0 || server[8] == '\0' ||
	    server[8] == '/')
		return kw_errf(k->err, KW_EINVAL, "%s: cluster \"%s\": server must be an https:// "
			"URL, not \"%s\"", k->origin, name, server ? server : "");
	if ((rc = dup_to(k, &out->server, server)) != KW_OK)
		return rc;
	n = strlen(out->server);
	while (n > 8 && out->server[n - 1] == '/')
		out->server[--n] = '\0';
	if ((rc = path_to(k, &out->ca_file, get(k, c, "certificate-authority"))) != KW_OK ||
	    (rc = data_to(k, &out->ca_pem, get(k, c, "certificate-authority-data"),
		    "certificate-authority-data")) != KW_OK ||
	    (rc = bool_to(k, &out->insecure, get(k, c, "insecure-skip-tls-verify"),
		    "insecure-skip-tls-verify")) != KW_OK)
		return rc;
	if (out->insecure && (out->ca_file || out->ca_pem))
		return kw_errf(k->err, KW_EINVAL, "%s: cluster \"%s\": a certificate authority "
			"with insecure-skip-tls-verify is not allowed (as in kubectl)",
			k->origin, name);
	return KW_OK;
}

static int refuse_user(struct kc *k, const yaml_node_t *u, const char *name)
{
	static const char *const unsupported[] = {"exec", "auth-provider", "username",
		"password", "as", "as-groups"};

	for (size_t i = 0; i < KW_ARRAY_LEN(unsupported); i++)
		if (get(k, u, unsupported[i]) != NULL)
			return kw_errf(k->err, KW_EINVAL, "%s: user \"%s\" logs in with \"%s\", "
				"which this program does not support; use a token, tokenFile "
				"or a client certificate (in a cluster: the service account)",
				k->origin, name, unsupported[i]);
	return KW_OK;
}

static int read_user(struct kc *k, const yaml_node_t *u, const char *name,
	struct kube_config *out)
{
	int rc;

	if (u == NULL || u->type != YAML_MAPPING_NODE)
		return kw_errf(k->err, KW_EINVAL, "%s: no user named \"%s\"", k->origin, name);
	if ((rc = refuse_user(k, u, name)) != KW_OK ||
	    (rc = dup_to(k, &out->token, text(get(k, u, "token")))) != KW_OK ||
	    (rc = path_to(k, &out->token_file, get(k, u, "tokenFile"))) != KW_OK ||
	    (rc = path_to(k, &out->cert_file, get(k, u, "client-certificate"))) != KW_OK ||
	    (rc = path_to(k, &out->key_file, get(k, u, "client-key"))) != KW_OK ||
	    (rc = data_to(k, &out->cert_pem, get(k, u, "client-certificate-data"),
		    "client-certificate-data")) != KW_OK ||
	    (rc = data_to(k, &out->key_pem, get(k, u, "client-key-data"),
		    "client-key-data")) != KW_OK)
		return rc;
	if ((out->cert_file || out->cert_pem) != (out->key_file || out->key_pem))
		return kw_errf(k->err, KW_EINVAL, "%s: user \"%s\": a client certificate needs "
			"its key and a key its certificate", k->origin, name);
	return KW_OK;
}

static int read_context(struct kc *k, struct kube_config *out)
{
	yaml_node_t *root = yaml_document_get_root_node(&k->doc);
	const char *cur = text(get(k, root, "current-context")), *cluster, *user;
	yaml_node_t *ctx;
	int rc;

	if (root == NULL || root->type != YAML_MAPPING_NODE)
		return kw_errf(k->err, KW_EINVAL, "%s: not a kubeconfig (no mapping)", k->origin);
	if (cur == NULL)
		return kw_errf(k->err, KW_EINVAL, "%s: no current-context", k->origin);
	ctx = named(k, get(k, root, "contexts"), cur, "context");
	if (ctx == NULL || ctx->type != YAML_MAPPING_NODE)
		return kw_errf(k->err, KW_EINVAL, "%s: no context named \"%s\"", k->origin, cur);
	cluster = text(get(k, ctx, "cluster"));
	user = text(get(k, ctx, "user"));
	if (cluster == NULL)
		return kw_errf(k->err, KW_EINVAL, "%s: context \"%s\" names no cluster",
			k->origin, cur);
	if ((rc = read_cluster(k, named(k, get(k, root, "clusters"), cluster, "cluster"),
		     cluster, out)) != KW_OK ||
	    (user != NULL && (rc = read_user(k, named(k, get(k, root, "users"), user, "user"),
		     user, out)) != KW_OK) ||
	    (rc = dup_to(k, &out->namespace, text(get(k, ctx, "namespace")))) != KW_OK)
		return rc;
	if (asprintf(&out->source, "%s (context %s)", k->origin, cur) < 0) {
		out->source = NULL;
		return kw_errf(k->err, KW_ENOMEM, "out of memory");
	}
	return KW_OK;
}

int kube_config_parse(struct kube_config *out, const char *buf, size_t len,
	const char *dir, const char *origin, struct kw_err *err)
{
	struct kc k = {.dir = dir, .origin = origin ? origin : "kubeconfig", .err = err};
	yaml_parser_t p;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > KUBE_CONFIG_MAX)
		return kw_errf(err, KW_ETOOBIG, "%s: larger than %u bytes", k.origin,
			KUBE_CONFIG_MAX);
	if ((rc = check_depth(buf, len, err)) != KW_OK)
		return rc;
	if (!yaml_parser_initialize(&p))
		return kw_errf(err, KW_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &k.doc)) {
		rc = kw_errf(err, KW_EINVAL, "%s: line %zu: %s", k.origin,
			p.problem_mark.line + 1, p.problem ? p.problem : "malformed YAML");
		yaml_parser_delete(&p);
		return rc;
	}
	yaml_parser_delete(&p);
	rc = read_context(&k, out);
	yaml_document_delete(&k.doc);
	if (rc != KW_OK)
		kube_config_clear(out);
	return rc;
}

/* ---- files ------------------------------------------------------------- */

/* A whole small file, NUL-terminated. errno tells why on KW_EIO. */
static int slurp(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc = KW_OK;

	*out = NULL;
	if (f == NULL)
		return KW_EIO;
	if ((*out = malloc(max + 1)) == NULL) {
		rc = KW_ENOMEM;
		goto out;
	}
	n = fread(*out, 1, max + 1, f);
	if (ferror(f))
		rc = KW_EIO;
	else if (n > max)
		rc = KW_ETOOBIG;
	else
		(*out)[n] = '\0';
	*len = n;
out:
	if (rc != KW_OK) {
		free(*out);
		*out = NULL;
	}
	fclose(f);
	return rc;
}

int kube_config_load(struct kube_config *out, const char *path, struct kw_err *err)
{
	char *buf = NULL, *dir = NULL, *slash, *origin = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = slurp(path, KUBE_CONFIG_MAX, &buf, &len);
	if (rc != KW_OK)
		return kw_errf(err, rc, "kubeconfig %s: %s", path,
			rc == KW_ETOOBIG ? "too large" : strerror(errno));
	if ((dir = strdup(path)) == NULL || asprintf(&origin, "kubeconfig %s", path) < 0) {
		origin = NULL;
		rc = kw_errf(err, KW_ENOMEM, "out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		dir[0] = '\0';
	rc = kube_config_parse(out, buf, len, dir, origin, err);
out:
	free(buf);
	free(dir);
	free(origin);
	return rc;
}

/* The first line of a small file, trimmed; NULL and errno on failure. */
static char *first_line(const char *path)
{
	char *buf = NULL;
	size_t len;

	if (slurp(path, 4096, &buf, &len) != KW_OK)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/* The pod's namespace, or NULL when the file is missing. */
static char *namespace_of(const char *dir)
{
	char *path = NULL, *ns;

	if (asprintf(&path, "%s/namespace", dir) < 0)
		return NULL;
	ns = first_line(path);
	free(path);
	return ns;
}

int kube_config_in_cluster(struct kube_config *out, const char *dir, struct kw_err *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	bool v6;
	int rc = KW_OK;

	memset(out, 0, sizeof(*out));
	if (dir == NULL)
		dir = SA_DIR;
	if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0')
		return kw_errf(err, KW_EINVAL, "not in a cluster: KUBERNETES_SERVICE_HOST and "
			"KUBERNETES_SERVICE_PORT are not set");
	v6 = strchr(host, ':') != NULL;
	if (asprintf(&out->server, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
		    port) < 0 ||
	    asprintf(&out->token_file, "%s/token", dir) < 0 ||
	    asprintf(&out->ca_file, "%s/ca.crt", dir) < 0 ||
	    (out->source = strdup("in-cluster")) == NULL) {
		rc = kw_errf(err, KW_ENOMEM, "out of memory");
		goto out;
	}
	/* The token is read by the client (and again when it changes); here
	 * only its presence is checked, so a bad mount fails at start. */
	if (access(out->token_file, R_OK) != 0 || access(out->ca_file, R_OK) != 0) {
		rc = kw_errf(err, KW_EIO, "in-cluster: cannot read %s/token or ca.crt: %s",
			dir, strerror(errno));
		goto out;
	}
	out->namespace = namespace_of(dir);
out:
	if (rc != KW_OK)
		kube_config_clear(out);
	return rc;
}
