/*
 * store.c: the SQLite state declared in store.h. Statements are prepared
 * once per handle; every failure is reported as KW_EIO with the database's
 * path and SQLite's message, and a failed transaction is rolled back
 * whole, so nothing already stored is lost or half-written. The file is
 * marked as ours (application_id) with its schema version (user_version)
 * and a handle remembers which file it opened, so a file removed or
 * replaced under a running server is noticed (store_check_file).
 */
#include "store.h"

#include "kw.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "KWhk": PRAGMA application_id of every kargo-webhooks database. */
#define APP_ID 0x4b57686b
/* PRAGMA user_version: the schema below. Version 1 is the first with an
 * application_id; a database without one but with our tables is from
 * before and is adopted as it is (same tables). */
#define SCHEMA_VERSION 1

#define SCHEMA \
	"CREATE TABLE IF NOT EXISTS refresh (" \
	" kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL," \
	" token TEXT NOT NULL, PRIMARY KEY (kind, namespace, name)" \
	") WITHOUT ROWID;" \
	"CREATE TABLE IF NOT EXISTS delivery (" \
	" id INTEGER PRIMARY KEY, time TEXT NOT NULL, receiver TEXT NOT NULL," \
	" event TEXT NOT NULL, request_id TEXT, attempt INTEGER NOT NULL," \
	" status INTEGER NOT NULL, answer TEXT NOT NULL," \
	" refreshed TEXT NOT NULL, duration_ms REAL NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS delivery_request ON delivery (request_id);" \
	"CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, time TEXT);"

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_PUT_REFRESH, ST_PUT_DELIVERY,
	ST_TRIM, ST_GET_REFRESH, ST_LIST, ST_FIND, ST_PROBE, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PUT_REFRESH] = "INSERT INTO refresh (kind, namespace, name, token)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kind, namespace, name)"
		" DO UPDATE SET token = excluded.token",
	[ST_PUT_DELIVERY] = "INSERT INTO delivery (time, receiver, event,"
		" request_id, attempt, status, answer, refreshed, duration_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_TRIM] = "DELETE FROM delivery WHERE id <= ?1",
	[ST_GET_REFRESH] = "SELECT token FROM refresh"
		" WHERE kind = ?1 AND namespace = ?2 AND name = ?3",
	[ST_LIST] = "SELECT id, time, receiver, event, request_id, attempt,"
		" status, answer, refreshed, duration_ms FROM delivery"
		" WHERE ?2 IS NULL OR substr(receiver, 1, length(?2) + 1) = ?2 || '/'"
		" ORDER BY id DESC LIMIT ?1",
	[ST_PROBE] = "INSERT OR REPLACE INTO probe (id, time)"
		" VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
	[ST_FIND] = "SELECT status, answer FROM delivery WHERE request_id = ?1"
		" AND receiver = ?2 AND status BETWEEN 200 AND 299"
		" ORDER BY id DESC LIMIT 1",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	bool read_only;
	dev_t dev; /* the file opened, to notice it being replaced */
	ino_t ino;
	char *path;
};

static int db_err(struct store *st, struct kw_err *err, const char *what)
{
	return kw_errf(err, KW_EIO, "state database %s: %s: %s", st->path, what,
		sqlite3_errmsg(st->db));
}

/* One integer from a PRAGMA or a query; -1 when it cannot be read. */
static long long query_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * Refuses a database that is not ours or is newer than this program, and
 * marks a new or pre-version-1 one (writable handles only). A file with no
 * application_id is ours when it is empty or holds our delivery table.
 */
static int check_identity(struct store *st, struct kw_err *err)
{
	long long app = query_int(st, "PRAGMA application_id");
	long long version = query_int(st, "PRAGMA user_version");
	long long tables = query_int(st, "SELECT count(*) FROM sqlite_master");
	long long ours = query_int(st, "SELECT count(*) FROM sqlite_master"
		" WHERE type = 'table' AND name = 'delivery'");
	char sql[96];

	if (app < 0 || version < 0 || tables < 0)
		return db_err(st, err, "cannot read");
	if (app != APP_ID && (app != 0 || (tables > 0 && ours != 1)))
		return kw_errf(err, KW_EIO, "state database %s: not a kargo-webhooks "
			"database (application_id %lld, %lld table(s)); refusing to use it",
			st->path, app, tables);
	if (version > SCHEMA_VERSION)
		return kw_errf(err, KW_EIO, "state database %s: schema version %lld is "
			"newer than this program's (%d); use a newer kargo-webhooks",
			st->path, version, SCHEMA_VERSION);
	if (st->read_only || (app == APP_ID && version == SCHEMA_VERSION))
		return KW_OK;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
		APP_ID, SCHEMA_VERSION);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(st, err, "marking the database");
	return KW_OK;
}

