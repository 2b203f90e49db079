/*
 * test_registry.c: the registry kinds' parsers and authentication
 * (src/receivers/dockerhub.c, quay.c, harbor.c, artifactory.c and
 * src/registry.c) through receiver_ops: each fixture of tests/fixtures/
 * (see the PROVENANCE.md beside them) comes out as the repository URLs and
 * tags Kargo v1.11 would look Warehouses up with, and each refusal in
 * Kargo's words. Golden HMAC vectors for Artifactory were computed with
 * Python's hmac module over the fixture bytes.
 */
#include "headers.h"
#include "kw.h"
#include "receiver.h"
#include "registry.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURES "tests/fixtures/"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

/* "url1 url2|tag1 tag2" for an event, "E<status> <error>" for a custom
 * refusal, "INVALID" for a body Kargo's decoder refuses. */
static void describe(char *out, size_t cap, const struct event *ev, int rc)
{
	out[0] = '\0';
	if (rc == KW_EINVAL) {
		snprintf(out, cap, "INVALID");
		return;
	}
	if (rc == KW_EUNSUPPORTED) {
		snprintf(out, cap, "E%d %s", ev->status, ev->error ? ev->error : "");
		return;
	}
	for (size_t i = 0; i < ev->n_urls; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "",
			ev->urls[i]);
	snprintf(out + strlen(out), cap - strlen(out), "|");
	for (size_t i = 0; i < ev->n_refs; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "",
			ev->refs[i]);
}

struct row {
	const char *kind;
	const char *file; /* under tests/fixtures/, or NULL: body is inline */
	const char *body;
	const char *option;
	const char *want;
};

