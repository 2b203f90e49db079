/*
 * test_kube_config.c: kubeconfig text into struct kube_config
 * (kube_config_parse), table-driven: each case is a kubeconfig and what
 * comes out (fields, or the error's status and a piece of its message).
 * Then kube_config_load's relative paths and kube_config_in_cluster.
 */
#include "kube.h"
#include "kw.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#define HEAD "apiVersion: v1\nkind: Config\ncurrent-context: c\n" \
	"contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: ns1}\n"
#define CLUSTER(body) "clusters:\n- name: k\n  cluster:\n" body
#define USER(body) "users:\n- name: u\n  user:\n" body

/* "-----BEGIN X-----\n" in base64 is not needed: any bytes round-trip. */
#define PEM_B64 "UEVNIFRFWFQ=" /* "PEM TEXT" */

struct want {
	const char *server, *ca_file, *ca_pem, *token, *token_file, *cert_file, *cert_pem,
		*key_file, *key_pem, *ns;
	bool insecure;
};

static const struct {
	const char *name, *text;
	int rc;
	const char *err; /* a piece of the message */
	struct want w;
} cases[] = {
	{"token file, relative CA", HEAD CLUSTER("    server: https://127.0.0.1:6443/\n"
		"    certificate-authority: ca.crt\n") USER("    tokenFile: /var/tok\n"),
		KW_OK, NULL, {.server = "https://127.0.0.1:6443", .ca_file = "/etc/kube/ca.crt",
		.token_file = "/var/tok", .ns = "ns1"}},
	{"inline token, CA data", HEAD CLUSTER("    server: https://k.example:443\n"
		"    certificate-authority-data: " PEM_B64 "\n") USER("    token: abc.def\n"),
		KW_OK, NULL, {.server = "https://k.example:443", .ca_pem = "PEM TEXT",
		.token = "abc.def", .ns = "ns1"}},
	{"client cert files", HEAD CLUSTER("    server: https://h\n"
		"    insecure-skip-tls-verify: true\n") USER("    client-certificate: /c.crt\n"
		"    client-key: k.key\n"), KW_OK, NULL, {.server = "https://h",
		.insecure = true, .cert_file = "/c.crt", .key_file = "/etc/kube/k.key",
		.ns = "ns1"}},
	{"client cert data", HEAD CLUSTER("    server: https://h\n") USER(
		"    client-certificate-data: " PEM_B64 "\n    client-key-data: " PEM_B64 "\n"),
		KW_OK, NULL, {.server = "https://h", .cert_pem = "PEM TEXT",
		.key_pem = "PEM TEXT", .ns = "ns1"}},
	{"JSON is YAML", "{\"current-context\":\"c\",\"contexts\":[{\"name\":\"c\",\"context\":"
		"{\"cluster\":\"k\",\"user\":\"u\"}}],\"clusters\":[{\"name\":\"k\",\"cluster\":"
		"{\"server\":\"https://j\",\"insecure-skip-tls-verify\":true}}],\"users\":[{\"name\":"
		"\"u\",\"user\":{\"token\":\"t\"}}]}", KW_OK, NULL, {.server = "https://j",
		.insecure = true, .token = "t"}},
	{"YAML 1.1 yes", HEAD CLUSTER("    server: https://h\n    insecure-skip-tls-verify: yes\n")
		USER("    token: t\n"), KW_OK, NULL, {.server = "https://h", .insecure = true,
		.token = "t", .ns = "ns1"}},
	{"no user is anonymous", "current-context: c\ncontexts:\n- name: c\n  context:\n"
		"    cluster: k\n" CLUSTER("    server: https://h\n"), KW_OK, NULL,
		{.server = "https://h"}},
	{"exec plugin", HEAD CLUSTER("    server: https://h\n") USER("    exec:\n"
		"      command: aws\n"), KW_EINVAL, "logs in with \"exec\"", {0}},
	{"auth provider", HEAD CLUSTER("    server: https://h\n") USER("    auth-provider:\n"
		"      name: gcp\n"), KW_EINVAL, "\"auth-provider\"", {0}},
	{"basic auth", HEAD CLUSTER("    server: https://h\n") USER("    username: a\n"
		"    password: b\n"), KW_EINVAL, "\"username\"", {0}},
	{"http server", HEAD CLUSTER("    server: http://h:8080\n") USER("    token: t\n"),
		KW_EINVAL, "must be an https:// URL", {0}},
	{"server without a host", HEAD CLUSTER("    server: https:///api\n") USER("    token: t\n"),
		KW_EINVAL, "must be an https:// URL", {0}},
	{"no server", HEAD CLUSTER("    insecure-skip-tls-verify: true\n") USER("    token: t\n"),
		KW_EINVAL, "must be an https:// URL", {0}},
	{"no current context", "contexts: []\n", KW_EINVAL, "no current-context", {0}},
	{"missing context", "current-context: x\ncontexts: []\n", KW_EINVAL,
		"no context named \"x\"", {0}},
	{"missing cluster", HEAD "clusters: []\n" USER("    token: t\n"), KW_EINVAL,
		"no cluster named \"k\"", {0}},
	{"missing user", HEAD CLUSTER("    server: https://h\n") "users: []\n", KW_EINVAL,
		"no user named \"u\"", {0}},
	{"cert without key", HEAD CLUSTER("    server: https://h\n") USER(
		"    client-certificate: /c\n"), KW_EINVAL, "needs its key", {0}},
	{"insecure with CA", HEAD CLUSTER("    server: https://h\n    certificate-authority: /ca\n"
		"    insecure-skip-tls-verify: true\n") USER("    token: t\n"), KW_EINVAL,
		"insecure-skip-tls-verify is not allowed", {0}},
	{"bad base64", HEAD CLUSTER("    server: https://h\n    certificate-authority-data: "
		"not*base64\n") USER("    token: t\n"), KW_EINVAL, "not valid base64", {0}},
	{"quoted bool", HEAD CLUSTER("    server: https://h\n    insecure-skip-tls-verify: "
		"\"true\"\n") USER("    token: t\n"), KW_EINVAL, "is not a boolean", {0}},
	{"not YAML", "a: [b\n", KW_EINVAL, "line", {0}},
	{"a list, not a mapping", "- a\n- b\n", KW_EINVAL, "not a kubeconfig", {0}},
	{"empty", "", KW_EINVAL, "not a kubeconfig", {0}},
	{"deep nesting", "a: " "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n", KW_EINVAL,
		"nested deeper", {0}},
};

