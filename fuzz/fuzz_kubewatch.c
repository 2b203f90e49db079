/*
 * fuzz_kubewatch.c: libFuzzer target for the watch framer and event
 * parser (kube_frame.c). The first byte picks a piece size; the rest is a
 * stream. Fed whole and fed in pieces, the stream must give the same lines
 * and the same end (a line over the bound fails both ways at the same
 * place); every line is parsed as an event.
 */
#include "kube_frame.h"
#include "kw.h"
#include "strbuf.h"

#include <cjson/cJSON.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_line(void *arg, const char *line, size_t len)
{
	struct strbuf *out = arg;
	cJSON *ev = NULL;
	const char *type = NULL;
	const cJSON *obj = NULL;

	if (len == 0 || len > MAX_LINE || memchr(line, '\n', len) != NULL)
		abort();
	if (kube_event_parse(&ev, &type, &obj, line, len) == KW_OK &&
	    (type == NULL || !cJSON_IsObject(obj)))
		abort();
	cJSON_Delete(ev);
	if (strbuf_printf(out, "%zu:", len) != KW_OK || strbuf_append(out, line, len) != KW_OK)
		abort();
	return 0;
}

static int feed(struct strbuf *out, const char *s, size_t len, size_t piece)
{
	struct kube_framer f;
	int rc = KW_OK;

	kube_framer_init(&f, MAX_LINE);
	for (size_t at = 0; at < len && rc == KW_OK; at += piece)
		rc = kube_framer_feed(&f, s + at, len - at < piece ? len - at : piece, on_line,
			out);
	kube_framer_free(&f);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf whole, cut;
	int a, b;

	if (size < 1)
		return 0;
	strbuf_init(&whole, 1u << 24);
	strbuf_init(&cut, 1u << 24);
	a = feed(&whole, (const char *)data + 1, size - 1, size);
	b = feed(&cut, (const char *)data + 1, size - 1, (size_t)data[0] % 64 + 1);
	if (a != b || whole.len != cut.len ||
	    (whole.len > 0 && memcmp(whole.buf, cut.buf, whole.len) != 0))
		abort();
	strbuf_free(&whole);
	strbuf_free(&cut);
	return 0;
}
