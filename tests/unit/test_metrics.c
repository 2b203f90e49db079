/* Tests src/metrics.c: the exposition text line by line (requests by
 * receiver and outcome, label escaping, the cumulative histogram, the
 * refresh counter and the connections gauge), the bound on receivers
 * (past it they count as "other"), and counting from several threads. */
#include "handler.h"
#include "kw.h"
#include "metrics.h"
#include "strbuf.h"
#include "test.h"

#include <pthread.h>
#include <stdlib.h>

static char *render(void)
{
	struct strbuf sb;
	char *text;

	strbuf_init(&sb, 1u << 22);
	CHECK_INT(metrics_render(&sb), KW_OK);
	text = strndup(sb.buf ? sb.buf : "", sb.len);
	strbuf_free(&sb);
	return text;
}

/* Whether text has line as one whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define CHECK_LINE(text, line) CHECK_MSG(has_line(text, line), "no line: %s", line)

static void test_exposition(void)
{
	char *t;

	metrics_request("p/r", "bitbucket", OUTCOME_OK, 0.003);
	metrics_request("p/r", "bitbucket", OUTCOME_OK, 0.02);
	metrics_request("p/r", "bitbucket", OUTCOME_BAD_SIGNATURE, 20);
	metrics_request(NULL, NULL, OUTCOME_NOT_FOUND, 0.0001);
	metrics_request("p/\"q\\", NULL, OUTCOME_NO_MATCH, 0.0005);
	metrics_request("p/r", "bitbucket", OUTCOME_COUNT, 0.001); /* out of range: timed only */
	metrics_refreshed(3);
	metrics_refreshed(2);
	metrics_connection(1);
	metrics_connection(1);
	metrics_connection(-1);
	t = render();
	CHECK_LINE(t, "# TYPE kargo_webhooks_requests_total counter");
	CHECK_LINE(t, "kargo_webhooks_requests_total{kind=\"bitbucket\",receiver=\"p/r\",outcome=\"ok\"} 2");
	CHECK_LINE(t, "kargo_webhooks_requests_total{kind=\"bitbucket\",receiver=\"p/r\",outcome=\"bad_signature\"} 1");
	CHECK_LINE(t, "kargo_webhooks_requests_total{receiver=\"\",outcome=\"not_found\"} 1");
	CHECK_LINE(t, "kargo_webhooks_requests_total{receiver=\"p/\\\"q\\\\\",outcome=\"no_match\"} 1");
	/* Outcomes never seen are not printed. */
	CHECK(strstr(t, "outcome=\"too_large\"") == NULL);
	CHECK_LINE(t, "# TYPE kargo_webhooks_request_duration_seconds histogram");
	/* Buckets are cumulative; an observation equal to a bound is in it. */
	CHECK_LINE(t, "kargo_webhooks_request_duration_seconds_bucket{le=\"0.0005\"} 2");
	CHECK_LINE(t, "kargo_webhooks_request_duration_seconds_bucket{le=\"0.001\"} 3");
	CHECK_LINE(t, "kargo_webhooks_request_duration_seconds_bucket{le=\"0.0025\"} 3");
	CHECK_LINE(t, "kargo_webhooks_request_duration_seconds_bucket{le=\"0.005\"} 4");
	CHECK_LINE(t, "kargo_webhooks_request_duration_seconds_bucket{le=\"0.025\"} 5");
	CHECK_LINE(t, "kargo_webhooks_request_duration_seconds_bucket{le=\"10\"} 5");
	CHECK_LINE(t, "kargo_webhooks_request_duration_seconds_bucket{le=\"+Inf\"} 6");
	CHECK_LINE(t, "kargo_webhooks_request_duration_seconds_count 6");
	CHECK_LINE(t, "kargo_webhooks_request_duration_seconds_sum 20.024600");
	CHECK_LINE(t, "kargo_webhooks_refreshes_total 5");
	CHECK_LINE(t, "kargo_webhooks_open_connections 1");
	free(t);
}

/* Past 1024 receivers, further ones are counted under "other". */
static void test_label_bound(void)
{
	char name[32], *t;

	/* "p/r", "" and "p/\"q\\" hold three of the 1024 labels. */
	for (int i = 0; i < 1100; i++) {
		snprintf(name, sizeof(name), "flood/%d", i);
		metrics_request(name, NULL, OUTCOME_RATE_LIMITED, 0.001);
	}
	metrics_request("flood/0", NULL, OUTCOME_RATE_LIMITED, 0.001);
	t = render();
	CHECK_LINE(t, "kargo_webhooks_requests_total{receiver=\"flood/0\",outcome=\"rate_limited\"} 2");
	CHECK_LINE(t, "kargo_webhooks_requests_total{receiver=\"flood/1020\",outcome=\"rate_limited\"} 1");
	CHECK(strstr(t, "receiver=\"flood/1021\"") == NULL);
	CHECK_LINE(t, "kargo_webhooks_requests_total{receiver=\"other\",outcome=\"rate_limited\"} 79");
	free(t);
}

static void *count_many(void *arg)
{
	char name[32];

	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "thread/%d", i % 4);
		metrics_request(i % 2 ? name : "p/r", i % 2 ? NULL : "bitbucket", OUTCOME_ERROR, 0.01);
		metrics_refreshed(1);
	}
	return arg;
}

/* Four threads counting at once lose nothing (the new labels among them
 * land under "other": the table is full by now). */
static void test_threads(void)
{
	pthread_t th[4];
	char *t;

	for (int i = 0; i < 4; i++)
		CHECK_INT(pthread_create(&th[i], NULL, count_many, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	t = render();
	CHECK_LINE(t, "kargo_webhooks_requests_total{kind=\"bitbucket\",receiver=\"p/r\",outcome=\"error\"} 2000");
	CHECK_LINE(t, "kargo_webhooks_requests_total{receiver=\"other\",outcome=\"error\"} 2000");
	CHECK_LINE(t, "kargo_webhooks_refreshes_total 4005");
	free(t);
}

int main(void)
{
	test_exposition();
	test_label_bound();
	test_threads();
	metrics_free();
	TEST_DONE("test_metrics");
}