static const struct row rows[] = {
	/* Kargo's dockerhub_test.go payloads: the media type decides. */
	{ "dockerhub", "dockerhub/kargo-image-v1.0.0.json", NULL, NULL,
	  "example/repo|v1.0.0" },
	{ "dockerhub", "dockerhub/kargo-chart-v1.0.0.json", NULL, NULL,
	  "example/repo|v1.0.0" },
	{ "dockerhub", "dockerhub/docs-example-latest-go-playground.json", NULL,
	  NULL, "svendowideit/testhook|latest" },
	{ "dockerhub", "dockerhub/no-tag-own-repository-jenkins-dockerhub.json",
	  NULL, NULL, "csanchez/jenkins-swarm-slave|" },
	{ "dockerhub", "dockerhub/no-tag-public-repository-jenkins-dockerhub.json",
	  NULL, NULL, "busybox|" },
	{ "dockerhub", NULL, "invalid json", NULL, "INVALID" },
	{ "dockerhub", NULL, "{\"push_data\":{\"tag\":1}}", NULL, "INVALID" },
	{ "dockerhub", NULL, "null", NULL, "|" },
	/* Unknown media type: image and chart forms, here different (the
	 * image form keeps "oci:" as a registry with a port-less colon). */
	{ "dockerhub", NULL, "{\"push_data\":{\"tag\":\"v1\",\"media_type\":\"x\"},"
	  "\"repository\":{\"repo_name\":\"OCI://Reg.io/A\"}}", NULL,
	  "oci://reg.io/a reg.io/a|v1" },
	{ "dockerhub", NULL, "{\"push_data\":{\"tag\":\"v1\",\"media_type\":"
	  "\"application/vnd.oci.image.index.v1+json\"},"
	  "\"repository\":{\"repo_name\":\"OCI://Reg.io/A\"}}", NULL,
	  "oci://reg.io/a|v1" },
	/* Quay */
	{ "quay", "quay/kargo-push-v1.0.0.json", NULL, NULL,
	  "quay.io/mynamespace/repository|v1.0.0" },
	{ "quay", "quay/docs-repository-push-redhat.json", NULL, NULL,
	  "quay.io/dgangaia/test|latest" },
	{ "quay", "quay/legacy-updated-tags-object-gist.json", NULL, NULL, "INVALID" },
	{ "quay", NULL, "{\"docker_url\":\"quay.io/a/b\",\"updated_tags\":[\"v2\",\"v1\",\"v2\",\"\"]}",
	  NULL, "quay.io/a/b|v1 v2" },
	/* Go decodes a repeated updated_tags into the one []string: the last
	 * array replaces the first, a null makes it nil (no tag: every
	 * subscriber refreshed) */
	{ "quay", NULL, "{\"docker_url\":\"quay.io/a/b\",\"updated_tags\":[\"v1\"],"
	  "\"updated_tags\":[\"v2\"]}", NULL, "quay.io/a/b|v2" },
	{ "quay", NULL, "{\"docker_url\":\"quay.io/a/b\",\"updated_tags\":[\"v1\"],"
	  "\"updated_tags\":null}", NULL, "quay.io/a/b|" },
	{ "quay", NULL, "{\"docker_url\":\"quay.io/a/b\",\"updated_tags\":[\"v1\", \"v3\"],"
	  "\"updated_tags\":[]}", NULL, "quay.io/a/b|" },
	/* Harbor */
	{ "harbor", "harbor/kargo-push-image-v1.0.0.json", NULL, NULL,
	  "harbor.example.com/library/alpine|v1.0.0" },
	{ "harbor", "harbor/kargo-push-two-resources.json", NULL, NULL,
	  "harbor.example.com/library/alpine|v1.0.0 v1.1.0" },
	{ "harbor", "harbor/kargo-push-chart-v1.0.0.json", NULL, NULL,
	  "harbor.example.com/charts/my-chart|v1.0.0" },
	{ "harbor", "harbor/docs-push-artifact-latest-goharbor.json", NULL, NULL,
	  "hub.harbor.com/test-webhook/debian|latest" },
	{ "harbor", NULL, "{\"type\":\"PUSH_ARTIFACT\",\"event_data\":{\"resources\":[]}}",
	  NULL, "|" },
	{ "harbor", NULL, "{\"type\":\"DELETE_ARTIFACT\"}", NULL,
	  "E400 unsupported event type" },
	{ "harbor", NULL, "{\"type\":5}", NULL, "INVALID" },
	/* Artifactory: Kargo's artifactory_test.go events */
	{ "artifactory", "artifactory/kargo-push-image.json", NULL, NULL,
	  "artifactory.example.com/test-repo/test-image|v1.0.0" },
	{ "artifactory", "artifactory/kargo-push-image-path-prefix.json", NULL, NULL,
	  "artifactory.example.com/test-repo/foo/bar/test-image|v1.0.0" },
	{ "artifactory", "artifactory/kargo-push-image-no-origin.json", NULL, NULL,
	  "/test-repo/test-image|v1.0.0" },
	{ "artifactory", "artifactory/kargo-push-chart.json", NULL, NULL,
	  "artifactory.example.com/test-repo/test-chart|v1.0.0" },
	{ "artifactory", "artifactory/kargo-push-chart-nested.json", NULL,
	  "virtual-test-repo",
	  "artifactory.example.com/virtual-test-repo/foo/bar/test-chart|v1.0.0" },
	{ "artifactory", NULL, "{\"domain\":\"docker\",\"event_type\":\"deleted\"}",
	  NULL, "E501 event type must be 'pushed' and domain must be 'docker'" },
	{ "artifactory", NULL, "{\"domain\":\"artifact\",\"event_type\":\"pushed\"}",
	  NULL, "E501 event type must be 'pushed' and domain must be 'docker'" },
	{ "artifactory", NULL, "{\"domain\":\"docker\",\"event_type\":\"pushed\","
	  "\"data\":{\"image_type\":\"he\\\"lm\\u0001\\u00e9\"}}", NULL,
	  "E501 unsupported image type \"he\\\"lm\\x01\xc3\xa9\"" },
	{ "artifactory", NULL, "{\"domain\":\"docker\",\"event_type\":\"pushed\","
	  "\"data\":{\"image_type\":\"docker\",\"path\":\"a/b\"},"
	  "\"jpd_origin\":\":bad\"}", NULL,
	  "E400 invalid value \":bad\" in payload's jpd_origin field" },
	{ "artifactory", NULL, "{\"domain\":\"docker\",\"event_type\":\"pushed\","
	  "\"data\":{\"image_type\":\"docker\",\"path\":\"invalidpath\"}}", NULL,
	  "E400 invalid value \"invalidpath\" in payload's data.path field" },
	{ "artifactory", NULL, "{\"domain\":\"docker\",\"event_type\":\"pushed\","
	  "\"data\":{\"image_type\":\"oci\",\"path\":\"//\",\"repo_key\":\"R\","
	  "\"tag\":\"1.0.0\"},\"jpd_origin\":\"https://a.io:8443/x\"}", NULL,
	  "a.io:8443/r/|1.0.0" },
	{ "artifactory", NULL, "[]", NULL, "INVALID" },
};

