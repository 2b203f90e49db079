/*
 * manifest_load.c: manifest files and folders into one set (manifest.h's
 * manifest_load*): files are read whole within MANIFEST_MAX_FILE_SIZE,
 * folders like `kubectl apply -f`, then the set is checked across its
 * objects (crosscheck.h).
 */
#include "manifest.h"

#include "crosscheck.h"
#include "kw.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define MAX_DIR_ENTRIES 100000   /* per folder */

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct loader {
	struct obj_set *set;
	struct diag_list *dl;
	struct file_id *seen; /* files and folders read, so links cannot loop */
	size_t n_seen;
	size_t n_files;
	bool io_error;
	bool oom;
	bool full; /* MANIFEST_MAX_FILES reached */
};

static void load_error(struct loader *ld, const char *path, bool io,
	const char *fmt, ...) MANIFEST_PRINTF(4, 5);

static void load_error(struct loader *ld, const char *path, bool io,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (diag_vadd(ld->dl, DIAG_ERROR, path, 0, 0, NULL, fmt, ap) != KW_OK)
		ld->oom = true;
	va_end(ap);
	ld->io_error |= io;
}

/* Whether st was read already; remembers it otherwise. */
static bool seen_before(struct loader *ld, const struct stat *st)
{
	struct file_id id = { st->st_dev, st->st_ino }, *v;

	for (size_t i = 0; i < ld->n_seen; i++)
		if (ld->seen[i].dev == id.dev && ld->seen[i].ino == id.ino)
			return true;
	v = kw_array_append(ld->seen, &ld->n_seen, &id, 1, sizeof(id));
	if (v == NULL) {
		ld->oom = true;
		return true;
	}
	ld->seen = v;
	return false;
}

static bool has_yaml_ext(const char *path)
{
	size_t len = strlen(path);

	return (len > 5 && strcmp(path + len - 5, ".yaml") == 0) ||
		(len > 4 && strcmp(path + len - 4, ".yml") == 0);
}

/* Reads a whole file of at most MANIFEST_MAX_FILE_SIZE bytes (what it
 * held when opened: a file growing meanwhile is cut there). errno tells
 * why on KW_EIO. */
static int read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int rc = KW_OK, fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0)
		return KW_EIO;
	if (fstat(fd, &st) != 0)
		rc = KW_EIO;
	else if (st.st_size > (off_t)MANIFEST_MAX_FILE_SIZE)
		rc = KW_ETOOBIG;
	else if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		rc = KW_ENOMEM;
	while (rc == KW_OK && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno != EINTR)
			rc = KW_EIO;
		else if (r == 0)
			break;
		else if (r > 0)
			n += (size_t)r;
	}
	if (rc != KW_OK) {
		int e = errno;

		free(buf);
		close(fd);
		errno = e;
		return rc;
	}
	close(fd);
	*out = buf;
	*len = n;
	return KW_OK;
}

static void load_file(struct loader *ld, const char *path)
{
	char *buf;
	size_t len = 0;
	int rc;

	if (ld->n_files++ >= MANIFEST_MAX_FILES) {
		load_error(ld, path, false, "more than %d manifest files; this one and "
			"the rest are not read", MANIFEST_MAX_FILES);
		ld->full = true;
		return;
	}
	rc = read_file(path, &buf, &len);
	if (rc == KW_ENOMEM)
		ld->oom = true;
	else if (rc == KW_ETOOBIG)
		load_error(ld, path, false, "larger than %u bytes", MANIFEST_MAX_FILE_SIZE);
	else if (rc != KW_OK)
		load_error(ld, path, true, "cannot read: %s", strerror(errno));
	else if (manifest_parse(ld->set, ld->dl, path, buf, len) == KW_ENOMEM)
		ld->oom = true;
	free(buf);
}

static void load_path(struct loader *ld, const char *path, bool named);

