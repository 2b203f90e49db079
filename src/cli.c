/*
 * cli.c: the command line (see cli.h and the usage texts below). Flags
 * override environment variables, which override defaults. Each command
 * is one function that wires modules together; none holds logic of its own
 * beyond printing.
 */
#include "cli.h"

#include "http.h"
#include "kw.h"
#include "log.h"
#include "manifest.h"
#include "metrics.h"
#include "output.h"
#include "proxy.h"
#include "receiver.h"
#include "receiver_url.h"
#include "signature.h"
#include "snapshot.h"
#include "snapshot_build.h"
#include "store.h"
#include "strbuf.h"
#include "world.h"
#include "world_embedded.h"
#include "world_kube.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KW_VERSION
#define KW_VERSION "0.0.0"
#endif

#define MAX_MANIFEST_ARGS 256

struct opts {
	const char *manifests[MAX_MANIFEST_ARGS];
	size_t n_manifests;
	const char *state;
	char listen_host[256];
	unsigned port;
	const char *base_url;
	const char *port_file;
	const char *log_format;
	const char *log_level;
	int output;
	const char *namespace; /* -n, as kubectl: only this namespace (project) */
	unsigned long limit;   /* --limit: how many deliveries */
	const char *secret_file;
	bool tls_enabled; /* TLS_ENABLED: then both paths are required */
	const char *tls_cert;
	const char *tls_key;
	const char *system_namespace;
	unsigned max_connections;
	unsigned max_per_ip;
	unsigned idle_timeout;
	unsigned header_timeout;
	unsigned request_timeout;
	size_t header_limit;
	size_t deliveries_keep;
	size_t queue_max;
	unsigned threads;
	bool watch;
	bool sync_normal;
	double rate_per_client;
	double rate_per_receiver;
	double rate_burst;
	struct proxy_list trusted; /* --trusted-proxy */
	char default_base[300];
	const char *kubeconfig; /* --kubeconfig or KUBECONFIG */
	bool kubeconfig_flag;   /* given as a flag (conflicts with --manifests) */
	double kube_qps;        /* KUBE_API_QPS */
	int kube_burst;         /* KUBE_API_BURST */
	unsigned grace;         /* GRACEFUL_SHUTDOWN_TIMEOUT, seconds */
};

static const char usage_main[] =
	"Usage: kargo-webhooks COMMAND [OPTIONS]\n"
	"\n"
	"A webhook receiver for Kargo, every receiver kind (bitbucket, github,\n"
	"gitlab, gitea, azure, dockerhub, quay, harbor, artifactory, generic):\n"
	"verifies each delivery and refreshes the Warehouses (and pull-request\n"
	"Promotions) it concerns, from manifests or from the Kubernetes API.\n"
	"\n"
	"Commands:\n"
	"  serve        serve the receivers (manifests or --kubeconfig)\n"
	"  receivers    list every receiver's project, name, path and URL\n"
	"  check        validate manifests; every error with file:line:column\n"
	"  get          print warehouses or promotions with their refresh annotation\n"
	"  deliveries   the most recent requests the receiver answered\n"
	"  sign         print the X-Hub-Signature header value for a body\n"
	"\n"
	"Run 'kargo-webhooks COMMAND --help' for a command's options.\n"
	"  --help       this text\n"
	"  --version    the program's version\n";

static const char usage_serve[] =
	"Usage: kargo-webhooks serve [OPTIONS]\n"
	"\n"
	"Serves every receiver of the ProjectConfigs and ClusterConfig\n"
	"in the manifests, or in the Kubernetes API (--kubeconfig; the caches\n"
	"follow it). SIGHUP, or a change to a manifest file, reloads the\n"
	"manifests (the new configuration is used only if it is valid); SIGTERM\n"
	"stops accepting, finishes requests in flight (GRACEFUL_SHUTDOWN_TIMEOUT,\n"
	"default 30s) and exits 0.\n"
	"\n"
	"  --manifests PATH      YAML or JSON file, or folder (recursive); repeatable\n"
	"  --kubeconfig FILE     serve from a Kubernetes API instead (env KUBECONFIG;\n"
	"                        in a pod, without either: the service account):\n"
	"                        list+watch caches, refreshes as merge patches;\n"
	"                        env KUBE_API_QPS (50), KUBE_API_BURST (300)\n"
	"  --state FILE          SQLite state database (default ./kargo-webhooks.db)\n"
	"  --sync full|normal    full (default): a 200 means the refresh is synced\n"
	"                        to disk; normal: it survives the process being\n"
	"                        killed but not a power loss (faster where\n"
	"                        the disk is slow to sync)\n"
	"  --listen HOST:PORT    address to listen on (env BIND_ADDRESS, PORT;\n"
	"                        default 0.0.0.0:8080); port 0 picks a free one\n"
	"  --base-url URL        the receivers' public base URL\n"
	"                        (env EXTERNAL_WEBHOOK_SERVER_BASE_URL;\n"
	"                        default http://localhost:PORT)\n"
	"  --port-file FILE      write the bound port here once serving\n"
	"  --log-format FORMAT   text (or console) or json, any case (env LOG_FORMAT;\n"
	"                        default text)\n"
	"  --log-level LEVEL     debug, info, warn or error (env LOG_LEVEL; default info)\n"
	"  --tls-cert FILE       serve HTTPS (TLS 1.2+) with this PEM certificate\n"
	"  --tls-key FILE        and key (env TLS_ENABLED=true, TLS_CERT_PATH, TLS_KEY_PATH)\n"
	"  --system-namespace NS namespace of the ClusterConfig's Secrets\n"
	"                        (env SYSTEM_RESOURCES_NAMESPACE; default kargo-system-resources)\n"
	"  --max-connections N   total open connections (default 1024)\n"
	"  --max-per-ip N        open connections per peer address (default 64);\n"
	"                        trusted proxies are exempt; 0: no cap\n"
	"  --idle-timeout SEC    close a connection idle this long (default 30)\n"
	"  --header-timeout SEC  close a connection still sending its headers\n"
	"                        after this long (default 10)\n"
	"  --request-timeout SEC close a connection still sending its request\n"
	"                        after this long (default 30)\n"
	"  --header-limit BYTES  request line and headers (default 16384)\n"
	"  --keep-deliveries N   delivery log retention in rows (default 10000)\n"
	"  --queue-max N         refreshes waiting for the disk (or, with\n"
	"                        --kubeconfig, for their patches) before answering 503\n"
	"                        (default 4096)\n"
	"  --threads N           request threads (default: one per core)\n"
	"  --rate-per-client R   unverified requests (unknown path, no or wrong\n"
	"                        signature, ping) per second per client address;\n"
	"                        verified deliveries are never refused for rate.\n"
	"                        0: no limit (default 50)\n"
	"  --rate-per-receiver R unverified requests per second per receiver\n"
	"                        (default 100)\n"
	"  --rate-burst SEC      bucket size in seconds of rate (default 10)\n"
	"  --trusted-proxy CIDR  a reverse proxy (address or CIDR; repeatable):\n"
	"                        requests from it are keyed on the right-most\n"
	"                        X-Forwarded-For address that is no trusted proxy\n"
	"  --no-watch            do not reload when manifest files change\n";

