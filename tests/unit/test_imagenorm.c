/*
 * test_imagenorm.c: imagenorm_image, imagenorm_chart and the selector
 * reference checks, table-driven. The first tables are Kargo's own
 * (v1.11.2: pkg/urls/image_test.go, pkg/urls/helm_test.go, and the image
 * and chart URLs of pkg/indexer/indexer_test.go and
 * pkg/webhook/external/refresh_test.go). The rest pin go-containerregistry
 * v0.20.7 (pkg/name) and oras-go v2.6.2 (registry/reference.go) rules,
 * worked out by reading that code: there is no Go toolchain here to run
 * it, so each row names the rule it exercises.
 */
#include "imagenorm.h"
#include "kw.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

/* Returned exactly as given. */
#define AS_GIVEN NULL

struct row {
	const char *in;
	const char *want;
};

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Kargo's pkg/urls/image_test.go, TestNormalizeImage. */
static const struct row kargo_image[] = {
	{ "index.docker.io/library/busybox", "busybox" },
	{ "index.docker.io/busybox", "busybox" },
	{ "registry-1.docker.io/library/busybox", "busybox" },
	{ "registry-1.docker.io/busybox", "busybox" },
	{ "docker.io/library/busybox", "busybox" },
	{ "docker.io/busybox", "busybox" },
	{ "library/busybox", "busybox" },
	{ "busybox", "busybox" },
	{ "index.docker.io/example/repo", "example/repo" },
	{ "docker.io/example/repo", "example/repo" },
	{ "example/repo", "example/repo" },
	{ "ghcr.io/example/repo", "ghcr.io/example/repo" },
	{ "quay.io/example/repo", "quay.io/example/repo" },
	{ "invalid url", "invalid url" },
	/* pkg/indexer/indexer_test.go: indexed unchanged. */
	{ "https://registry.hub.docker.com/u/svendowideit/testhook/",
	  "https://registry.hub.docker.com/u/svendowideit/testhook/" },
};

/* Kargo's pkg/urls/helm_test.go, TestNormalizeChart. */
static const struct row kargo_chart[] = {
	{ "", "" },
	{ "repo", "repo" },
	{ "  repo  ", "repo" },
	{ "REpo", "repo" },
	{ "oci://repo", "repo" },
	{ "  oci://repo  ", "repo" },
	{ "OCI://Repo", "repo" },
	{ "oci://docker.io/example/repo", "example/repo" },
	{ "docker.io/example/repo", "example/repo" },
	{ "oci://index.docker.io/example/repo", "example/repo" },
	{ "index.docker.io/example/repo", "example/repo" },
	{ "oci://registry-1.docker.io/example/repo", "example/repo" },
	{ "registry-1.docker.io/example/repo", "example/repo" },
	/* pkg/indexer/indexer_test.go */
	{ "https://example.com/charts/alpine-0.1.2",
	  "https://example.com/charts/alpine-0.1.2" },
	/* pkg/webhook/external/refresh_test.go */
	{ "oci://example.com/charts", "example.com/charts" },
};

/* go-containerregistry's rules, by reading pkg/name. */
static const struct row ggcr_image[] = {
	/* tags and digests are dropped */
	{ "ghcr.io/example/repo:v1.2.3", "ghcr.io/example/repo" },
	{ "busybox:latest", "busybox" },
	{ "busybox@sha256:" D64, "busybox" },
	{ "ghcr.io/x/y:v1@sha256:" D64, "ghcr.io/x/y" },
	{ "registry-1.docker.io/library/busybox:1.36", "busybox" },
	/* the whole reference is lowercased and sanitized first */
	{ "Ghcr.IO/Example/Repo", "ghcr.io/example/repo" },
	{ "Busybox", "busybox" },
	{ "  quay.io/org/repo\t", "quay.io/org/repo" },
	{ "\xEF\xBB\xBFquay.io/org/repo", "quay.io/org/repo" },
	/* a registry needs a '.' or ':' in the first segment */
	{ "localhost:5000/repo", "localhost:5000/repo" },
	{ "localhost/repo", "localhost/repo" },
	{ "[::1]:5000/repo", "[::1]:5000/repo" },
	{ "127.0.0.1:5000/a/b/c", "127.0.0.1:5000/a/b/c" },
	/* only one "library/" goes */
	{ "index.docker.io/library/library/x", "library/x" },
	{ "ghcr.io/library/x", "ghcr.io/library/x" },
	/* repositories are 2 to 255 characters of [a-z0-9_-./] */
	{ "a", AS_GIVEN },
	{ "A", AS_GIVEN },
	{ "ab", "ab" },
	{ "quay.io/org/repo:", AS_GIVEN },
	{ "quay.io/org/re po", AS_GIVEN },
	{ "quay.io/org/repo@sha256:abc", AS_GIVEN },
	{ "quay.io/org/repo@sha512:" D64 D64, AS_GIVEN },
	/* the registry must read back as its own URL host */
	{ "user@quay.io/org/repo", AS_GIVEN },
	{ "quay.io:x/org/repo", AS_GIVEN },
	{ "quay.io:/org/repo", "quay.io:/org/repo" },
	{ "quay.io%41/org/repo", AS_GIVEN },
	/* a URL is a registry "https:" and a repository starting with '/' */
	{ "https://ghcr.io/org/repo", "https://ghcr.io/org/repo" },
	{ "HTTPS://GHCR.io/org/repo", "https://ghcr.io/org/repo" },
	{ "oci://ghcr.io/org/repo", "oci://ghcr.io/org/repo" },
};

