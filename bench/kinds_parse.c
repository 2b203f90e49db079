/*
 * kinds_parse.c: `make bench-kinds`: the cost of each receiver kind's
 * parse (Go-semantics decoding, URL normalization, the event's lists) on
 * the real payloads of tests/fixtures/, beside Bitbucket's. The rest of a
 * request (HTTP, HMAC, matching, the commit) is the same for every kind.
 * Prints microseconds per parse and nanoseconds per body byte.
 */
#include "headers.h"
#include "kw.h"
#include "receiver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ITERATIONS 20000

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)len + 1)) == NULL ||
	    fread(b, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "kinds_parse: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*n = (size_t)len;
	return b;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void run(const struct receiver_ops *ops, const char *field,
	const char *value, const char *file)
{
	const char *kv[2] = { field, value };
	struct header_pairs pairs = { kv, 1 };
	struct header_lookup h = header_pairs_lookup(&pairs);
	size_t n;
	char *body = slurp(file, &n);
	double t0 = now(), dt;

	for (int i = 0; i < ITERATIONS; i++) {
		struct event ev = { 0 };
		struct kw_err err;

		if (ops->parse(&ev, &h, body, n, &err) != KW_OK) {
			fprintf(stderr, "kinds_parse: %s: %s\n", file, err.msg);
			exit(1);
		}
		event_clear(&ev);
	}
	dt = (now() - t0) / ITERATIONS;
	printf("%-10s %-47s %6zu B %7.2f us/parse %5.2f ns/B\n", ops->name,
		strrchr(file, '/') + 1, n, dt * 1e6, dt * 1e9 / (double)n);
	free(body);
}

int main(void)
{
	run(&receiver_bitbucket, "X-Event-Key", "repo:push",
		"tests/fixtures/bitbucket/cloud-repo-push-branch-create-jenkins-bbs.json");
	run(&receiver_bitbucket, "X-Event-Key", "repo:push",
		"tests/fixtures/bitbucket/cloud-repo-push-branch-update-go-scm.json");
	run(&receiver_github, "X-GitHub-Event", "push",
		"tests/fixtures/github/push-go-playground.json");
	run(&receiver_github, "X-GitHub-Event", "pull_request",
		"tests/fixtures/github/pull-request-go-playground.json");
	run(&receiver_gitlab, "X-Gitlab-Event", "Push Hook",
		"tests/fixtures/gitlab/push-hook-go-playground.json");
	run(&receiver_gitea, "X-Gitea-Event", "push",
		"tests/fixtures/gitea/push-go-playground.json");
	run(&receiver_azure, "User-Agent", "VSServices/16.255",
		"tests/fixtures/azure/git.push-go-playground.json");
	run(&receiver_dockerhub, "Content-Type", "application/json",
		"tests/fixtures/dockerhub/no-tag-public-repository-jenkins-dockerhub.json");
	run(&receiver_dockerhub, "Content-Type", "application/json",
		"tests/fixtures/dockerhub/docs-example-latest-go-playground.json");
	run(&receiver_quay, "Content-Type", "application/json",
		"tests/fixtures/quay/docs-repository-push-redhat.json");
	run(&receiver_harbor, "Content-Type", "application/json",
		"tests/fixtures/harbor/docs-push-artifact-latest-goharbor.json");
	run(&receiver_artifactory, "Content-Type", "application/json",
		"tests/fixtures/artifactory/kargo-push-image-path-prefix.json");
	run(&receiver_azure, "User-Agent", "AzureContainerRegistry/1.0",
		"tests/fixtures/azure-acr/push-v1-jenkins-dockerhub.json");
	return 0;
}
