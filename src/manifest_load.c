/*
 * manifest_load.c: manifest files and folders into one set (manifest.h's
 * manifest_load*): the files dirwalk.h finds (folders read like `kubectl
 * apply -f`) are read whole within MANIFEST_MAX_FILE_SIZE, then the set is checked across its
 * objects (crosscheck.h).
 */
#include "manifest.h"

#include "crosscheck.h"
#include "dirwalk.h"
#include "kw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_PRINTF(f, a) __attribute__((format(printf, f, a)))

struct loader {
	struct obj_set *set;
	struct diag_list *dl;
	size_t n_files;
	bool io_error;
	bool oom;
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

/* A file the walk found: read and parsed into the set. */
static bool load_file(void *ctx, const char *path, const struct stat *st, bool named)
{
	struct loader *ld = ctx;
	char *buf;
	size_t len = 0;
	int rc;

	(void)st;
	(void)named;
	if (ld->n_files++ >= MANIFEST_MAX_FILES) {
		load_error(ld, path, false, "more than %d manifest files; this one and "
			"the rest are not read", MANIFEST_MAX_FILES);
		return false;
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
	return !ld->oom;
}

static void load_problem(void *ctx, const char *path, int err, const char *msg)
{
	struct loader *ld = ctx;

	if (err != 0)
		load_error(ld, path, true, "cannot read: %s", strerror(err));
	else
		load_error(ld, path, true, "%s", msg);
}

/* A configuration with no receivers serves nothing: a warning (it may be
 * on purpose, while receivers are being written). */
static bool warn_no_receivers(const struct obj_set *set, struct diag_list *dl,
	const char *where)
{
	for (size_t i = 0; i < set->n_configs; i++)
		if (set->configs[i].n_receivers > 0)
			return true;
	return diag_add(dl, DIAG_WARNING, where, 0, 0, NULL, "no receivers: no "
		"ProjectConfig or ClusterConfig defines a webhook receiver, so every "
		"webhook request answers 404") == KW_OK;
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
	struct dirwalk_visitor walker = { load_file, load_problem, &ld };
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
	if (dirwalk(paths, n_paths, &walker) != KW_OK)
		ld.oom = true;
	if (!ld.oom && crosscheck_set(ld.set, dl, system_namespace != NULL ? system_namespace
		: MANIFEST_DEFAULT_SYSTEM_NAMESPACE) != KW_OK)
		ld.oom = true;
	if (!ld.oom && !ld.io_error &&
		!warn_no_receivers(ld.set, dl, n_paths > 0 ? paths[0] : NULL))
		ld.oom = true;
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