/* The entries of a folder, sorted, without those starting with '.'. */
static char **list_dir(struct loader *ld, const char *path, size_t *n)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	char **names = NULL, **v, *s;

	*n = 0;
	if (dir == NULL) {
		load_error(ld, path, true, "cannot read: %s", strerror(errno));
		return NULL;
	}
	while (!ld->oom && (e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == MAX_DIR_ENTRIES) {
			load_error(ld, path, false, "more than %d entries; the rest are not "
				"read", MAX_DIR_ENTRIES);
			break;
		}
		if ((s = strdup(e->d_name)) == NULL ||
			(v = kw_array_append(names, n, &s, 1, sizeof(s))) == NULL) {
			free(s);
			ld->oom = true;
			break;
		}
		names = v;
	}
	closedir(dir);
	if (*n > 1)
		qsort(names, *n, sizeof(*names), cmp_strp);
	return names;
}

static void load_dir(struct loader *ld, const char *path)
{
	size_t n, len = strlen(path);
	char **names = list_dir(ld, path, &n);

	for (size_t i = 0; i < n; i++) {
		size_t sub_len = len + strlen(names[i]) + 2;
		char *sub = !ld->oom && !ld->full ? malloc(sub_len) : NULL;

		if (sub != NULL) {
			snprintf(sub, sub_len, "%s%s%s", path,
				len > 0 && path[len - 1] == '/' ? "" : "/", names[i]);
			load_path(ld, sub, false);
		} else if (!ld->full) {
			ld->oom = true;
		}
		free(sub);
		free(names[i]);
	}
	free(names);
}

/* named: given by the caller, read whatever its name; else found in a
 * folder and read only as *.yaml or *.yml. */
static void load_path(struct loader *ld, const char *path, bool named)
{
	struct stat st;

	if (ld->oom || ld->full)
		return;
	if (stat(path, &st) != 0) {
		if (named || errno != ENOENT) /* a dangling link in a folder is not */
			load_error(ld, path, true, "cannot read: %s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		if (!seen_before(ld, &st))
			load_dir(ld, path);
	} else if (S_ISREG(st.st_mode)) {
		if ((named || has_yaml_ext(path)) && !seen_before(ld, &st))
			load_file(ld, path);
	} else if (named) {
		load_error(ld, path, true, "not a file or a folder");
	}
}


int manifest_load_ns(struct obj_set **out, struct diag_list *dl,
	const char *const *paths, size_t n_paths, const char *system_namespace)
{
	struct manifest_options mo = { system_namespace, true };

	return manifest_load_with(out, dl, paths, n_paths, &mo);
}

int manifest_load_with(struct obj_set **out, struct diag_list *dl,
	const char *const *paths, size_t n_paths, const struct manifest_options *mo)
{
	const char *system_namespace = mo->system_namespace;
	struct loader ld;
	size_t errors;

	if (out == NULL || dl == NULL || (paths == NULL && n_paths > 0))
		return KW_EINVAL;
	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	errors = dl->n_errors;
	ld.dl = dl;
	if ((ld.set = manifest_set_new()) == NULL)
		return KW_ENOMEM;
	ld.set->without_objects = !mo->keep_objects;
	for (size_t i = 0; i < n_paths && !ld.oom; i++)
		load_path(&ld, paths[i], true);
	if (!ld.oom && crosscheck_set(ld.set, dl, system_namespace != NULL ? system_namespace
		: MANIFEST_DEFAULT_SYSTEM_NAMESPACE) != KW_OK)
		ld.oom = true;
	free(ld.seen);
	if (ld.oom) {
		objects_free_set(ld.set);
		return KW_ENOMEM;
	}
	*out = ld.set;
	if (ld.io_error)
		return KW_EIO;
	return dl->n_errors != errors ? KW_EINVAL : KW_OK;
}

int manifest_load(struct obj_set **out, struct diag_list *dl,
	const char *const *paths, size_t n_paths)
{
	return manifest_load_ns(out, dl, paths, n_paths, NULL);
}