static const char usage_receivers[] =
	"Usage: kargo-webhooks receivers [--manifests PATH]... [--kubeconfig FILE]\n"
	"                                [--base-url URL]\n"
	"                                [-o table|json|yaml]\n"
	"\n"
	"Prints every receiver's project, name, kind, path and URL (what Kargo\n"
	"shows in status.webhookReceivers; project is \"\" for the ClusterConfig).\n"
	"A receiver whose Secret or key is missing is left out and reported on\n"
	"stderr; the exit status is then 1.\n"
	"  --system-namespace NS  namespace of the ClusterConfig's Secrets\n";

static const char usage_check[] =
	"Usage: kargo-webhooks check [--manifests PATH]... [--kubeconfig FILE]\n"
	"                            [--base-url URL] [--system-namespace NS]\n"
	"\n"
	"Validates the manifests (or, with --kubeconfig, the Kubernetes API's\n"
	"objects) and prints every problem as\n"
	"file:line:column: error|warning: key: message. Exit 1 when there are\n"
	"errors; a missing Secret is only a warning.\n";

static const char usage_get[] =
	"Usage: kargo-webhooks get warehouses|promotions [NAME] [--manifests PATH]...\n"
	"                          [--kubeconfig FILE]\n"
	"                          [--state FILE] [-n NAMESPACE] [-o table|json|yaml]\n"
	"\n"
	"Prints the objects as 'kubectl get -o json' would, with the\n"
	"kargo.akuity.io/refresh annotation once the receiver refreshed them.\n"
	"With NAME, only that object (exit 1 when there is none).\n";

static const char usage_deliveries[] =
	"Usage: kargo-webhooks deliveries [--state FILE] [-n NAMESPACE] [--limit N]\n"
	"                                 [-o table|json|yaml]\n"
	"\n"
	"The N most recent requests to a receiver (default 20, at most 1000000),\n"
	"newest first; with -n, only those to the receivers of that project.\n";

static const char usage_sign[] =
	"Usage: kargo-webhooks sign --secret-file FILE [BODY_FILE]\n"
	"\n"
	"Prints sha256=<hex>, the X-Hub-Signature of the body (standard input\n"
	"without BODY_FILE). The secret file's bytes are used as they are: a\n"
	"trailing newline is part of the secret.\n";

enum opt_id {
	O_MANIFESTS = 256, O_STATE, O_LISTEN, O_BASE_URL, O_PORT_FILE,
	O_LOG_FORMAT, O_LOG_LEVEL, O_SECRET_FILE, O_TLS_CERT, O_TLS_KEY,
	O_SYSTEM_NS, O_MAX_CONN, O_MAX_PER_IP, O_IDLE, O_HEADER_LIMIT,
	O_KEEP, O_QUEUE, O_THREADS, O_NO_WATCH, O_RATE_CLIENT, O_RATE_RECEIVER,
	O_RATE_BURST, O_HEADER_TIMEOUT, O_REQUEST_TIMEOUT, O_SYNC, O_LIMIT,
	O_TRUSTED_PROXY, O_KUBECONFIG,
	O_HELP,
};

static const struct option long_opts[] = {
	{ "manifests", required_argument, NULL, O_MANIFESTS },
	{ "state", required_argument, NULL, O_STATE },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "base-url", required_argument, NULL, O_BASE_URL },
	{ "port-file", required_argument, NULL, O_PORT_FILE },
	{ "log-format", required_argument, NULL, O_LOG_FORMAT },
	{ "log-level", required_argument, NULL, O_LOG_LEVEL },
	{ "secret-file", required_argument, NULL, O_SECRET_FILE },
	{ "tls-cert", required_argument, NULL, O_TLS_CERT },
	{ "tls-key", required_argument, NULL, O_TLS_KEY },
	{ "system-namespace", required_argument, NULL, O_SYSTEM_NS },
	{ "max-connections", required_argument, NULL, O_MAX_CONN },
	{ "max-per-ip", required_argument, NULL, O_MAX_PER_IP },
	{ "idle-timeout", required_argument, NULL, O_IDLE },
	{ "header-limit", required_argument, NULL, O_HEADER_LIMIT },
	{ "keep-deliveries", required_argument, NULL, O_KEEP },
	{ "queue-max", required_argument, NULL, O_QUEUE },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "no-watch", no_argument, NULL, O_NO_WATCH },
	{ "rate-per-client", required_argument, NULL, O_RATE_CLIENT },
	{ "rate-per-receiver", required_argument, NULL, O_RATE_RECEIVER },
	{ "rate-burst", required_argument, NULL, O_RATE_BURST },
	{ "header-timeout", required_argument, NULL, O_HEADER_TIMEOUT },
	{ "sync", required_argument, NULL, O_SYNC },
	{ "kubeconfig", required_argument, NULL, O_KUBECONFIG },
	{ "request-timeout", required_argument, NULL, O_REQUEST_TIMEOUT },
	{ "output", required_argument, NULL, 'o' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "trusted-proxy", required_argument, NULL, O_TRUSTED_PROXY },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		return false;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

/* "host:port", "[v6]:port" or ":port". */
static bool parse_listen(struct opts *o, const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *host = s;
	size_t hlen;
	unsigned long port;

	if (colon == NULL || !parse_ulong(colon + 1, 65535, &port))
		return false;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen >= sizeof(o->listen_host))
		return false;
	if (hlen == 0) {
		snprintf(o->listen_host, sizeof(o->listen_host), "0.0.0.0");
	} else {
		memcpy(o->listen_host, host, hlen);
		o->listen_host[hlen] = '\0';
	}
	o->port = (unsigned)port;
	return true;
}

/* A command-line or start-up error: a line on stderr, or with
 * --log-format json a JSON log line like every other line serve writes. */
__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_json())
		log_kv(LOG_ERROR, msg, NULL);
	else
		fprintf(stderr, "kargo-webhooks: %s\n", msg);
}

/* The usage text after an error, which a JSON log has no place for. */
static void usage_error(const char *usage)
{
	if (!log_json())
		fputs(usage, stderr);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* Go's strconv.ParseBool, which Kargo's configuration uses: 1, 0, or
 * true/false in three spellings. -1 for anything else. */
static int parse_bool(const char *s)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < KW_ARRAY_LEN(yes); i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* A Go duration as Kargo's GRACEFUL_SHUTDOWN_TIMEOUT takes it ("30s",
 * "1m30s", "500ms", "2h"), in whole seconds rounded up; -1 when invalid. */