static int prepare(struct store *st, struct kw_err *err)
{
	for (int i = 0; i < ST_COUNT; i++) {
		if (st->read_only && (i == ST_PUT_REFRESH || i == ST_PUT_DELIVERY ||
		    i == ST_TRIM || i == ST_PROBE))
			continue;
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->st[i], NULL) != SQLITE_OK)
			return db_err(st, err, "prepare");
	}
	return KW_OK;
}

static int setup(struct store *st, struct kw_err *err)
{
	char *msg = NULL;
	const char *sql = st->read_only ? "PRAGMA query_only = 1;" :
		"PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		" PRAGMA foreign_keys = ON;" SCHEMA;

	/* Only another process can hold the write lock (we have one writer);
	 * waiting long for it only delays the 503 that makes Bitbucket retry. */
	sqlite3_busy_timeout(st->db, 1000);
	if (check_identity(st, err) != KW_OK)
		return KW_EIO;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		kw_errf(err, KW_EIO, "state database %s: %s", st->path,
			msg ? msg : "setup failed");
		sqlite3_free(msg);
		return KW_EIO;
	}
	return prepare(st, err);
}

int store_open(struct store **out, const char *path, bool read_only,
	struct kw_err *err)
{
	struct store *st = calloc(1, sizeof(*st));
	int flags = read_only ? SQLITE_OPEN_READONLY :
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	struct stat sb;
	int rc;