static void test_rows(void)
{
	char got[1024], path[256];

	for (size_t i = 0; i < KW_ARRAY_LEN(rows); i++) {
		const struct row *r = &rows[i];
		const struct receiver_ops *ops = receiver_find(r->kind);
		struct header_pairs pairs = { NULL, 0 };
		struct header_lookup h = header_pairs_lookup(&pairs);
		struct event ev = { .option = r->option };
		struct kw_err err;
		char *body = NULL;
		size_t len = 0;
		int rc;

		CHECK(ops != NULL);
		if (ops == NULL)
			continue;
		if (r->file != NULL) {
			snprintf(path, sizeof(path), FIXTURES "%s", r->file);
			body = slurp(path, &len);
			CHECK_MSG(body != NULL, "cannot read %s", path);
		} else {
			body = kw_strndup(r->body, strlen(r->body));
			len = strlen(r->body);
		}
		if (body == NULL)
			continue;
		rc = ops->parse(&ev, &h, body, len, &err);
		describe(got, sizeof(got), &ev, rc);
		CHECK_MSG(strcmp(got, r->want) == 0, "%s %s: \"%s\", want \"%s\"",
			r->kind, r->file ? r->file : r->body, got, r->want);
		event_clear(&ev);
		free(body);
	}
}

struct auth_row {
	const char *kind;
	const char *header; /* NULL: absent */
	const char *value;
	const char *file;
	enum auth_result want;
};

/* Secrets: Kargo's tests' testSigningKey and harbor's testAuthToken. */
static const struct auth_row auth_rows[] = {
	{ "artifactory", "X-Jfrog-Event-Auth",
	  "5c51b9d0fb8193ad3cff88396b9c1fe769bf4687345529068024a9e3504c35d1",
	  "artifactory/kargo-push-image.json", AUTH_OK },
	{ "artifactory", "x-jfrog-event-auth",
	  "8e1456ba3d349280b4c01acd4e89f6f9c040c6895fdf847af2847bbf267bdd56",
	  "artifactory/kargo-push-chart.json", AUTH_OK },
	{ "artifactory", "X-Jfrog-Event-Auth",
	  "132158f442757765363562c4911da0daf11402babdbe814d46263e7726d8f723",
	  "artifactory/kargo-push-chart-nested.json", AUTH_OK },
	/* upper case hex, a prefix, another body's MAC: all wrong */
	{ "artifactory", "X-Jfrog-Event-Auth",
	  "5C51B9D0FB8193AD3CFF88396B9C1FE769BF4687345529068024A9E3504C35D1",
	  "artifactory/kargo-push-image.json", AUTH_WRONG },
	{ "artifactory", "X-Jfrog-Event-Auth",
	  "sha256=5c51b9d0fb8193ad3cff88396b9c1fe769bf4687345529068024a9e3504c35d1",
	  "artifactory/kargo-push-image.json", AUTH_WRONG },
	{ "artifactory", "X-Jfrog-Event-Auth", "invalid-signature",
	  "artifactory/kargo-push-image.json", AUTH_WRONG },
	{ "artifactory", "X-Jfrog-Event-Auth",
	  "8e1456ba3d349280b4c01acd4e89f6f9c040c6895fdf847af2847bbf267bdd56",
	  "artifactory/kargo-push-image.json", AUTH_WRONG },
	{ "artifactory", "X-Jfrog-Event-Auth", "", "artifactory/kargo-push-image.json",
	  AUTH_MISSING },
	{ "artifactory", NULL, NULL, "artifactory/kargo-push-image.json", AUTH_MISSING },
	{ "harbor", "Authorization", "test-auth-token-123",
	  "harbor/kargo-push-image-v1.0.0.json", AUTH_OK },
	{ "harbor", "authorization", "test-auth-token-123",
	  "harbor/kargo-push-image-v1.0.0.json", AUTH_OK },
	{ "harbor", "Authorization", "invalid-token",
	  "harbor/kargo-push-image-v1.0.0.json", AUTH_WRONG },
	{ "harbor", "Authorization", "test-auth-token-12",
	  "harbor/kargo-push-image-v1.0.0.json", AUTH_WRONG },
	{ "harbor", "Authorization", "", "harbor/kargo-push-image-v1.0.0.json",
	  AUTH_MISSING_AUTHORIZATION },
	{ "harbor", NULL, NULL, "harbor/kargo-push-image-v1.0.0.json",
	  AUTH_MISSING_AUTHORIZATION },
	{ "dockerhub", NULL, NULL, "dockerhub/kargo-image-v1.0.0.json", AUTH_OK },
	{ "quay", NULL, NULL, "quay/kargo-push-v1.0.0.json", AUTH_OK },
};