static long parse_duration(const char *s)
{
	double total = 0;

	if (strcmp(s, "0") == 0)
		return 0;
	while (*s != '\0') {
		char *end;
		double v = strtod(s, &end);

		if (end == s || v < 0)
			return -1;
		if (strncmp(end, "ms", 2) == 0)
			v /= 1000, end += 2;
		else if (*end == 's')
			end++;
		else if (*end == 'm')
			v *= 60, end++;
		else if (*end == 'h')
			v *= 3600, end++;
		else
			return -1;
		total += v;
		s = end;
	}
	return total > 86400 ? -1 : (long)(total + 0.999);
}

/* Kargo's Kubernetes settings: KUBECONFIG, KUBE_API_QPS (50),
 * KUBE_API_BURST (300), GRACEFUL_SHUTDOWN_TIMEOUT (30s). */
static int kube_env(struct opts *o)
{
	const char *qps = env("KUBE_API_QPS"), *burst = env("KUBE_API_BURST");
	const char *grace = env("GRACEFUL_SHUTDOWN_TIMEOUT");
	unsigned long n;
	long g = 30;
	char *end;

	o->kubeconfig = env("KUBECONFIG");
	o->kube_qps = 50;
	o->kube_burst = 300;
	if (qps != NULL && ((o->kube_qps = strtod(qps, &end)) <= 0 || *end != '\0')) {
		say("KUBE_API_QPS=%s is not a positive number", qps);
		return -1;
	}
	if (burst != NULL) {
		if (!parse_ulong(burst, 100000, &n) || n == 0) {
			say("KUBE_API_BURST=%s is not a positive integer", burst);
			return -1;
		}
		o->kube_burst = (int)n;
	}
	if (grace != NULL && (g = parse_duration(grace)) < 0) {
		say("GRACEFUL_SHUTDOWN_TIMEOUT=%s is not a duration", grace);
		return -1;
	}
	o->grace = (unsigned)g;
	return 0;
}

static int env_defaults(struct opts *o)
{
	unsigned long port = 8080;
	const char *tls = env("TLS_ENABLED");

	memset(o, 0, sizeof(*o));
	o->state = "kargo-webhooks.db";
	snprintf(o->listen_host, sizeof(o->listen_host), "%s",
		env("BIND_ADDRESS") ? env("BIND_ADDRESS") : "0.0.0.0");
	if (env("PORT") && !parse_ulong(env("PORT"), 65535, &port)) {
		say("PORT=%s is not a port number", env("PORT"));
		return -1;
	}
	o->port = (unsigned)port;
	o->base_url = env("EXTERNAL_WEBHOOK_SERVER_BASE_URL");
	o->log_format = env("LOG_FORMAT") ? env("LOG_FORMAT") : "text";
	o->log_level = env("LOG_LEVEL") ? env("LOG_LEVEL") : "info";
	o->system_namespace = env("SYSTEM_RESOURCES_NAMESPACE") ?
		env("SYSTEM_RESOURCES_NAMESPACE") : "kargo-system-resources";
	if (tls != NULL) {
		int on = parse_bool(tls);

		if (on < 0) {
			say("TLS_ENABLED=%s is not a boolean", tls);
			return -1;
		}
		o->tls_enabled = on;
		if (on) {
			o->tls_cert = env("TLS_CERT_PATH");
			o->tls_key = env("TLS_KEY_PATH");
		}
	}
	o->output = OUTPUT_TABLE;
	o->max_connections = 1024;
	o->max_per_ip = 64;
	o->idle_timeout = 30;
	o->header_timeout = 10;
	o->request_timeout = 30;
	o->header_limit = 16384;
	o->deliveries_keep = 10000;
	o->limit = 20;
	o->queue_max = 4096;
	o->watch = true;
	o->rate_per_client = 50;
	o->rate_per_receiver = 100;
	o->rate_burst = 10;
	return kube_env(o);
}

/* The flag as the user spells it: "--threads", "-n". */
static const char *flag_name(int id, char *buf, size_t len)
{
	for (const struct option *lo = long_opts; lo->name != NULL; lo++)
		if (lo->val == id) {
			if (id < 256)
				snprintf(buf, len, "-%c", id);
			else
				snprintf(buf, len, "--%s", lo->name);
			return buf;
		}
	snprintf(buf, len, "option");
	return buf;
}

/* Every flag error names the flag; why says what is wrong with v. */
static int bad_flag(int id, const char *v, const char *why)
{
	char name[64];

	say("invalid value for %s: %s%s%s",
		flag_name(id, name, sizeof(name)), v, why ? ": " : "", why ? why : "");
	return -1;
}

static int rate_opt(struct opts *o, int id, const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(d >= 0) || d > 1e9)
		return bad_flag(id, v, "not a number from 0 to 1e9");
	if (id == O_RATE_CLIENT)
		o->rate_per_client = d;
	else if (id == O_RATE_RECEIVER)
		o->rate_per_receiver = d;
	else if (d < 1)
		return bad_flag(id, v, "the bucket must hold at least 1 second of rate");
	else
		o->rate_burst = d;
	return 0;
}

/* The accepted range of each whole-number flag: a value outside it is an
 * error, never silently changed. */
static const struct num_flag {
	int id;
	unsigned long min, max;
} num_flags[] = {
	{ O_MAX_CONN, 1, 1000000 },
	{ O_MAX_PER_IP, 0, 1000000 },
	{ O_IDLE, 1, 86400 },
	{ O_HEADER_TIMEOUT, 1, 3600 },
	{ O_REQUEST_TIMEOUT, 1, 86400 },
	{ O_HEADER_LIMIT, 1024, 1048576 },
	{ O_KEEP, 0, 1UL << 30 },
	{ O_QUEUE, 1, 1000000 },
	{ O_THREADS, 0, 64 },
	{ O_LIMIT, 1, 1000000 },
};

/* Applies one numeric option; -1 on a bad value. */
static int numeric_opt(struct opts *o, int id, const char *v)
{
	const struct num_flag *f = NULL;
	unsigned long n;
	char why[96];

	for (size_t i = 0; i < KW_ARRAY_LEN(num_flags); i++)
		if (num_flags[i].id == id)
			f = &num_flags[i];
	if (f == NULL)
		return -1;
	if (!parse_ulong(v, ~0UL, &n) || n < f->min || n > f->max) {
		snprintf(why, sizeof(why), "want a whole number from %lu to %lu",
			f->min, f->max);
		return bad_flag(id, v, why);
	}
	switch (id) {
	case O_MAX_CONN: o->max_connections = (unsigned)n; break;
	case O_MAX_PER_IP: o->max_per_ip = (unsigned)n; break;
	case O_IDLE: o->idle_timeout = (unsigned)n; break;
	case O_HEADER_TIMEOUT: o->header_timeout = (unsigned)n; break;
	case O_REQUEST_TIMEOUT: o->request_timeout = (unsigned)n; break;
	case O_HEADER_LIMIT: o->header_limit = n; break;
	case O_KEEP: o->deliveries_keep = n; break;
	case O_QUEUE: o->queue_max = n; break;
	case O_THREADS: o->threads = (unsigned)n; break;
	case O_LIMIT: o->limit = n; break;
	default: return -1;
	}
	return 0;
}