	*out = NULL;
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		free(st);
		return KW_ENOMEM;
	}
	st->read_only = read_only;
	flags |= SQLITE_OPEN_NOMUTEX;
	/* SQLite's own message for a missing file says neither which nor why. */
	if (read_only && stat(path, &sb) != 0) {
		rc = kw_errf(err, KW_EIO, "state database %s: %s", path, strerror(errno));
		store_close(st);
		return rc;
	}
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		rc = kw_errf(err, KW_EIO, "state database %s: %s", path,
			st->db ? sqlite3_errmsg(st->db) : "cannot open");
		store_close(st);
		return rc;
	}
	rc = setup(st, err);
	if (rc == KW_OK && stat(path, &sb) != 0)
		rc = kw_errf(err, KW_EIO, "state database %s: %s", path, strerror(errno));
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	if (rc != KW_OK) {
		store_close(st);
		return rc;
	}
	*out = st;
	return KW_OK;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->st[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int store_check_file(const struct store *st, struct kw_err *err)
{
	struct stat sb;

	if (stat(st->path, &sb) != 0)
		return kw_errf(err, KW_EIO, "state database %s was removed (%s)",
			st->path, strerror(errno));
	if (sb.st_dev != st->dev || sb.st_ino != st->ino)
		return kw_errf(err, KW_EIO, "state database %s was replaced by another file",
			st->path);
	return KW_OK;
}

const char *store_path(const struct store *st)
{
	return st->path;
}

/* Runs a statement expected to return no rows, then resets it. */
static int step_done(struct store *st, enum stmt_id id, struct kw_err *err,
	const char *what)
{
	int rc = sqlite3_step(st->st[id]);

	sqlite3_reset(st->st[id]);
	sqlite3_clear_bindings(st->st[id]);
	if (rc != SQLITE_DONE)
		return db_err(st, err, what);
	return KW_OK;
}

int store_begin(struct store *st, struct kw_err *err)
{
	return step_done(st, ST_BEGIN, err, "begin");
}

int store_commit(struct store *st, struct kw_err *err)
{
	int rc = step_done(st, ST_COMMIT, err, "commit");

	if (rc != KW_OK)
		store_rollback(st);
	return rc;
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		step_done(st, ST_ROLLBACK, NULL, "rollback");
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

int store_put_refresh(struct store *st, const char *kind,
	const char *namespace, const char *name, const char *token,
	struct kw_err *err)
{
	sqlite3_stmt *s = st->st[ST_PUT_REFRESH];

	bind_text(s, 1, kind);
	bind_text(s, 2, namespace);
	bind_text(s, 3, name);
	bind_text(s, 4, token);
	return step_done(st, ST_PUT_REFRESH, err, "refresh");
}

int store_put_delivery(struct store *st, const struct delivery_rec *d,
	size_t keep, struct kw_err *err)
{
	sqlite3_stmt *s = st->st[ST_PUT_DELIVERY];
	sqlite3_int64 id;
	int rc;

	bind_text(s, 1, d->time);
	bind_text(s, 2, d->receiver);
	bind_text(s, 3, d->event);
	bind_text(s, 4, d->request_id);
	sqlite3_bind_int(s, 5, d->attempt);
	sqlite3_bind_int(s, 6, d->status);
	bind_text(s, 7, d->answer ? d->answer : "");
	bind_text(s, 8, d->refreshed ? d->refreshed : "");
	sqlite3_bind_double(s, 9, d->duration_ms);
	rc = step_done(st, ST_PUT_DELIVERY, err, "delivery");
	if (rc != KW_OK)
		return rc;
	id = sqlite3_last_insert_rowid(st->db);
	/* Trim in steps of 64 rows so the delete runs rarely. */
	if (keep > 0 && (sqlite3_int64)keep < id && id % 64 == 0) {
		sqlite3_bind_int64(st->st[ST_TRIM], 1, id - (sqlite3_int64)keep);
		rc = step_done(st, ST_TRIM, err, "trim");
	}
	return rc;
}

int store_get_refresh(struct store *st, const char *kind,
	const char *namespace, const char *name, char **token,
	struct kw_err *err)
{
	sqlite3_stmt *s = st->st[ST_GET_REFRESH];
	int rc, out = KW_OK;

	*token = NULL;
	bind_text(s, 1, kind);
	bind_text(s, 2, namespace);
	bind_text(s, 3, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*token = strdup((const char *)sqlite3_column_text(s, 0));
		if (*token == NULL)
			out = KW_ENOMEM;
	} else if (rc != SQLITE_DONE) {
		out = db_err(st, err, "read refresh");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return out;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int store_list_deliveries(struct store *st, size_t limit,
	const char *project,
	void (*fn)(const struct delivery_rec *d, void *arg), void *arg,
	struct kw_err *err)
{
	sqlite3_stmt *s = st->st[ST_LIST];
	int rc;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)limit);
	bind_text(s, 2, project);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct delivery_rec d = {
			.id = sqlite3_column_int64(s, 0),
			.time = col_text(s, 1),
			.receiver = col_text(s, 2),
			.event = col_text(s, 3),
			.request_id = col_text(s, 4),
			.attempt = sqlite3_column_int(s, 5),
			.status = sqlite3_column_int(s, 6),
			.answer = col_text(s, 7),
			.refreshed = col_text(s, 8),
			.duration_ms = sqlite3_column_double(s, 9),
		};
		fn(&d, arg);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return db_err(st, err, "list deliveries");
	return KW_OK;
}

int store_find_delivery(struct store *st, const char *receiver,
	const char *request_id, bool *found, int *status, char **answer,
	struct kw_err *err)
{
	sqlite3_stmt *s = st->st[ST_FIND];
	int rc, out = KW_OK;

	*found = false;
	*answer = NULL;
	bind_text(s, 1, request_id);
	bind_text(s, 2, receiver);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*status = sqlite3_column_int(s, 0);
		*answer = strdup(col_text(s, 1));
		if (*answer == NULL)
			out = KW_ENOMEM;
		else
			*found = true;
	} else if (rc != SQLITE_DONE) {
		out = db_err(st, err, "find delivery");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return out;
}

int store_probe(struct store *st, struct kw_err *err)
{
	int rc = store_begin(st, err);

	if (rc == KW_OK)
		rc = step_done(st, ST_PROBE, err, "probe");
	if (rc == KW_OK)
		return store_commit(st, err);
	store_rollback(st);
	return rc;
}

int store_set_sync(struct store *st, bool full, struct kw_err *err)
{
	const char *sql = full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";

	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(st, err, "synchronous");
	return KW_OK;
}

int store_check(struct store *st, struct kw_err *err)
{
	sqlite3_stmt *s;
	int rc = KW_OK;

	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
		return db_err(st, err, "integrity check");
	if (sqlite3_step(s) != SQLITE_ROW || strcmp(col_text(s, 0), "ok") != 0)
		rc = kw_errf(err, KW_EIO, "state database %s: integrity check failed", st->path);
	sqlite3_finalize(s);
	return rc;
}