static void test_auth(void)
{
	char path[256];

	for (size_t i = 0; i < KW_ARRAY_LEN(auth_rows); i++) {
		const struct auth_row *r = &auth_rows[i];
		const struct receiver_ops *ops = receiver_find(r->kind);
		const char *kv[2] = { r->header, r->value };
		struct header_pairs pairs = { kv, r->header ? 1 : 0 };
		struct header_lookup h = header_pairs_lookup(&pairs);
		const char *key = strcmp(r->kind, "harbor") == 0 ?
			"test-auth-token-123" : "mysupersecrettoken";
		struct auth_input in;
		size_t len;
		char *body;

		snprintf(path, sizeof(path), FIXTURES "%s", r->file);
		body = slurp(path, &len);
		CHECK_MSG(body != NULL && ops != NULL, "cannot read %s", path);
		if (body == NULL || ops == NULL) {
			free(body);
			continue;
		}
		in = (struct auth_input){ ops, &h, (const unsigned char *)key,
			strlen(key), body, len };
		CHECK_MSG(ops->authenticate(&in) == r->want, "auth row %zu (%s %s)",
			i, r->kind, r->value ? r->value : "(absent)");
		free(body);
	}
}

/* A field sent twice is refused whatever the values. */
static void test_repeated(void)
{
	const char *kv[4] = { "Authorization", "t", "authorization", "t" };
	struct header_pairs pairs = { kv, 2 };
	struct header_lookup h = header_pairs_lookup(&pairs);
	const struct receiver_ops *ops = receiver_find("harbor");
	struct auth_input in = { ops, &h, (const unsigned char *)"t", 1, "{}", 2 };

	CHECK(ops != NULL && ops->authenticate(&in) == AUTH_REPEATED);
	kv[0] = kv[2] = "X-Jfrog-Event-Auth";
	ops = receiver_find("artifactory");
	in.ops = ops;
	CHECK(ops != NULL && ops->authenticate(&in) == AUTH_REPEATED);
}

/* The image events of the azure kind (ACR, told apart by User-Agent) and
 * of the github kind (GHCR: package and registry_package). */
struct image_row {
	const char *kind; /* "azure", or the X-GitHub-Event type */
	const char *file;
	const char *body;
	const char *want; /* as describe(); "PING", "IGNORED" */
};

