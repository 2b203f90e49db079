/*
 * kube_frame.h: a watch stream's bytes into events. The API server writes
 * one JSON event per line (never pretty-printed), but chunks and reads cut
 * the stream anywhere, so lines are reassembled here, pure and bounded:
 * bytes in, complete lines out, and one line into (type, object).
 */
#ifndef KUBE_FRAME_H
#define KUBE_FRAME_H

#include "strbuf.h"

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* The longest event accepted (Kubernetes objects are at most ~1.5 MiB in
 * etcd; a longer line is a broken stream, not an event). */
#define KUBE_FRAME_MAX ((size_t)16 << 20)

struct kube_framer {
	struct strbuf part; /* the unfinished line */
	bool failed;        /* a line was over the bound: nothing more is framed */
};

/* max: the longest line; 0 means KUBE_FRAME_MAX. */
void kube_framer_init(struct kube_framer *f, size_t max);

/*
 * Feeds len bytes. Calls on_line(arg, line, len) for each complete line,
 * without its "\n" (and a "\r" before it); blank lines are skipped. line
 * is borrowed and not NUL-terminated. Returns KW_OK, KW_ETOOBIG when a
 * line is longer than max (the framer stays failed), KW_ENOMEM, or the
 * first non-zero value on_line returned (feeding stops there).
 */
int kube_framer_feed(struct kube_framer *f, const char *data, size_t len,
	int (*on_line)(void *arg, const char *line, size_t len), void *arg);

/* Bytes of an unfinished line (an event cut off when the stream ended). */
size_t kube_framer_pending(const struct kube_framer *f);

/* Frees the buffer; f may be initialized again. */
void kube_framer_free(struct kube_framer *f);

/*
 * One event line into *out (the parsed JSON; the caller frees it with
 * cJSON_Delete), *type (e.g. "ADDED") and *object, both borrowed from
 * *out. KW_EINVAL unless the line is {"type": string, "object": object}.
 */
int kube_event_parse(struct cJSON **out, const char **type,
	const struct cJSON **object, const char *line, size_t len);

#endif