static void check_field(const char *name, const char *field, const char *got, const char *want)
{
	if ((got == NULL) != (want == NULL) || (got != NULL && strcmp(got, want) != 0)) {
		test_failed++;
		fprintf(stderr, "%s: %s is \"%s\", want \"%s\"\n", name, field,
			got ? got : "(null)", want ? want : "(null)");
	} else {
		test_passed++;
	}
}

static void test_parse_table(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct kube_config c;
		struct kw_err err = {""};
		const struct want *w = &cases[i].w;
		int rc = kube_config_parse(&c, cases[i].text, strlen(cases[i].text), "/etc/kube",
			"kubeconfig test", &err);

		CHECK_MSG(rc == cases[i].rc, "%s: rc %d, want %d (%s)", cases[i].name, rc,
			cases[i].rc, err.msg);
		if (cases[i].err != NULL)
			CHECK_MSG(strstr(err.msg, cases[i].err) != NULL, "%s: message \"%s\"",
				cases[i].name, err.msg);
		if (rc != KW_OK || cases[i].rc != KW_OK) {
			kube_config_clear(&c);
			continue;
		}
		check_field(cases[i].name, "server", c.server, w->server);
		check_field(cases[i].name, "ca_file", c.ca_file, w->ca_file);
		check_field(cases[i].name, "ca_pem", c.ca_pem, w->ca_pem);
		check_field(cases[i].name, "token", c.token, w->token);
		check_field(cases[i].name, "token_file", c.token_file, w->token_file);
		check_field(cases[i].name, "cert_file", c.cert_file, w->cert_file);
		check_field(cases[i].name, "cert_pem", c.cert_pem, w->cert_pem);
		check_field(cases[i].name, "key_file", c.key_file, w->key_file);
		check_field(cases[i].name, "key_pem", c.key_pem, w->key_pem);
		check_field(cases[i].name, "namespace", c.namespace, w->ns);
		CHECK_MSG(c.insecure == w->insecure, "%s: insecure", cases[i].name);
		CHECK_STR(c.source, "kubeconfig test (context c)");
		kube_config_clear(&c);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_load_and_in_cluster(void)
{
	char d[] = "/tmp/kw-kcfg-XXXXXX", path[128];
	struct kube_config c;
	struct kw_err err = {""};

	if (mkdtemp(d) == NULL) {
		CHECK(false);
		return;
	}
	snprintf(path, sizeof(path), "%s/config", d);
	write_file(path, HEAD CLUSTER("    server: https://h\n    certificate-authority: ca\n")
		USER("    tokenFile: tok\n"));
	CHECK_INT(kube_config_load(&c, path, &err), KW_OK);
	snprintf(path, sizeof(path), "%s/ca", d);
	CHECK_STR(c.ca_file, path);
	snprintf(path, sizeof(path), "kubeconfig %s/config (context c)", d);
	CHECK_STR(c.source, path);
	kube_config_clear(&c);
	snprintf(path, sizeof(path), "%s/none", d);
	CHECK_INT(kube_config_load(&c, path, &err), KW_EIO);
	CHECK(strstr(err.msg, "No such file") != NULL);

	unsetenv("KUBERNETES_SERVICE_HOST");
	CHECK_INT(kube_config_in_cluster(&c, d, &err), KW_EINVAL);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	CHECK_INT(kube_config_in_cluster(&c, d, &err), KW_EIO); /* no token yet */
	snprintf(path, sizeof(path), "%s/token", d);
	write_file(path, "tok\n");
	snprintf(path, sizeof(path), "%s/ca.crt", d);
	write_file(path, "pem\n");
	snprintf(path, sizeof(path), "%s/namespace", d);
	write_file(path, "kargo\n");
	CHECK_INT(kube_config_in_cluster(&c, d, &err), KW_OK);
	CHECK_STR(c.server, "https://[fd00::1]:443");
	CHECK_STR(c.namespace, "kargo");
	CHECK_STR(c.source, "in-cluster");
	snprintf(path, sizeof(path), "%s/token", d);
	CHECK_STR(c.token_file, path);
	kube_config_clear(&c);
	for (const char *const *f = (const char *const[]){"config", "token", "ca.crt",
		     "namespace", NULL}; *f != NULL; f++) {
		snprintf(path, sizeof(path), "%s/%s", d, *f);
		unlink(path);
	}
	rmdir(d);
}

int main(void)
{
	test_parse_table();
	test_load_and_in_cluster();
	TEST_DONE("test_kube_config");
}