static const struct image_row image_rows[] = {
	{ "azure", "azure-acr/push-v1-jenkins-dockerhub.json", NULL,
	  "myregistry.azurecr.io/hello-world|v1" },
	{ "azure", NULL, "{\"action\":\"ping\"}", "PING" },
	{ "azure", NULL, "{\"action\":\"push\",\"target\":{\"mediaType\":"
	  "\"application/vnd.cncf.helm.config.v1+json\",\"repository\":\"Charts/X\","
	  "\"tag\":\"1.2.3\"},\"request\":{\"host\":\"r.azurecr.io\"}}",
	  "r.azurecr.io/charts/x|1.2.3" },
	{ "azure", NULL, "{\"action\":\"delete\"}", "UNSUPPORTED delete" },
	{ "package", "ghcr/kargo-package-image.json", NULL, "ghcr.io/example/repo|v1.0.0" },
	{ "package", "ghcr/kargo-package-chart.json", NULL, "ghcr.io/example/repo|v1.0.0" },
	{ "registry_package", "ghcr/kargo-registry-package-image.json", NULL,
	  "ghcr.io/example/repo|v1.0.0" },
	{ "registry_package", "ghcr/registry-package-npm-go-playground.json", NULL,
	  "IGNORED" },
	{ "package", NULL, "{\"action\":\"deleted\"}", "IGNORED" },
	{ "package", NULL, "{\"action\":\"published\"}", "INVALID" },
	/* GitHub's trailing ':' without a tag goes; an unknown media type
	 * offers the image and the chart form. */
	{ "package", NULL, "{\"action\":\"updated\",\"package\":{\"package_type\":"
	  "\"docker\",\"package_version\":{\"package_url\":\"OCI://ghcr.io/o/p:\","
	  "\"container_metadata\":{\"tag\":{\"name\":\"v2\"}}}}}",
	  "ghcr.io/o/p oci://ghcr.io/o/p|v2" },
	/* manifest is a map[string]any: a chart's config is the chart alone,
	 * and a repeated "config" replaces the earlier value whole (Go decodes
	 * each into a fresh any), so the chart's media type goes with it. */
	{ "package", NULL, "{\"action\":\"updated\",\"package\":{\"package_type\":"
	  "\"docker\",\"package_version\":{\"package_url\":\"OCI://ghcr.io/o/p:\","
	  "\"container_metadata\":{\"tag\":{\"name\":\"v2\"},\"manifest\":{\"config\":"
	  "{\"media_type\":\"application/vnd.cncf.helm.config.v1+json\"}}}}}}",
	  "ghcr.io/o/p|v2" },
	{ "package", NULL, "{\"action\":\"updated\",\"package\":{\"package_type\":"
	  "\"docker\",\"package_version\":{\"package_url\":\"OCI://ghcr.io/o/p:\","
	  "\"container_metadata\":{\"tag\":{\"name\":\"v2\"},\"manifest\":{\"config\":"
	  "{\"media_type\":\"application/vnd.cncf.helm.config.v1+json\"},\"config\":{}}}}}}",
	  "ghcr.io/o/p oci://ghcr.io/o/p|v2" },
	{ "package", NULL, "{\"action\":\"updated\",\"package\":{\"package_type\":"
	  "\"docker\",\"package_version\":{\"package_url\":\"OCI://ghcr.io/o/p:\","
	  "\"container_metadata\":{\"tag\":{\"name\":\"v2\"},\"manifest\":{\"config\":"
	  "{\"media_type\":\"application/vnd.cncf.helm.config.v1+json\"},\"config\":\"x\"}}}}}",
	  "ghcr.io/o/p oci://ghcr.io/o/p|v2" },
	{ "package", NULL, "{\"action\":\"updated\",\"package\":{\"package_type\":"
	  "\"docker\",\"package_version\":{\"package_url\":\"OCI://ghcr.io/o/p:\","
	  "\"container_metadata\":{\"tag\":{\"name\":\"v2\"},\"manifest\":{\"config\":"
	  "{\"media_type\":\"application/vnd.cncf.helm.config.v1+json\"},\"config\":null}}}}}",
	  "ghcr.io/o/p oci://ghcr.io/o/p|v2" },
};

static void test_image_events(void)
{
	char got[1024], path[256];

	for (size_t i = 0; i < KW_ARRAY_LEN(image_rows); i++) {
		const struct image_row *r = &image_rows[i];
		const char *kv[2] = { "User-Agent", "AzureContainerRegistry/1.0" };
		struct header_pairs pairs = { kv, 1 };
		struct header_lookup h = header_pairs_lookup(&pairs);
		const struct receiver_ops *azure = receiver_find("azure");
		struct event ev = { 0 };
		struct kw_err err;
		size_t len = 0;
		char *body;
		int rc;

		snprintf(path, sizeof(path), FIXTURES "%s", r->file ? r->file : "");
		body = r->file ? slurp(path, &len) : kw_strndup(r->body, strlen(r->body));
		len = r->file ? len : strlen(r->body);
		CHECK(body != NULL && azure != NULL);
		if (body == NULL || azure == NULL) {
			free(body);
			continue;
		}
		if (strcmp(r->kind, "azure") == 0)
			rc = azure->parse(&ev, &h, body, len, &err);
		else
			rc = github_package(&ev, r->kind, body, len, &err);
		if (rc == KW_OK && ev.kind == EVENT_PING)
			snprintf(got, sizeof(got), "PING");
		else if (rc == KW_OK && ev.kind == EVENT_IGNORED)
			snprintf(got, sizeof(got), "IGNORED");
		else if (rc == KW_EUNSUPPORTED && ev.refusal == REFUSE_EVENT)
			snprintf(got, sizeof(got), "UNSUPPORTED %s", ev.name ? ev.name : "");
		else
			describe(got, sizeof(got), &ev, rc);
		CHECK_MSG(strcmp(got, r->want) == 0, "%s %s: \"%s\", want \"%s\"",
			r->kind, r->file ? r->file : r->body, got, r->want);
		event_clear(&ev);
		free(body);
	}
}

int main(void)
{
	test_rows();
	test_image_events();
	test_auth();
	test_repeated();
	TEST_DONE("test_registry");
}
