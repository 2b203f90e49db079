/* Tests src/store.c: refresh upserts, the delivery log and its retention,
 * duplicate lookup, rollback, read-only opening, the database's identity
 * (application_id, user_version) and noticing a removed or replaced file. */
#include "kw.h"
#include "store.h"
#include "test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/kw-store-XXXXXX";
static char path[256];

/* The rows listed: how many, and the oldest id (rows come newest first). */
struct listed {
	size_t n;
	int64_t last;
};

static void count_row(const struct delivery_rec *d, void *arg)
{
	struct listed *l = arg;

	CHECK(d->id < l->last || l->last == 0);
	l->last = d->id;
	l->n++;
}

static struct delivery_rec rec(const char *id, int status)
{
	struct delivery_rec d = { 0 };

	d.time = "2026-01-01T00:00:00Z";
	d.receiver = "p/r";
	d.event = "repo:push";
	d.request_id = id;
	d.attempt = 1;
	d.status = status;
	d.answer = "{\"msg\":\"refreshed 1 warehouse(s)\"}\n";
	d.refreshed = "Warehouse p/w";
	return d;
}

static void test_refresh(struct store *st)
{
	struct kw_err err;
	char *tok = NULL;

	CHECK_INT(store_begin(st, &err), KW_OK);
	CHECK_INT(store_put_refresh(st, "Warehouse", "p", "w", "t1", &err), KW_OK);
	CHECK_INT(store_put_refresh(st, "Warehouse", "p", "w", "t2", &err), KW_OK);
	CHECK_INT(store_commit(st, &err), KW_OK);
	CHECK_INT(store_get_refresh(st, "Warehouse", "p", "w", &tok, &err), KW_OK);
	CHECK_STR(tok, "t2");
	free(tok);
	CHECK_INT(store_get_refresh(st, "Warehouse", "p", "nope", &tok, &err), KW_OK);
	CHECK(tok == NULL);
	/* A rolled-back transaction leaves the stored value alone. */
	CHECK_INT(store_begin(st, &err), KW_OK);
	CHECK_INT(store_put_refresh(st, "Warehouse", "p", "w", "t3", &err), KW_OK);
	store_rollback(st);
	CHECK_INT(store_get_refresh(st, "Warehouse", "p", "w", &tok, &err), KW_OK);
	CHECK_STR(tok, "t2");
	free(tok);
}

static void test_deliveries(struct store *st)
{
	struct kw_err err;
	struct delivery_rec d;
	struct listed l = { 0, 0 };
	bool found;
	int status = 0;
	char *answer = NULL;

	CHECK_INT(store_begin(st, &err), KW_OK);
	for (int i = 0; i < 300; i++) {
		d = rec(i == 5 ? "dup" : NULL, 200);
		CHECK_INT(store_put_delivery(st, &d, 100, &err), KW_OK);
	}
	d = rec("bad", 401);
	CHECK_INT(store_put_delivery(st, &d, 100, &err), KW_OK);
	CHECK_INT(store_commit(st, &err), KW_OK);
	CHECK_INT(store_list_deliveries(st, 1000, NULL, count_row, &l, &err), KW_OK);
	/* Retention trims in steps of 64 rows: the newest keep (100) rows
	 * always remain, and at most keep + 63; ids 1..301 were written. */
	CHECK_MSG(l.n >= 100 && l.n <= 100 + 63, "%zu rows kept", l.n);
	CHECK_INT(l.last, 301 - (int64_t)l.n + 1);
	CHECK_INT(store_find_delivery(st, "p/r", "bad", &found, &status, &answer, &err), KW_OK);
	CHECK(!found);
	d = rec("ok-1", 200);
	CHECK_INT(store_begin(st, &err), KW_OK);
	CHECK_INT(store_put_delivery(st, &d, 100, &err), KW_OK);
	CHECK_INT(store_commit(st, &err), KW_OK);
	CHECK_INT(store_find_delivery(st, "other/r", "ok-1", &found, &status, &answer, &err), KW_OK);
	CHECK(!found);
	CHECK_INT(store_find_delivery(st, "p/r", "ok-1", &found, &status, &answer, &err), KW_OK);
	CHECK(found);
	CHECK_INT(status, 200);
	CHECK_STR(answer, "{\"msg\":\"refreshed 1 warehouse(s)\"}\n");
	free(answer);
	CHECK_INT(store_check(st, &err), KW_OK);
}

