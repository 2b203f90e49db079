/* Tests src/store.c: refresh upserts, the delivery log and its retention,
 * duplicate lookup, rollback, and read-only opening. */
#include "kw.h"
#include "store.h"
#include "test.h"

#include <stdlib.h>
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
	test_unlink_db(path);
	rmdir(dir);
	TEST_DONE("test_store");
}
