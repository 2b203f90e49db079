/*
 * kube_frame.c: line framing of watch streams (see kube_frame.h). A line
 * that arrives whole inside one read is handed on from the read's own
 * buffer; only the pieces of a line cut by a read boundary are copied, so
 * the common case costs no copy and the worst case is bounded by max.
 */
#include "kube_frame.h"

#include "kw.h"

#include <cjson/cJSON.h>

#include <string.h>

void kube_framer_init(struct kube_framer *f, size_t max)
{
	strbuf_init(&f->part, max ? max : KUBE_FRAME_MAX);
	f->failed = false;
}

void kube_framer_free(struct kube_framer *f)
{
	strbuf_free(&f->part);
}

size_t kube_framer_pending(const struct kube_framer *f)
{
	return f->part.len;
}

static int emit(const char *line, size_t len,
	int (*on_line)(void *arg, const char *line, size_t len), void *arg)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len == 0 ? KW_OK : on_line(arg, line, len);
}

int kube_framer_feed(struct kube_framer *f, const char *data, size_t len,
	int (*on_line)(void *arg, const char *line, size_t len), void *arg)
{
	int rc = KW_OK;

	if (f->failed)
		return KW_ETOOBIG;
	while (len > 0 && rc == KW_OK) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;

		if (f->part.len > 0 || nl == NULL) {
			/* Part of a line cut by a read: collect it. A line at the
			 * bound with its "\r" still attached is over the bound. */
			rc = strbuf_append(&f->part, data, n);
			if (rc == KW_ETOOBIG)
				f->failed = true;
			if (rc == KW_OK && nl != NULL) {
				rc = emit(f->part.buf, f->part.len, on_line, arg);
				strbuf_reset(&f->part);
			}
		} else if (n > f->part.max) {
			f->failed = true;
			rc = KW_ETOOBIG;
		} else {
			rc = emit(data, n, on_line, arg);
		}
		n += nl != NULL;
		data += n;
		len -= n;
	}
	return rc;
}

int kube_event_parse(cJSON **out, const char **type, const cJSON **object,
	const char *line, size_t len)
{
	const char *end = NULL;
	cJSON *ev = cJSON_ParseWithLengthOpts(line, len, &end, false);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type");
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(ev, "object");

	*out = NULL;
	/* cJSON stops after the value: anything but blanks after it is not
	 * one event. */
	while (ev != NULL && end < line + len && (*end == ' ' || *end == '\t'))
		end++;
	if (ev == NULL || end != line + len || !cJSON_IsString(t) || !cJSON_IsObject(o)) {
		cJSON_Delete(ev);
		return KW_EINVAL;
	}
	*out = ev;
	*type = t->valuestring;
	*object = o;
	return KW_OK;
}