static int apply_opt(struct opts *o, int id, const char *v)
{
	switch (id) {
	case O_MANIFESTS:
		if (o->n_manifests == MAX_MANIFEST_ARGS)
			return bad_flag(id, v, "too many --manifests");
		o->manifests[o->n_manifests++] = v;
		return 0;
	case O_STATE: o->state = v; return 0;
	case O_KUBECONFIG: o->kubeconfig = v; o->kubeconfig_flag = true; return 0;
	case O_LISTEN:
		return parse_listen(o, v) ? 0 : bad_flag(id, v, "want HOST:PORT");
	case O_BASE_URL: o->base_url = v; return 0;
	case O_PORT_FILE: o->port_file = v; return 0;
	case O_LOG_FORMAT: o->log_format = v; return 0;
	case O_LOG_LEVEL: o->log_level = v; return 0;
	case O_SECRET_FILE: o->secret_file = v; return 0;
	case O_TLS_CERT: o->tls_cert = v; return 0;
	case O_TLS_KEY: o->tls_key = v; return 0;
	case O_SYSTEM_NS: o->system_namespace = v; return 0;
	case O_NO_WATCH: o->watch = false; return 0;
	case O_TRUSTED_PROXY: {
		struct kw_err err = { "" };

		return proxy_list_add(&o->trusted, v, &err) == KW_OK ? 0 :
			bad_flag(id, v, err.msg);
	}
	case O_SYNC:
		if (strcmp(v, "full") != 0 && strcmp(v, "normal") != 0)
			return bad_flag(id, v, "want full or normal");
		o->sync_normal = strcmp(v, "normal") == 0;
		return 0;
	case 'n': o->namespace = v; return 0;
	case O_RATE_CLIENT:
	case O_RATE_RECEIVER:
	case O_RATE_BURST: return rate_opt(o, id, v);
	case 'o':
		o->output = output_parse_format(v);
		return o->output < 0 ? bad_flag(id, v, "want table, json or yaml") : 0;
	default: return numeric_opt(o, id, v);
	}
}

/* A base URL that is no http(s) URL is a usage error of the flag (or the
 * variable) that gave it, not a problem of the manifests. */
static int check_base_url(const char *url, bool from_flag)
{
	char *origin = NULL, *path = NULL;
	struct kw_err err = { "" };
	int rc = receiver_url_split_base(&origin, &path, url, &err);

	free(origin);
	free(path);
	if (rc == KW_OK)
		return 0;
	if (from_flag)
		return bad_flag(O_BASE_URL, url, err.msg);
	say("invalid EXTERNAL_WEBHOOK_SERVER_BASE_URL: %s: %s",
		url, err.msg);
	return -1;
}

/*
 * Parses argv (argv[0] is the command). allowed lists the option ids the
 * command takes. Returns 0, 1 after printing help, or -1 on a usage error.
 */
