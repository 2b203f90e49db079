/*
 * receiver.h: the receiver-kind seam. A kind (bitbucket, github, gitlab,
 * ...) is one table of operations: the path segment and Secret key Kargo
 * uses for it, the header fields it reads, how it authenticates, and how
 * its bodies turn into a neutral event. handler.c drives every kind through
 * this table in one order (authenticate, recognize a retried delivery,
 * parse, match, refresh) and maps every outcome to a status and body; a
 * kind's file says what, never how to answer. One file per kind lives in
 * src/receivers/.
 */
#ifndef RECEIVER_H
#define RECEIVER_H

#include <stdbool.h>
#include <stddef.h>

struct header_lookup;
struct kw_err;

/* What a delivery asks for, whatever sent it. */
enum event_kind {
	EVENT_PUSH = 0, /* refresh the Warehouses subscribed to urls whose
	                   selection matches refs (and paths) */
	EVENT_PR,       /* refresh the Running Promotions waiting on urls[0] */
	EVENT_PING,     /* answer the kind's ping message */
	EVENT_IGNORED,  /* a known event asking for nothing: 200 {} */
};

/* Why an event is refused (KW_EUNSUPPORTED from parse). */
enum event_refusal {
	REFUSE_EVENT = 0, /* "event type <name> is not supported" */
	REFUSE_SOURCE,    /* the sender is not one the kind serves (azure) */
	REFUSE_CUSTOM,    /* the kind's own words: {"error": error} with status
	                     (harbor's "unsupported event type", artifactory's
	                     501s and 400s) */
};

/*
 * A parsed delivery. The strings live in block, which parse allocated
 * and event_clear() releases. Lists hold no duplicates, and no empty
 * strings but in paths (Kargo keeps an empty file name too).
 */
struct event {
	enum event_kind kind;
	char *const *urls;  /* PUSH: normalized repository URLs; PR: the PR's URL */
	size_t n_urls;
	char *const *refs;  /* PUSH: refs or tags ("refs/heads/main") */
	size_t n_refs;
	/* PUSH: the changed files, sorted; none when the sender did not list
	 * every one, and then subscriptions' path filters do not apply. */
	char *const *paths;
	size_t n_paths;
	enum event_refusal refusal; /* KW_EUNSUPPORTED */
	int status;        /* REFUSE_CUSTOM: the answer's status */
	const char *error; /* REFUSE_CUSTOM: the message (in block, or static) */
	/* In: the receiver's configured option, set by the handler before
	 * parse (artifactory's virtualRepoName); NULL when none. */
	const char *option;
	const char *name; /* the event type when the body names it (in block) */
	void *block;
	void (*release)(void *block);
};

/* Releases what ev holds and zeroes it; accepts a zeroed event. */
void event_clear(struct event *ev);

/* How a request's authentication came out. */
enum auth_result {
	AUTH_OK = 0,
	AUTH_MISSING,    /* 401 {"error":"missing signature"} */
	AUTH_WRONG,      /* 401 {"error":"unauthorized"} */
	AUTH_WRONG_BARE, /* 401 {} (gitlab's token) */
	AUTH_MISSING_AUTHORIZATION, /* 401 {"error":"missing authorization"} (harbor) */
	AUTH_REPEATED,   /* 400: the field came more than once */
};

struct receiver_ops;

/* What authenticate sees of a request. */
struct auth_input {
	const struct receiver_ops *ops;
	const struct header_lookup *headers;
	const unsigned char *key; /* the Secret's value under ops->secret_key */
	size_t key_len;
	const char *body;
	size_t body_len;
};

struct receiver_ops {
	const char *name;       /* the config field and URL path segment */
	const char *secret_key; /* the Secret's data key: URL hash and auth */
	const char *event_header;     /* names the event; NULL: the body does */
	const char *auth_header;      /* what authenticate reads; NULL: none */
	const char *delivery_headers[3]; /* a delivery's id: the first present
	                                    (NULL-terminated) */
	const char *attempt_header;   /* the sender's retry count; NULL: none */
	/* [beyond] An event answered {"msg":"pong"} before authentication
	 * (Bitbucket Data Center's unsigned "Test connection"); NULL: none. */
	const char *pong_event;
	const char *ping_msg;   /* the answer to EVENT_PING */
	int unsupported_status; /* REFUSE_EVENT's status: 400, or gitea's 501 */
	enum auth_result (*authenticate)(const struct auth_input *in);
	/*
	 * Pure: the body and headers to an event. KW_OK with *out filled;
	 * KW_EUNSUPPORTED (out->refusal, out->name when the body names the
	 * event); KW_EINVAL (with err) for a body Kargo's decoder refuses;
	 * KW_ENOMEM. *out needs event_clear() whatever the result.
	 */
	int (*parse)(struct event *out, const struct header_lookup *h,
		const char *body, size_t len, struct kw_err *err);
};

/* The kind configured as name ("bitbucket"), or NULL when not served. */
const struct receiver_ops *receiver_find(const char *name);

/* Every served kind, in the order `receivers` lists them. */
const struct receiver_ops *const *receiver_all(size_t *n);

/* Authentication schemes kinds share (src/receivers/auth.c). */
enum auth_result auth_none(const struct auth_input *in);
/* "sha256=<hex HMAC-SHA256 of the body>" in ops->auth_header, once. */
enum auth_result auth_hmac_sha256(const struct auth_input *in);
/* ops->auth_header equals the secret (gitlab: 401 {} otherwise). */
enum auth_result auth_token(const struct auth_input *in);

/* The kinds (one file each under src/receivers/). */
extern const struct receiver_ops receiver_bitbucket;
extern const struct receiver_ops receiver_github;
extern const struct receiver_ops receiver_gitlab;
extern const struct receiver_ops receiver_gitea;
extern const struct receiver_ops receiver_azure;
extern const struct receiver_ops receiver_dockerhub;
extern const struct receiver_ops receiver_quay;
extern const struct receiver_ops receiver_harbor;
extern const struct receiver_ops receiver_artifactory;
/* Its requests run its configured actions (generic.h), not parse. */
extern const struct receiver_ops receiver_generic;

/* GitHub's package and registry_package events (type is the event),
 * parsed as receiver_ops.parse does (receivers/github_package.c). */
int github_package(struct event *out, const char *type, const char *body,
	size_t len, struct kw_err *err);

#endif
