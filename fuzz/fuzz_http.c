/*
 * fuzz_http.c: libFuzzer target for the whole request path. The first
 * input starts the real server once (http_start on 127.0.0.1, a free
 * port, over an embedded world built from a small manifest and a state
 * file in a temporary folder); every input is then sent as raw bytes on a
 * fresh connection, the write side is shut, and the answer is read with a
 * short timeout. Whatever the bytes, the server must not crash (the
 * sanitizers watch its threads, which run in this process) and must still
 * answer GET /healthz with 200 afterwards.
 *
 * The secret of the test receiver is "fuzz-secret", so a seed can carry a
 * valid X-Hub-Signature and reach the refresh and the group commit.
 */
#include "http.h"
#include "kw.h"
#include "log.h"
#include "manifest.h"
#include "world.h"
#include "world_embedded.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char manifest[] =
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: ProjectConfig\n"
	"metadata: {name: kargo-demo, namespace: kargo-demo}\n"
	"spec:\n"
	"  webhookReceivers:\n"
	"    - name: bb\n"
	"      bitbucket: {secretRef: {name: bb-secret}}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: bb-secret, namespace: kargo-demo}\n"
	"stringData: {secret: fuzz-secret}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: wh, namespace: kargo-demo}\n"
	"spec:\n"
	"  subscriptions:\n"
	"    - git: {repoURL: \"https://bitbucket.org/acme/app\", branch: main}\n";

static struct {
	char dir[64];
	char manifest_path[128];
	char state_path[128];
	const char *paths[1];
	struct world_embedded_options wo;
	struct world *world;
	struct http_server *http;
	unsigned port;
} g;

static void stop_server(void)
{
	char path[160];

	http_stop(g.http, 0);
	world_free(g.world);
	unlink(g.manifest_path);
	unlink(g.state_path);
	snprintf(path, sizeof(path), "%s-wal", g.state_path);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", g.state_path);
	unlink(path);
	rmdir(g.dir);
}

static void start_server(void)
{
	struct diag_list dl = { 0 };
	struct kw_err err = { "" };
	struct http_options ho = {
		.host = "127.0.0.1", .threads = 2, .max_connections = 256,
		.max_per_ip = 0, .idle_timeout = 2, .header_limit = 16384,
	};
	FILE *f;

	log_setup(LOG_ERROR, false);
	snprintf(g.dir, sizeof(g.dir), "/tmp/kw-fuzz-http-XXXXXX");
	if (mkdtemp(g.dir) == NULL)
		abort();
	snprintf(g.manifest_path, sizeof(g.manifest_path), "%s/m.yaml", g.dir);
	snprintf(g.state_path, sizeof(g.state_path), "%s/state.db", g.dir);
	f = fopen(g.manifest_path, "w");
	if (f == NULL || fputs(manifest, f) < 0 || fclose(f) != 0)
		abort();
	g.paths[0] = g.manifest_path;
	g.wo = (struct world_embedded_options){
		.manifest_paths = g.paths, .n_manifest_paths = 1,
		.state_path = g.state_path,
		.snap = { .base_url = "http://localhost:8080",
			.system_namespace = "kargo-system-resources" },
		.deliveries_keep = 1000, .queue_max = 1024, .watch = false,
	};
	if (world_embedded_new(&g.world, &g.wo, &dl, &err) != KW_OK) {
		fprintf(stderr, "fuzz_http: world: %s\n", err.msg);
		abort();
	}
	diag_clear(&dl);
	if (http_start(&g.http, g.world, &ho, &err) != KW_OK) {
		fprintf(stderr, "fuzz_http: http: %s\n", err.msg);
		abort();
	}
	g.port = http_port(g.http);
	atexit(stop_server);
}

/* A connection to the server. Closing it sends a reset (linger 0), which
 * also ends the server's TIME_WAIT: thousands of connections a second
 * would otherwise use up the loopback's ephemeral ports. */
static int connect_server(void)
{
	struct sockaddr_in sa = { 0 };
	struct timeval tv = { 2, 0 };
	struct linger lg = { 1, 0 };

	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)g.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int tries = 0; tries < 200; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			abort();
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		usleep(10 * 1000); /* no free local port yet */
	}
	fprintf(stderr, "fuzz_http: the server stopped accepting\n");
	abort();
}

/* Sends data, shuts the write side, reads the answer into out (at most
 * cap bytes kept). Returns the bytes kept. */
static size_t exchange(const uint8_t *data, size_t size, char *out, size_t cap)
{
	int fd = connect_server();
	size_t off = 0, kept = 0;
	char buf[4096];
	ssize_t n;

	while (off < size) {
		n = send(fd, data + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break; /* the server answered early and closed */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	/* A keep-alive connection stays open after its answers; the receive
	 * timeout ends the wait. The write side is shut, so the server sees
	 * the end of the input (a refresh that waits for the disk is closed
	 * unanswered then: libmicrohttpd drops a half-closed suspended
	 * connection on resume; the refresh itself still runs). */
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		size_t take = (size_t)n < cap - kept ? (size_t)n : cap - kept;

		memcpy(out + kept, buf, take);
		kept += take;
	}
	close(fd);
	return kept;
}

static void check_healthy(void)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
		"Connection: close\r\n\r\n";
	static const char want[] = "HTTP/1.1 200 ";
	char out[512];
	size_t n = 0;

	/* The fuzzer opens connections faster than the server reaps the
	 * reset ones, so a check may meet the connection limit (refused, and
	 * reset before its answer is read). Only a server that stays silent
	 * for a second is broken. */
	for (int tries = 0; tries < 20; tries++) {
		n = exchange((const uint8_t *)req, sizeof(req) - 1, out, sizeof(out));
		if (n >= sizeof(want) - 1 && memcmp(out, want, sizeof(want) - 1) == 0)
			return;
		usleep(50 * 1000);
	}
	fprintf(stderr, "fuzz_http: /healthz answered %.*s\n", (int)n, out);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[1024];
	size_t n;

	if (g.http == NULL)
		start_server();
	n = exchange(data, size, out, sizeof(out));
	/* Whatever came back is an HTTP/1.x answer, or nothing at all. */
	if (n > 0 && (n < 9 || memcmp(out, "HTTP/1.", 7) != 0)) {
		fprintf(stderr, "fuzz_http: not an HTTP answer: %.*s\n", (int)n, out);
		abort();
	}
	check_healthy();
	return 0;
}