static int parse_opts(struct opts *o, int argc, char **argv,
	const int *allowed, const char *usage)
{
	bool base_from_flag = false;
	int c;

	if (env_defaults(o) != 0)
		return -1;
	optind = 1;
	opterr = 0; /* our own messages, JSON when the log is */
	while ((c = getopt_long(argc, argv, "o:n:h", long_opts, NULL)) != -1) {
		bool ok = false;

		if (c == O_HELP || c == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		for (const int *a = allowed; *a != 0; a++)
			ok = ok || *a == c;
		if (c == '?' || !ok) {
			char name[64];

			if (c != '?')
				say("%s: %s is not an option of this command", argv[0],
					flag_name(c, name, sizeof(name)));
			else if (optopt != 0 && strchr("on", optopt) != NULL)
				say("%s: -%c needs a value", argv[0], optopt);
			else if (optopt != 0)
				say("%s: unknown option -%c", argv[0], optopt);
			else
				say("%s: unknown option, or one without its value: %s",
					argv[0], argv[optind - 1]);
			usage_error(usage);
			return -1;
		}
		if (apply_opt(o, c, optarg) != 0)
			return -1;
		base_from_flag = base_from_flag || c == O_BASE_URL;
	}
	if (o->base_url != NULL)
		return check_base_url(o->base_url, base_from_flag);
	{
		/* Port 0 is chosen at bind time; the URL then names no port. */
		if (o->port == 0)
			snprintf(o->default_base, sizeof(o->default_base), "http://localhost");
		else
			snprintf(o->default_base, sizeof(o->default_base),
				"http://localhost:%u", o->port);
		o->base_url = o->default_base;
	}
	return 0;
}

/* One manifest problem as a log line (serve with a JSON log). */
static void log_diag(const struct diag *d)
{
	char line[24], column[24];

	snprintf(line, sizeof(line), "%zu", d->line);
	snprintf(column, sizeof(column), "%zu", d->column);
	log_kv(d->severity == DIAG_ERROR ? LOG_ERROR : LOG_WARN, "manifest problem",
		"file", d->file, "#line", line, "#column", column, "key", d->key,
		"problem", d->message, NULL);
}

static void print_diags(const struct diag_list *dl, bool errors_only)
{
	for (size_t i = 0; i < dl->n; i++) {
		struct diag_list one = { &dl->items[i], 1, 0 };

		if (errors_only && dl->items[i].severity != DIAG_ERROR)
			continue;
		if (log_json())
			log_diag(&dl->items[i]);
		else
			diag_print(&one, stderr);
	}
}

/* Where objects come from: the manifests; else the Kubernetes API of a
 * kubeconfig (--kubeconfig, KUBECONFIG); else, inside a pod
 * (KUBERNETES_SERVICE_HOST), the in-cluster service account. */
static bool kube_mode(const struct opts *o)
{
	return o->n_manifests == 0 &&
		(o->kubeconfig != NULL || env("KUBERNETES_SERVICE_HOST") != NULL);
}

static int need_manifests(const struct opts *o)
{
	if (o->n_manifests > 0 && o->kubeconfig_flag) {
		say("--manifests and --kubeconfig exclude each other");
		return -1;
	}
	if (o->n_manifests > 0 || kube_mode(o))
		return 0;
	say("no manifests given (--manifests PATH), and no "
		"Kubernetes API (--kubeconfig FILE, KUBECONFIG, or in a pod)");
	return -1;
}

/* Reads the kubeconfig, or the in-cluster service account. 0 or -1. */
static int kube_config(const struct opts *o, struct kube_config *cfg)
{
	struct kw_err err = { "" };
	int rc = o->kubeconfig ? kube_config_load(cfg, o->kubeconfig, &err) :
		kube_config_in_cluster(cfg, NULL, &err);

	if (rc != KW_OK) {
		say("%s", err.msg[0] ? err.msg : kw_status_str(rc));
		return -1;
	}
	return 0;
}

static void kube_options(const struct opts *o, const struct kube_config *cfg,
	struct world_kube_options *ko)
{
	memset(ko, 0, sizeof(*ko));
	ko->config = cfg;
	ko->client.qps = o->kube_qps;
	ko->client.burst = o->kube_burst;
	ko->client.timeout = 10;
	ko->snap.base_url = o->base_url;
	ko->snap.system_namespace = o->system_namespace;
	ko->state_path = o->state;
	ko->deliveries_keep = o->deliveries_keep;
	ko->queue_max = o->queue_max;
	ko->sync_normal = o->sync_normal;
}

/* The objects, from the manifests or from the Kubernetes API (problems
 * in dl). The status of manifest_load_ns: KW_OK, KW_EINVAL, KW_EIO,
 * KW_ENOMEM. */
static int load_objects(struct obj_set **objs, struct diag_list *dl,
	const struct opts *o, bool keep_objects)
{
	struct kube_config cfg = { 0 };
	struct world_kube_options ko;
	struct kw_err err = { "" };
	int rc;

	if (!kube_mode(o)) {
		struct manifest_options mo = { o->system_namespace, keep_objects };

		return manifest_load_with(objs, dl, o->manifests, o->n_manifests, &mo);
	}
	*objs = NULL;
	if (kube_config(o, &cfg) != 0)
		return KW_EIO;
	kube_options(o, &cfg, &ko);
	rc = world_kube_load(objs, &ko, keep_objects, dl, &err);
	if (rc != KW_OK)
		say("%s", err.msg[0] ? err.msg : kw_status_str(rc));
	else if (dl->n_errors > 0)
		rc = KW_EINVAL;
	kube_config_clear(&cfg);
	return rc;
}

/* Loads manifests into a snapshot, printing problems. Returns 0 or 1. */
static int load_snapshot(struct snapshot **out, const struct opts *o,
	bool *skipped)
{
	struct snapshot_options so = { o->base_url, o->system_namespace };
	struct diag_list dl = { 0 };
	struct obj_set *objs = NULL;
	int rc;

	rc = load_objects(&objs, &dl, o, false);
	rc = snapshot_build(out, objs, rc, &so, false, &dl);
	print_diags(&dl, false);
	*skipped = rc == KW_OK && snapshot_unserved(*out) > 0;
	diag_clear(&dl);
	return rc != KW_OK;
}

static cJSON *receivers_json(const struct snapshot *s)
{
	cJSON *arr = cJSON_CreateArray();
	const struct snap_receiver *r;
	size_t n;

	r = snapshot_receivers(s, &n);
	for (size_t i = 0; arr != NULL && i < n; i++) {
		cJSON *item = cJSON_CreateObject();

		cJSON_AddStringToObject(item, "project", r[i].project);
		cJSON_AddStringToObject(item, "name", r[i].name);
		cJSON_AddStringToObject(item, "kind", r[i].ops->name);
		cJSON_AddStringToObject(item, "path", r[i].path);
		cJSON_AddStringToObject(item, "url", r[i].url);
		if (r[i].previous)
			cJSON_AddBoolToObject(item, "expiring", true);
		cJSON_AddItemToArray(arr, item);
	}
	return arr;
}

static void print_receivers_table(const struct snapshot *s)
{
	const struct snap_receiver *r;
	const char **cells;
	char (*names)[300];
	size_t n;

	r = snapshot_receivers(s, &n);
	cells = calloc((n + 1) * 5, sizeof(*cells));
	names = calloc(n + 1, sizeof(*names));
	if (cells == NULL || names == NULL)
		goto out;
	cells[0] = "PROJECT";
	cells[1] = "NAME";
	cells[2] = "KIND";
	cells[3] = "PATH";
	cells[4] = "URL";
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "%s%s", r[i].name,
			r[i].previous ? " (expiring)" : "");
		cells[(i + 1) * 5 + 0] = r[i].project[0] ? r[i].project : "\"\"";
		cells[(i + 1) * 5 + 1] = names[i];
		cells[(i + 1) * 5 + 2] = r[i].ops->name;
		cells[(i + 1) * 5 + 3] = r[i].path;
		cells[(i + 1) * 5 + 4] = r[i].url;
	}
	output_table(stdout, cells, n + 1, 5);
out:
	free(cells);
	free(names);
}

static void print_value(const cJSON *v, int format)
{
	if (format == OUTPUT_YAML)
		output_yaml(stdout, v);
	else
		output_json(stdout, v);
}

static int cmd_receivers(int argc, char **argv)
{
	static const int allowed[] = { O_MANIFESTS, O_KUBECONFIG, O_BASE_URL,
		O_SYSTEM_NS, 'o', 0 };
	struct snapshot *s = NULL;
	struct opts o;
	bool skipped = false;
	int rc;

	rc = parse_opts(&o, argc, argv, allowed, usage_receivers);
	if (rc != 0 || need_manifests(&o) != 0)
		return rc > 0 ? 0 : 2;
	if (load_snapshot(&s, &o, &skipped) != 0)
		return 1;
	if (o.output == OUTPUT_TABLE) {
		print_receivers_table(s);
	} else {
		cJSON *arr = receivers_json(s);

		print_value(arr, o.output);
		cJSON_Delete(arr);
	}
	snapshot_unref(s);
	return skipped ? 1 : 0;
}

static int cmd_check(int argc, char **argv)
{
	static const int allowed[] = { O_MANIFESTS, O_KUBECONFIG, O_BASE_URL,
		O_SYSTEM_NS, 0 };
	struct snapshot_options so;
	struct diag_list dl = { 0 };
	struct obj_set *objs = NULL;
	struct snapshot *s = NULL;
	struct opts o;
	size_t errors;
	int rc, src;

	rc = parse_opts(&o, argc, argv, allowed, usage_check);
	if (rc != 0 || need_manifests(&o) != 0)
		return rc > 0 ? 0 : 2;
	rc = load_objects(&objs, &dl, &o, true);
	so.base_url = o.base_url;
	so.system_namespace = o.system_namespace;
	/* Building the snapshot finds bad regexes, bad constraints and
	 * receiver URLs that cannot be made, with the manifests' own problems. */
	src = snapshot_build(&s, objs, rc, &so, true, &dl);
	print_diags(&dl, false);
	errors = dl.n_errors;
	if (src != KW_OK && errors == 0 && rc == KW_OK) {
		fprintf(stderr, "kargo-webhooks: %s\n", kw_status_str(src));
		errors++;
	}
	snapshot_unref(s);
	diag_clear(&dl);
	if (rc == KW_EIO || rc == KW_ENOMEM)
		errors += errors == 0;
	printf("%zu error(s)\n", errors);
	return errors > 0 ? 1 : 0;
}

