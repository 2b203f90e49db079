/*
 * fuzz_generic.c: libFuzzer target for the generic receiver's request
 * path (generic.h): the input is a request body, evaluated by a receiver
 * whose actions use every kind of criterion (whenExpression over the
 * body, names, labels and index values from templates) against a few
 * Warehouses; the answer is then written with every other target failed.
 * Besides the sanitizers' findings it checks what holds for any body: an
 * accepted body yields an answer, {"results":[...]} ending in a newline,
 * whose status is 200 or 500; a refused one says "invalid request body".
 */
#include "generic.h"
#include "headers.h"
#include "manifest.h"
#include "snapshot.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char manifests[] =
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: ProjectConfig\n"
	"metadata: {name: p, namespace: p}\n"
	"spec:\n"
	"  webhookReceivers:\n"
	"  - name: g\n"
	"    generic:\n"
	"      secretRef: {name: s}\n"
	"      actions:\n"
	"      - action: Refresh\n"
	"        whenExpression: \"request.body.kind == 'push' || request.body.x in ['a', 'b']\"\n"
	"        parameters: {tier: backend}\n"
	"        targetSelectionCriteria:\n"
	"        - {kind: Warehouse, name: '${{ request.body.name }}'}\n"
	"        - kind: Warehouse\n"
	"          labelSelector:\n"
	"            matchLabels: {tier: '${{ params.tier }}'}\n"
	"            matchExpressions: [{key: app, operator: In, values: ['${{ request.body.app }}', x]}]\n"
	"        - kind: Warehouse\n"
	"          indexSelector:\n"
	"            matchIndices: [{key: subscribedURLs, operator: Equals,\n"
	"              value: '${{ normalizeGit(request.body.repository.url) }}'}]\n"
	"      - action: Refresh\n"
	"        whenExpression: 'len(request.body.list) > 1 && request.body.list[1] startsWith \"w\"'\n"
	"        targetSelectionCriteria:\n"
	"        - {kind: Warehouse, name: '${{ lower(request.body.list[1]) }}'}\n"
	"---\n"
	"{apiVersion: v1, kind: Secret, metadata: {name: s, namespace: p}, stringData: {secret: k}}\n"
	"---\n"
	"{apiVersion: kargo.akuity.io/v1alpha1, kind: Warehouse, metadata: {name: w1, namespace: p,\n"
	"  labels: {tier: backend, app: api}}, spec: {subscriptions: [{git: {repoURL: 'https://github.com/o/r'}}]}}\n"
	"---\n"
	"{apiVersion: kargo.akuity.io/v1alpha1, kind: Warehouse, metadata: {name: w2, namespace: p,\n"
	"  labels: {tier: frontend}}, spec: {subscriptions: [{image: {repoURL: nginx}}]}}\n";

static struct snapshot *snap;

static void setup(void)
{
	struct snapshot_options so = { "http://localhost:8080", "kargo-system-resources" };
	struct diag_list dl = { 0 };
	struct obj_set *set = manifest_set_new();

	if (manifest_parse(set, &dl, "f.yaml", manifests, strlen(manifests)) != KW_OK ||
	    snapshot_new(&snap, set, &so, &dl) != KW_OK || dl.n_errors > 0)
		abort();
	diag_clear(&dl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kv[] = { "X-Event-Type", "push" };
	static const struct header_pairs hp = { kv, 1 };
	struct header_lookup h = header_pairs_lookup(&hp);
	struct generic_request req = { &h, NULL, (const char *)data, size };
	const struct snap_receiver *r;
	struct generic_plan *p;
	struct strbuf sb;
	struct kw_err err;
	bool failed[8] = { false, true, false, true, false, true, false, true };
	size_t n;
	int rc, status = 0;

	if (snap == NULL)
		setup();
	r = snapshot_receivers(snap, &n);
	rc = generic_plan_new(&p, snap, r, &req, &err);
	if (rc == KW_EINVAL && strncmp(err.msg, "invalid request body: ", 22) != 0)
		abort();
	if (rc != KW_OK)
		return 0;
	generic_plan_targets(p, &n);
	if (n > 8)
		abort(); /* two Warehouses */
	strbuf_init(&sb, 1u << 20);
	if (generic_plan_answer(&sb, &status, p, failed) != KW_OK ||
	    strncmp(sb.buf, "{\"results\":[", 12) != 0 || sb.buf[sb.len - 1] != '\n' ||
	    (status != 200 && status != 500))
		abort();
	strbuf_free(&sb);
	generic_plan_free(p);
	return 0;
}
