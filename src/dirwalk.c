/*
 * dirwalk.c: the walk over manifest paths (dirwalk.h).
 */
#include "dirwalk.h"

#include "kw.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct walk {
	const struct dirwalk_visitor *v;
	struct file_id *seen; /* files and folders visited, so links cannot loop */
	size_t n_seen;
	bool stop;
	bool oom;
};

/* Whether st was visited already; remembers it otherwise. */
static bool seen_before(struct walk *w, const struct stat *st)
{
	struct file_id id = { st->st_dev, st->st_ino }, *v;

	for (size_t i = 0; i < w->n_seen; i++)
		if (w->seen[i].dev == id.dev && w->seen[i].ino == id.ino)
			return true;
	v = kw_array_append(w->seen, &w->n_seen, &id, 1, sizeof(id));
	if (v == NULL) {
		w->oom = true;
		return true;
	}
	w->seen = v;
	return false;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t len = strlen(s), n = strlen(suffix);

	return len > n && strcmp(s + len - n, suffix) == 0;
}

bool dirwalk_is_manifest(const char *name)
{
	return has_suffix(name, ".yaml") || has_suffix(name, ".yml") ||
		has_suffix(name, ".json");
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a folder, sorted, without those starting with '.'. */
static char **list_dir(struct walk *w, const char *path, size_t *n)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	char **names = NULL, **v, *s;

	*n = 0;
	if (dir == NULL) {
		w->v->problem(w->v->ctx, path, errno, NULL);
		return NULL;
	}
	while (!w->oom && (e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == DIRWALK_MAX_ENTRIES) {
			w->v->problem(w->v->ctx, path, 0, "more than 100000 entries; the rest "
				"are not read");
			break;
		}
		if ((s = strdup(e->d_name)) == NULL ||
			(v = kw_array_append(names, n, &s, 1, sizeof(s))) == NULL) {
			free(s);
			w->oom = true;
			break;
		}
		names = v;
	}
	closedir(dir);
	if (*n > 1)
		qsort(names, *n, sizeof(*names), cmp_strp);
	return names;
}

static void walk_path(struct walk *w, const char *path, int depth);

static void walk_dir(struct walk *w, const char *path, int depth)
{
	size_t n, len = strlen(path);
	char **names;

	if (depth > DIRWALK_MAX_DEPTH) {
		w->v->problem(w->v->ctx, path, 0, "nested more than 32 folders deep; "
			"not read");
		return;
	}
	names = list_dir(w, path, &n);
	for (size_t i = 0; i < n; i++) {
		size_t sub_len = len + strlen(names[i]) + 2;
		char *sub = !w->oom && !w->stop ? malloc(sub_len) : NULL;

		if (sub != NULL) {
			snprintf(sub, sub_len, "%s%s%s", path,
				len > 0 && path[len - 1] == '/' ? "" : "/", names[i]);
			walk_path(w, sub, depth + 1);
		} else if (!w->stop) {
			w->oom = true;
		}
		free(sub);
		free(names[i]);
	}
	free(names);
}

/* depth 0: named by the caller, visited whatever its name; else found in
 * a folder and visited only as a manifest. */
static void walk_path(struct walk *w, const char *path, int depth)
{
	struct stat st;

	if (w->oom || w->stop)
		return;
	if (stat(path, &st) != 0) {
		if (depth == 0 || errno != ENOENT) /* a dangling link in a folder is not */
			w->v->problem(w->v->ctx, path, errno, NULL);
	} else if (S_ISDIR(st.st_mode)) {
		if (!seen_before(w, &st))
			walk_dir(w, path, depth);
	} else if (S_ISREG(st.st_mode)) {
		if ((depth == 0 || dirwalk_is_manifest(path)) && !seen_before(w, &st))
			w->stop = !w->v->file(w->v->ctx, path, &st, depth == 0);
	} else if (depth == 0) {
		w->v->problem(w->v->ctx, path, 0, "not a file or a folder");
	}
}

int dirwalk(const char *const *paths, size_t n, const struct dirwalk_visitor *v)
{
	struct walk w = { v, NULL, 0, false, false };

	for (size_t i = 0; i < n && !w.oom && !w.stop; i++)
		walk_path(&w, paths[i], 0);
	free(w.seen);
	return w.oom ? KW_ENOMEM : KW_OK;
}