static void test_read_only(void)
{
	struct store *ro = NULL;
	struct kw_err err;
	char *tok = NULL;

	CHECK_INT(store_open(&ro, path, true, &err), KW_OK);
	CHECK_INT(store_get_refresh(ro, "Warehouse", "p", "w", &tok, &err), KW_OK);
	CHECK_STR(tok, "t2");
	free(tok);
	store_close(ro);
	CHECK_INT(store_open(&ro, "/nonexistent/dir/x.db", false, &err), KW_EIO);
	CHECK(ro == NULL);
	/* Read-only never creates: a missing file is an error naming it. */
	CHECK_INT(store_open(&ro, "/nonexistent/x.db", true, &err), KW_EIO);
	CHECK(ro == NULL);
	CHECK_MSG(strstr(err.msg, "/nonexistent/x.db") && strstr(err.msg, "No such file"),
		"%s", err.msg);
}

/* Makes a database at p with raw SQL, as another program would. */
static void make_db(const char *p, const char *sql)
{
	sqlite3 *db = NULL;

	unlink(p);
	CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_identity(void)
{
	char p[300];
	struct store *st = NULL;
	struct kw_err err;

	snprintf(p, sizeof(p), "%s/other.db", dir);
	make_db(p, "CREATE TABLE users (id INTEGER)");
	CHECK_INT(store_open(&st, p, false, &err), KW_EIO);
	CHECK_MSG(strstr(err.msg, p) && strstr(err.msg, "not a kargo-webhooks database"),
		"foreign tables: %s", err.msg);
	make_db(p, "PRAGMA application_id = 42");
	CHECK_INT(store_open(&st, p, true, &err), KW_EIO);
	CHECK_MSG(strstr(err.msg, "application_id 42") != NULL, "foreign id: %s", err.msg);
	make_db(p, "PRAGMA application_id = 1264019563; PRAGMA user_version = 99");
	CHECK_INT(store_open(&st, p, false, &err), KW_EIO);
	CHECK_MSG(strstr(err.msg, "newer") != NULL, "newer: %s", err.msg);
	/* A database from before the marks (our tables, no id) is adopted. */
	make_db(p, "CREATE TABLE refresh (kind TEXT NOT NULL, namespace TEXT NOT NULL,"
		" name TEXT NOT NULL, token TEXT NOT NULL, PRIMARY KEY (kind, namespace, name))"
		" WITHOUT ROWID; CREATE TABLE delivery (id INTEGER PRIMARY KEY, time TEXT NOT NULL,"
		" receiver TEXT NOT NULL, event TEXT NOT NULL, request_id TEXT,"
		" attempt INTEGER NOT NULL, status INTEGER NOT NULL, answer TEXT NOT NULL,"
		" refreshed TEXT NOT NULL, duration_ms REAL NOT NULL)");
	CHECK_MSG(store_open(&st, p, true, &err) == KW_OK, "read-only, as it is: %s", err.msg);
	store_close(st);
	CHECK_INT(store_open(&st, p, false, &err), KW_OK);
	store_close(st);
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *q = NULL;

		CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
		CHECK_INT(sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &q, NULL), SQLITE_OK);
		CHECK_INT(sqlite3_step(q), SQLITE_ROW);
		CHECK_INT(sqlite3_column_int64(q, 0), 0x4b57686b);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	unlink(p);
}

/* rm state.db, or a new file moved over it, is noticed. */
static void test_file_replaced(void)
{
	char p[300], q[300];
	struct store *st = NULL;
	struct kw_err err;
	FILE *f;

	snprintf(p, sizeof(p), "%s/live.db", dir);
	snprintf(q, sizeof(q), "%s/other-file", dir);
	CHECK_INT(store_open(&st, p, false, &err), KW_OK);
	if (st == NULL)
		return;
	CHECK_INT(store_check_file(st, &err), KW_OK);
	CHECK_STR(store_path(st), p);
	unlink(p);
	CHECK_INT(store_check_file(st, &err), KW_EIO);
	CHECK_MSG(strstr(err.msg, "removed") && strstr(err.msg, p), "%s", err.msg);
	f = fopen(q, "w");
	if (f != NULL)
		fclose(f);
	CHECK_INT(rename(q, p), 0);
	CHECK_INT(store_check_file(st, &err), KW_EIO);
	CHECK_MSG(strstr(err.msg, "replaced") != NULL, "%s", err.msg);
	store_close(st);
	test_unlink_db(p);
}

int main(void)
{
	struct store *st = NULL;
	struct kw_err err;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	CHECK_INT(store_open(&st, path, false, &err), KW_OK);
	if (st != NULL) {
		test_refresh(st);
		test_deliveries(st);
		store_close(st);
		test_read_only();
	}
	test_identity();
	test_file_replaced();
	test_unlink_db(path);
	rmdir(dir);
	TEST_DONE("test_store");
}