/* The refresh token of an object from the state, or NULL. */
static char *state_token(struct store *st, const char *kind,
	const char *namespace, const char *name)
{
	char *token = NULL;

	if (st != NULL)
		store_get_refresh(st, kind, namespace, name, &token, NULL);
	return token;
}

/* The refresh annotation an object carries (Kubernetes mode), or NULL. */
static char *object_token(const cJSON *object)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(object, "metadata");
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, "kargo.akuity.io/refresh");

	return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

static cJSON *annotated(const cJSON *object, const char *token)
{
	cJSON *copy = cJSON_Duplicate(object, true);
	cJSON *meta, *ann;

	if (copy == NULL || token == NULL)
		return copy;
	meta = cJSON_GetObjectItemCaseSensitive(copy, "metadata");
	if (!cJSON_IsObject(meta)) {
		cJSON_DeleteItemFromObjectCaseSensitive(copy, "metadata");
		meta = cJSON_AddObjectToObject(copy, "metadata");
	}
	ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	if (!cJSON_IsObject(ann)) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
		ann = cJSON_AddObjectToObject(meta, "annotations");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(ann, "kargo.akuity.io/refresh");
	cJSON_AddStringToObject(ann, "kargo.akuity.io/refresh", token);
	return copy;
}

/* Opens the state read-only. A missing file is an error (the message
 * names the path and the cause): an empty answer would hide a wrong
 * --state. */
static int open_state_ro(struct store **st, const char *path)
{
	struct kw_err err;

	*st = NULL;
	if (store_open(st, path, true, &err) != KW_OK) {
		fprintf(stderr, "kargo-webhooks: %s\n", err.msg);
		return -1;
	}
	return 0;
}

struct get_item {
	const char *namespace, *name;
	const cJSON *object;
};

static void get_collect(const struct obj_set *objs, bool warehouses,
	struct get_item *items, size_t *n, const char *ns, const char *name)
{
	size_t count = warehouses ? objs->n_warehouses : objs->n_promotions;

	*n = 0;
	for (size_t i = 0; i < count; i++) {
		struct get_item it;

		if (warehouses) {
			const struct obj_warehouse *wh = objects_warehouse(objs, i);

			it = (struct get_item){ wh->namespace, wh->name, wh->object };
		} else {
			it = (struct get_item){ objs->promotions[i].namespace,
				objs->promotions[i].name, objs->promotions[i].object };
		}
		if ((ns == NULL || strcmp(ns, it.namespace) == 0) &&
		    (name == NULL || strcmp(name, it.name) == 0))
			items[(*n)++] = it;
	}
}

static void get_print(const struct get_item *items, size_t n, bool warehouses,
	struct store *st, int format)
{
	const char *kind = warehouses ? "Warehouse" : "Promotion";
	cJSON *list = cJSON_CreateObject(), *arr;
	const char **cells = calloc((n + 1) * 3, sizeof(*cells));
	char **tokens = calloc(n + 1, sizeof(*tokens));

	if (list == NULL || cells == NULL || tokens == NULL)
		goto out;
	cJSON_AddStringToObject(list, "apiVersion", "v1");
	arr = cJSON_AddArrayToObject(list, "items");
	cJSON_AddStringToObject(list, "kind", "List");
	cJSON_AddObjectToObject(list, "metadata");
	cells[0] = "NAMESPACE";
	cells[1] = "NAME";
	cells[2] = "REFRESH";
	for (size_t i = 0; i < n; i++) {
		tokens[i] = st ? state_token(st, kind, items[i].namespace, items[i].name) :
			object_token(items[i].object);
		cJSON_AddItemToArray(arr, annotated(items[i].object, tokens[i]));
		cells[(i + 1) * 3] = items[i].namespace;
		cells[(i + 1) * 3 + 1] = items[i].name;
		cells[(i + 1) * 3 + 2] = tokens[i] ? tokens[i] : "<none>";
	}
	if (format == OUTPUT_TABLE)
		output_table(stdout, cells, n + 1, 3);
	else
		print_value(list, format);
	for (size_t i = 0; i < n; i++)
		free(tokens[i]);
out:
	free(tokens);
	free(cells);
	cJSON_Delete(list);
}

static int cmd_get(int argc, char **argv)
{
	static const int allowed[] = { O_MANIFESTS, O_KUBECONFIG, O_STATE, 'n',
		'o', 0 };
	struct diag_list dl = { 0 };
	struct obj_set *objs = NULL;
	struct store *st = NULL;
	struct get_item *items;
	const char *name;
	struct opts o;
	bool warehouses;
	size_t n;
	int rc;

	rc = parse_opts(&o, argc, argv, allowed, usage_get);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (optind >= argc || argc - optind > 2 || (strcmp(argv[optind], "warehouses") != 0 &&
	    strcmp(argv[optind], "promotions") != 0)) {
		fputs(usage_get, stderr);
		return 2;
	}
	warehouses = strcmp(argv[optind], "warehouses") == 0;
	name = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (need_manifests(&o) != 0)
		return 2;
	rc = load_objects(&objs, &dl, &o, true);
	print_diags(&dl, true);
	diag_clear(&dl);
	if (rc == KW_ENOMEM || rc == KW_EIO ||
	    (!kube_mode(&o) && open_state_ro(&st, o.state) != 0)) {
		objects_free_set(objs);
		return 1;
	}
	items = calloc((warehouses ? objs->n_warehouses : objs->n_promotions) + 1,
		sizeof(*items));
	if (items != NULL) {
		get_collect(objs, warehouses, items, &n, o.namespace, name);
		if (name != NULL && n == 0) {
			fprintf(stderr, "kargo-webhooks: %s \"%s\" not found%s%s\n",
				argv[optind], name, o.namespace ? " in namespace " : "",
				o.namespace ? o.namespace : "");
			rc = KW_ENOTFOUND;
		} else {
			get_print(items, n, warehouses, st, o.output);
		}
	}
	free(items);
	store_close(st);
	objects_free_set(objs);
	return rc == KW_OK ? 0 : 1;
}

struct deliveries_out {
	int format;
	cJSON *arr;
	struct strbuf table;
	size_t rows;
};

