/* kube_cache.c: a Secret decoded for the cache keeps only the keys some
 * receiver kind reads (review-kube.md #3). */
#include "test.h"

#include "kube_cache.h"
#include "kw.h"
#include "objects.h"

#include <cjson/cJSON.h>
#include <string.h>

/* base64 of "s", "p", "t", "a", "k" */
static const char secret_json[] =
	"{\"metadata\":{\"name\":\"s\",\"namespace\":\"ns\"},\"type\":\"Opaque\","
	"\"data\":{\"secret\":\"cw==\",\"previous-secret\":\"cA==\",\"secret-token\":\"dA==\","
	"\"auth-header\":\"YQ==\",\"previous-secret-token\":\"dA==\","
	"\"tls.key\":\"aw==\",\"password\":\"aw==\"}}";

static void test_secret_keeps_only_read_keys(void)
{
	cJSON *item = cJSON_Parse(secret_json);
	char err[256] = "";
	struct obj_shared *sh = kube_cache_decode(item, "v1", "Secret", false, true, err, sizeof(err));
	const struct obj_secret *s;
	const unsigned char *v;
	size_t len;

	CHECK(sh != NULL && sh->set != NULL && sh->set->n_secrets == 1);
	if (sh == NULL || sh->set == NULL || sh->set->n_secrets != 1) {
		cJSON_Delete(item);
		return;
	}
	s = &sh->set->secrets[0];
	CHECK(s->has_secret && s->secret_len == 1 && s->secret[0] == 's');
	CHECK(s->has_previous && s->previous_len == 1 && s->previous[0] == 'p');
	CHECK_INT(s->n_values, 3);
	CHECK(objects_secret_value(s, "secret-token", &v, &len) && len == 1 && v[0] == 't');
	CHECK(objects_secret_value(s, "auth-header", &v, &len) && len == 1 && v[0] == 'a');
	CHECK(objects_secret_value(s, "previous-secret-token", &v, &len));
	CHECK(!objects_secret_value(s, "tls.key", &v, &len));
	CHECK(!objects_secret_value(s, "password", &v, &len));
	objects_shared_unref(sh);
	cJSON_Delete(item);
}

int main(void)
{
	test_secret_keeps_only_read_keys();
	TEST_DONE("test_kube_cache");
}
