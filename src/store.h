/*
 * store.h: the embedded state in SQLite: refresh tokens (what the Kargo
 * controller would see as the kargo.akuity.io/refresh annotation) and the
 * delivery log. A store handle is used by one thread at a time; the
 * embedded world gives it to a single writer thread that batches requests
 * into one transaction (group commit). The database runs in WAL mode with
 * synchronous=FULL, so a committed transaction survives kill -9 and power
 * loss.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kw_err;
struct store;

struct delivery_rec {
	int64_t id;            /* assigned by the store */
	const char *time;      /* RFC 3339 UTC */
	const char *receiver;  /* "project/name" */
	const char *event;     /* X-Event-Key */
	const char *request_id;/* X-Request-UUID or X-Request-Id; may be NULL */
	int attempt;           /* X-Attempt-Number; 0 when absent */
	int status;            /* HTTP status answered */
	const char *answer;    /* the body answered */
	const char *refreshed; /* "Warehouse ns/name, ..." or "" */
	double duration_ms;
};

/* Opens (creating when needed) the database at path. read_only: for the
 * commands that only look; the file must exist. KW_EIO with err (naming
 * the path and the cause) when it cannot be opened, is not a kargo-webhooks
 * database (another application_id, or foreign tables) or has a newer
 * schema (user_version). A writable open marks a new database, or one from
 * before application_id existed, with both. */
int store_open(struct store **out, const char *path, bool read_only,
	struct kw_err *err);

/* KW_OK while the path still names the file this handle opened; KW_EIO
 * with err when it was removed or replaced (rm state.db*, mv): writes would
 * go to a file nobody will read again. One stat(2). */
int store_check_file(const struct store *st, struct kw_err *err);

/* The path the handle was opened with (borrowed). */
const char *store_path(const struct store *st);

/* Accepts NULL. */
void store_close(struct store *st);

int store_begin(struct store *st, struct kw_err *err);
int store_commit(struct store *st, struct kw_err *err);
void store_rollback(struct store *st);

/* Upserts the refresh token of one object. KW_OK or KW_EIO. */
int store_put_refresh(struct store *st, const char *kind,
	const char *namespace, const char *name, const char *token,
	struct kw_err *err);

/* Appends a delivery; keeps only the newest `keep` ones. */
int store_put_delivery(struct store *st, const struct delivery_rec *d,
	size_t keep, struct kw_err *err);

/* The token of one object into *token (new string, free()), or NULL when
 * never refreshed. KW_OK or KW_EIO. */
int store_get_refresh(struct store *st, const char *kind,
	const char *namespace, const char *name, char **token,
	struct kw_err *err);

/* Calls fn for the newest `limit` deliveries, newest first, only those to
 * the receivers of project when it is not NULL. Strings are borrowed for
 * the duration of the call. */
int store_list_deliveries(struct store *st, size_t limit, const char *project,
	void (*fn)(const struct delivery_rec *d, void *arg), void *arg,
	struct kw_err *err);

/* The newest successful (2xx) delivery to receiver with this request id,
 * if any: *status and *answer (new string) are filled and *found set. */
int store_find_delivery(struct store *st, const char *receiver,
	const char *request_id, bool *found, int *status, char **answer,
	struct kw_err *err);

/* Writes and commits one small row: whether the state is writable now.
 * KW_OK or KW_EIO. */
int store_probe(struct store *st, struct kw_err *err);

/* How far a commit goes before it returns: FULL syncs the WAL to the disk
 * (survives power loss); NORMAL leaves it to the operating system
 * (survives the process being killed, not a power loss or kernel crash).
 * For the writer handle; KW_OK or KW_EIO. */
int store_set_sync(struct store *st, bool full, struct kw_err *err);

/* PRAGMA integrity_check == "ok". */
int store_check(struct store *st, struct kw_err *err);

#endif