static void delivery_row(const struct delivery_rec *d, void *arg)
{
	struct deliveries_out *out = arg;

	if (out->format == OUTPUT_TABLE) {
		/* Event keys and request ids come from unauthenticated requests:
		 * no control character of theirs reaches the terminal. */
		size_t start = out->table.len;

		strbuf_printf(&out->table, "%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f%d\x1f%s", d->time,
			d->receiver, d->event[0] ? d->event : "-",
			d->request_id ? d->request_id : "-", d->attempt, d->status,
			d->refreshed[0] ? d->refreshed : "-");
		for (size_t i = start; i < out->table.len; i++) {
			unsigned char c = (unsigned char)out->table.buf[i];

			if (c == 0x1f)
				out->table.buf[i] = '\t';
			else if (c < 0x20 || c == 0x7f)
				out->table.buf[i] = '?';
		}
		strbuf_puts(&out->table, "\n");
	} else {
		cJSON *item = cJSON_CreateObject();

		cJSON_AddStringToObject(item, "time", d->time);
		cJSON_AddStringToObject(item, "receiver", d->receiver);
		cJSON_AddStringToObject(item, "event", d->event);
		if (d->request_id != NULL)
			cJSON_AddStringToObject(item, "requestId", d->request_id);
		else
			cJSON_AddNullToObject(item, "requestId");
		cJSON_AddNumberToObject(item, "attempt", d->attempt);
		cJSON_AddNumberToObject(item, "status", d->status);
		cJSON_AddStringToObject(item, "answer", d->answer);
		cJSON_AddStringToObject(item, "refreshed", d->refreshed);
		cJSON_AddNumberToObject(item, "durationMs", d->duration_ms);
		cJSON_AddItemToArray(out->arr, item);
	}
	out->rows++;
}

/* Splits the tab-separated rows into cells and prints them aligned. */
static void print_tsv_table(const char *header, char *rows, size_t n_rows,
	size_t n_cols)
{
	const char **cells = calloc((n_rows + 1) * n_cols, sizeof(*cells));
	char *hdr = strdup(header), *save = NULL, *p;
	size_t i = 0;

	if (cells == NULL || hdr == NULL)
		goto out;
	for (p = strtok_r(hdr, "\t", &save); p && i < n_cols; p = strtok_r(NULL, "\t", &save))
		cells[i++] = p;
	for (p = rows; p != NULL && *p != '\0' && i < (n_rows + 1) * n_cols;) {
		char *end = p + strcspn(p, "\t\n");
		char sep = *end;

		*end = '\0';
		cells[i++] = p;
		p = sep ? end + 1 : end;
	}
	while (i < (n_rows + 1) * n_cols)
		cells[i++] = "";
	output_table(stdout, cells, n_rows + 1, n_cols);
out:
	free(cells);
	free(hdr);
}

