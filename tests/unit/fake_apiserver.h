/*
 * fake_apiserver.h: starts and stops the fake Kubernetes API server
 * (tests/kube/fake_apiserver.py) on 127.0.0.1 with a CA made at test time,
 * and calls its fault and object controls (JSON calls of fakekube.FakeKube's
 * methods on its control port). Header-only; each test program includes it
 * once. Every wait polls with a deadline.
 */
#ifndef FAKE_APISERVER_H
#define FAKE_APISERVER_H

#include "kube.h"
#include "kw.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];       /* the fake's files: port, control-port, kubeconfig */
static long control_port;
static pid_t fake_pid;

static inline size_t collect(char *data, size_t size, size_t n, void *arg)
{
	char **buf = arg;
	size_t old = *buf ? strlen(*buf) : 0;
	char *p = realloc(*buf, old + size * n + 1);

	if (p == NULL)
		return 0;
	memcpy(p + old, data, size * n);
	p[old + size * n] = '\0';
	*buf = p;
	return size * n;
}

/* Calls fk.NAME(*args) in the fake; returns its JSON result (caller
 * frees) or NULL when the call failed. args is a JSON array text. */
static inline cJSON *ctl_kw(const char *name, const char *args, const char *kwargs)
{
	char url[64], *req = NULL, *out = NULL;
	CURL *h = curl_easy_init();
	long status = 0;
	cJSON *j, *res = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%ld/", control_port);
	if (asprintf(&req, "{\"call\":\"%s\",\"args\":%s,\"kwargs\":%s}", name,
		    args ? args : "[]", kwargs ? kwargs : "{}") < 0)
		abort();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	j = out ? cJSON_Parse(out) : NULL;
	if (status == 200 && j != NULL)
		res = cJSON_DetachItemFromObject(j, "result");
	else
		fprintf(stderr, "control %s failed: %s\n", name, out ? out : "(no answer)");
	cJSON_Delete(j);
	free(out);
	free(req);
	return res;
}

static inline cJSON *ctl(const char *name, const char *args)
{
	return ctl_kw(name, args, NULL);
}

static inline void ctl0(const char *name, const char *args)
{
	cJSON_Delete(ctl(name, args));
}

static inline long ctl_int(const char *name)
{
	cJSON *r = ctl(name, NULL);
	long v = cJSON_IsNumber(r) ? (long)r->valuedouble : -1;

	cJSON_Delete(r);
	return v;
}

static inline long read_port(const char *name)
{
	char path[320];
	FILE *f;
	long v = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static inline bool start_fake(void)
{
	double deadline = kw_monotonic() + 60;

	snprintf(dir, sizeof(dir), "/tmp/kw-kube-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return false;
	fake_pid = fork();
	if (fake_pid == 0) {
		execlp("python3", "python3", "tests/kube/fake_apiserver.py", "--dir", dir,
			(char *)NULL);
		_exit(127);
	}
	while (kw_monotonic() < deadline) {
		if (read_port("port") > 0 && (control_port = read_port("control-port")) > 0)
			return true;
		if (waitpid(fake_pid, NULL, WNOHANG) == fake_pid)
			return false;
		usleep(20000);
	}
	return false;
}

static inline void stop_fake(void)
{
	char cmd[300];

	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static inline struct kube_client *client_for(const char *kubeconfig, const struct kube_client_options *o)
{
	struct kube_config cfg;
	struct kw_err err = {""};
	struct kube_client *c = NULL;

	if (kube_config_load(&cfg, kubeconfig, &err) != KW_OK) {
		fprintf(stderr, "kubeconfig: %s\n", err.msg);
		return NULL;
	}
	if (kube_client_new(&c, &cfg, o, &err) != KW_OK)
		fprintf(stderr, "client: %s\n", err.msg);
	kube_config_clear(&cfg);
	return c;
}

#endif