static const struct row ggcr_chart[] = {
	{ "oci://ghcr.io/org/chart", "ghcr.io/org/chart" },
	{ "oci://registry-1.docker.io/bitnamicharts/nginx", "bitnamicharts/nginx" },
	{ "OCI://GHCR.io/Org/Chart", "ghcr.io/org/chart" },
	{ "oci://ghcr.io/org/chart:1.2.3", "ghcr.io/org/chart" },
	/* NormalizeImage fails: its (lowercased) input comes back, not ours */
	{ "OCI://A", "a" },
	{ "oci://oci://x", "oci://x" },
	/* url.Parse fails: exactly as given */
	{ "  :Repo", AS_GIVEN },
	{ "oci://ghcr.io/%zz", AS_GIVEN },
};

static void run_rows(const char *what, const struct row *rows, size_t n,
	int (*fn)(char **, const char *, size_t))
{
	for (size_t i = 0; i < n; i++) {
		const char *want = rows[i].want ? rows[i].want : rows[i].in;
		char *out = NULL;
		int rc = fn(&out, rows[i].in, strlen(rows[i].in));

		CHECK_INT(rc, KW_OK);
		CHECK_MSG(out != NULL && strcmp(out, want) == 0,
			"%s(\"%s\") == \"%s\", want \"%s\"", what, rows[i].in,
			out ? out : "(null)", want);
		free(out);
	}
}

/* 250 characters parse; the digest form re-parses "library/" + 250. */
static void test_library_length(void)
{
	char name[400], *out = NULL;

	memset(name, 'x', 250);
	name[250] = '\0';
	CHECK_INT(imagenorm_image(&out, name, strlen(name)), KW_OK);
	CHECK_STR(out, name);
	free(out);
	strcat(name, "@sha256:" D64);
	CHECK_INT(imagenorm_image(&out, name, strlen(name)), KW_OK);
	CHECK_STR(out, name);
	free(out);
}

/* Bytes after a NUL are input too: SanitizeURL drops the NUL. */
static void test_embedded_nul(void)
{
	char *out = NULL;

	CHECK_INT(imagenorm_image(&out, "ab\0cd", 5), KW_OK);
	CHECK_STR(out, "abcd");
	free(out);
}

struct ok_row {
	const char *in;
	bool ok;
};

/* name.ParseReference without lowercasing (the image selector's check). */
static const struct ok_row reference_rows[] = {
	{ "busybox", true },
	{ "ghcr.io/org/repo", true },
	{ "Ghcr.io/org/repo", true }, /* registries keep their case */
	{ "ghcr.io/Org/repo", false },
	{ "invalid url", false },
	{ "a", false },
	{ "ghcr.io/org/repo:v1", true },
};

/* oras-go's registry.ParseReference (the OCI chart selector's check). */
static const struct ok_row oras_rows[] = {
	{ "ghcr.io/org/chart", true },
	{ "ghcr.io", false },
	{ "/org/chart", false },
	{ "ghcr.io/Org/chart", false },
	{ "ghcr.io/org/chart:1.0.0", true },
	{ "ghcr.io/org/chart:", true },
	{ "ghcr.io/org/chart:-x", false },
	{ "ghcr.io/org/chart@sha256:" D64, true },
	{ "ghcr.io/org/chart:1.0@sha256:" D64, true },
	{ "ghcr.io/org/chart@sha1:abc", false },
	{ "ghcr.io/org/chart@sha512:" D64 D64, true },
	{ "localhost:5000/x", true },
	{ "ghcr.io/a__b/c", true },
	{ "ghcr.io/a___b", false },
	{ "ghcr.io/a-_b", false },
	{ "ghcr.io/a--b", true },
	{ "ghcr.io/a.", false },
	{ "ghcr.io/a//b", false },
	{ "user@ghcr.io/a", false },
	{ "a/b", true }, /* any authority is a registry here */
};

static void run_ok_rows(const char *what, const struct ok_row *rows, size_t n,
	int (*fn)(bool *, const char *, size_t))
{
	for (size_t i = 0; i < n; i++) {
		bool ok = !rows[i].ok;

		CHECK_INT(fn(&ok, rows[i].in, strlen(rows[i].in)), KW_OK);
		CHECK_MSG(ok == rows[i].ok, "%s(\"%s\") == %d, want %d", what,
			rows[i].in, ok, rows[i].ok);
	}
}

int main(void)
{
	run_rows("image", kargo_image, KW_ARRAY_LEN(kargo_image), imagenorm_image);
	run_rows("chart", kargo_chart, KW_ARRAY_LEN(kargo_chart), imagenorm_chart);
	run_rows("image", ggcr_image, KW_ARRAY_LEN(ggcr_image), imagenorm_image);
	run_rows("chart", ggcr_chart, KW_ARRAY_LEN(ggcr_chart), imagenorm_chart);
	test_library_length();
	test_embedded_nul();
	run_ok_rows("reference_ok", reference_rows, KW_ARRAY_LEN(reference_rows),
		imagenorm_reference_ok);
	run_ok_rows("oci_reference_ok", oras_rows, KW_ARRAY_LEN(oras_rows),
		imagenorm_oci_reference_ok);
	TEST_DONE("test_imagenorm");
}