static int cmd_deliveries(int argc, char **argv)
{
	static const int allowed[] = { O_STATE, 'n', O_LIMIT, 'o', 0 };
	struct deliveries_out out = { 0 };
	struct store *st = NULL;
	struct kw_err err;
	struct opts o;
	int rc;

	rc = parse_opts(&o, argc, argv, allowed, usage_deliveries);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (optind < argc) {
		fprintf(stderr, "kargo-webhooks deliveries: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	if (open_state_ro(&st, o.state) != 0)
		return 1;
	out.format = o.output;
	out.arr = cJSON_CreateArray();
	strbuf_init(&out.table, 64u * 1024 * 1024);
	rc = st ? store_list_deliveries(st, o.limit, o.namespace, delivery_row, &out,
		&err) : KW_OK;
	if (rc != KW_OK)
		fprintf(stderr, "kargo-webhooks: %s\n", err.msg);
	else if (o.output == OUTPUT_TABLE)
		print_tsv_table("TIME\tRECEIVER\tEVENT\tDELIVERY\tATTEMPT\tSTATUS\tREFRESHED",
			out.table.buf ? out.table.buf : (char *)"", out.rows, 7);
	else
		print_value(out.arr, o.output);
	/* -n used to be the count here; say so when it looks like one. */
	if (rc == KW_OK && out.rows == 0 && o.namespace != NULL &&
	    strspn(o.namespace, "0123456789") == strlen(o.namespace))
		fprintf(stderr, "kargo-webhooks: no deliveries to project %s "
			"(-n is the namespace; the count is --limit)\n", o.namespace);
	cJSON_Delete(out.arr);
	strbuf_free(&out.table);
	store_close(st);
	return rc == KW_OK ? 0 : 1;
}

/* Reads a whole file (or stdin for NULL) into sb. */
static int read_all(struct strbuf *sb, const char *path)
{
	FILE *f = path ? fopen(path, "rb") : stdin;
	char buf[65536];
	size_t n;
	int rc = KW_OK;

	if (f == NULL) {
		fprintf(stderr, "kargo-webhooks: cannot read %s: %s\n", path, strerror(errno));
		return KW_EIO;
	}
	while (rc == KW_OK && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		rc = strbuf_append(sb, buf, n);
	if (ferror(f))
		rc = KW_EIO;
	if (path != NULL)
		fclose(f);
	if (rc != KW_OK)
		fprintf(stderr, "kargo-webhooks: cannot read %s: %s\n",
			path ? path : "standard input", kw_status_str(rc));
	return rc;
}

static int cmd_sign(int argc, char **argv)
{
	static const int allowed[] = { O_SECRET_FILE, 0 };
	struct strbuf secret, body;
	char sig[SIGNATURE_HEADER_SIZE];
	struct opts o;
	int rc;

	rc = parse_opts(&o, argc, argv, allowed, usage_sign);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (o.secret_file == NULL || argc - optind > 1) {
		fputs(usage_sign, stderr);
		return 2;
	}
	strbuf_init(&secret, 64 * 1024);
	strbuf_init(&body, 64u * 1024 * 1024);
	rc = read_all(&secret, o.secret_file);
	if (rc == KW_OK)
		rc = read_all(&body, optind < argc ? argv[optind] : NULL);
	if (rc == KW_OK) {
		signature_sign(sig, (const unsigned char *)(secret.buf ? secret.buf : ""),
			secret.len, body.buf ? body.buf : "", body.len);
		printf("%s\n", sig);
	}
	if (secret.buf != NULL)
		OPENSSL_cleanse(secret.buf, secret.len);
	strbuf_free(&secret);
	strbuf_free(&body);
	return rc == KW_OK ? 0 : 1;
}

static int setup_logging(const struct opts *o)
{
	enum log_level level;

	if (!log_parse_level(o->log_level, &level)) {
		say("unknown log level %s (debug, info, warn or error)", o->log_level);
		return -1;
	}
	/* Kargo's chart sets LOG_FORMAT=CONSOLE (or JSON): its names count
	 * too, in any case, so the chart's ConfigMap works unchanged. */
	if (strcasecmp(o->log_format, "json") != 0 && strcasecmp(o->log_format, "text") != 0 &&
	    strcasecmp(o->log_format, "console") != 0) {
		say("unknown log format %s (text, console or json)", o->log_format);
		return -1;
	}
	log_setup(level, strcasecmp(o->log_format, "json") == 0);
	return 0;
}

/* Waits for signals in the main thread: SIGHUP reloads, SIGTERM and
 * SIGINT stop. Every other thread has them blocked. */
static void wait_for_signals(struct world *w, const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_kv(LOG_INFO, "SIGHUP: reloading", NULL);
			world_reload(w);
			continue;
		}
		log_kv(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
		return;
	}
}

static void log_receivers(struct world *w)
{
	struct snapshot *s = world_snapshot(w);
	const struct snap_receiver *r;
	size_t n;
	char count[32];

	if (s == NULL)
		return; /* not synced yet: the world logs when it is */
	r = snapshot_receivers(s, &n);
	snprintf(count, sizeof(count), "%zu", n);
	log_kv(LOG_INFO, "receivers loaded", "#count", count, NULL);
	for (size_t i = 0; i < n; i++)
		log_kv(LOG_INFO, "receiver", "project", r[i].project, "name", r[i].name,
			"kind", r[i].ops->name, "expiring", r[i].previous ? "true" : NULL, NULL);
	snapshot_unref(s);
}

/* The Kubernetes world; cfg must outlive it. */
static int serve_kube_world(struct world **w, const struct opts *o,
	struct kube_config *cfg, struct kw_err *err)
{
	struct world_kube_options ko;

	if (kube_config(o, cfg) != 0)
		return kw_errf(err, KW_EINVAL, "cannot reach the Kubernetes API");
	kube_options(o, cfg, &ko);
	log_kv(LOG_INFO, "objects from the Kubernetes API", "source", cfg->source,
		"server", cfg->server, NULL);
	return world_kube_new(w, &ko, err);
}

static int serve(const struct opts *o, const sigset_t *set)
{
	struct world_embedded_options wo = {
		.manifest_paths = o->manifests, .n_manifest_paths = o->n_manifests,
		.state_path = o->state, .snap = { o->base_url, o->system_namespace },
		.deliveries_keep = o->deliveries_keep, .queue_max = o->queue_max,
		.watch = o->watch, .sync_normal = o->sync_normal,
	};
	struct http_options ho = {
		.host = o->listen_host, .port = o->port, .port_file = o->port_file,
		.threads = o->threads, .max_connections = o->max_connections,
		.max_per_ip = o->max_per_ip, .idle_timeout = o->idle_timeout,
		.header_timeout = o->header_timeout, .request_timeout = o->request_timeout,
		.header_limit = o->header_limit, .tls_cert = o->tls_cert,
		.tls_key = o->tls_key, .rate_per_client = o->rate_per_client,
		.rate_per_receiver = o->rate_per_receiver, .rate_burst = o->rate_burst,
		.trusted_proxies = &o->trusted,
	};
	struct diag_list dl = { 0 };
	struct kube_config kcfg = { 0 };
	struct world *w = NULL;
	struct http_server *srv = NULL;
	struct kw_err err = { "" };
	char port[16];
	int rc;

	rc = kube_mode(o) ? serve_kube_world(&w, o, &kcfg, &err) :
		world_embedded_new(&w, &wo, &dl, &err);
	print_diags(&dl, false);
	diag_clear(&dl);
	if (rc == KW_OK)
		rc = http_start(&srv, w, &ho, &err);
	if (rc != KW_OK) {
		say("%s", err.msg[0] ? err.msg : kw_status_str(rc));
		world_free(w);
		kube_config_clear(&kcfg);
		return 1;
	}
	snprintf(port, sizeof(port), "%u", http_port(srv));
	log_kv(LOG_INFO, "serving", "address", o->listen_host, "#port", port,
		"tls", o->tls_cert ? "true" : "false", "base_url", o->base_url, NULL);
	log_receivers(w);
	wait_for_signals(w, set);
	if (!http_stop(srv, o->grace)) {
		/* The state database has not answered for 40 s; the threads
		 * that wait on it still hold the world. What was committed is
		 * safe (SQLite recovers its journal); end without joining them. */
		log_kv(LOG_ERROR, "exiting with requests unanswered", NULL);
		_exit(1);
	}
	world_free(w);
	kube_config_clear(&kcfg);
	log_kv(LOG_INFO, "stopped", NULL);
	metrics_free();
	return 0;
}

/* Whether serve's log is JSON (LOG_FORMAT, or the last --log-format),
 * known before the flags are parsed so that their errors are JSON too. */
static bool json_wanted(int argc, char **argv)
{
	const char *f = getenv("LOG_FORMAT");

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--log-format") == 0 && i + 1 < argc)
			f = argv[++i];
		else if (strncmp(argv[i], "--log-format=", 13) == 0)
			f = argv[i] + 13;
	}
	return f != NULL && strcasecmp(f, "json") == 0;
}

static int cmd_serve(int argc, char **argv)
{
	static const int allowed[] = { O_MANIFESTS, O_STATE, O_LISTEN, O_BASE_URL,
		O_PORT_FILE, O_LOG_FORMAT, O_LOG_LEVEL, O_TLS_CERT, O_TLS_KEY,
		O_SYSTEM_NS, O_MAX_CONN, O_MAX_PER_IP, O_IDLE, O_HEADER_LIMIT,
		O_KEEP, O_QUEUE, O_THREADS, O_NO_WATCH, O_RATE_CLIENT,
		O_RATE_RECEIVER, O_RATE_BURST, O_HEADER_TIMEOUT, O_REQUEST_TIMEOUT,
		O_SYNC, O_TRUSTED_PROXY, O_KUBECONFIG, 0 };
	struct opts o;
	sigset_t set;
	int rc;

	log_setup(LOG_INFO, json_wanted(argc, argv));
	rc = parse_opts(&o, argc, argv, allowed, usage_serve);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if ((o.tls_enabled || o.tls_cert || o.tls_key) && (!o.tls_cert || !o.tls_key)) {
		say("serve: TLS needs both a certificate and a key "
			"(--tls-cert/--tls-key or TLS_CERT_PATH/TLS_KEY_PATH)");
		return 2;
	}
	if (optind < argc) {
		say("serve: unexpected argument %s", argv[optind]);
		return 2;
	}
	if (need_manifests(&o) != 0 || setup_logging(&o) != 0)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return serve(&o, &set);
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "serve", cmd_serve },
	{ "receivers", cmd_receivers },
	{ "check", cmd_check },
	{ "get", cmd_get },
	{ "deliveries", cmd_deliveries },
	{ "sign", cmd_sign },
};

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("kargo-webhooks %s\n", KW_VERSION);
		return 0;
	}
	for (size_t i = 0; i < KW_ARRAY_LEN(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "kargo-webhooks: unknown command %s\n\n", argv[1]);
	fputs(usage_main, stderr);
	return 2;
}
