/*
 * output.h: how the commands print objects: JSON (as kubectl -o json),
 * YAML, or an aligned table.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdio.h>

struct cJSON;

enum output_format { OUTPUT_TABLE = 0, OUTPUT_JSON, OUTPUT_YAML };

/* Parses "table", "json", "yaml"; returns -1 for anything else. */
int output_parse_format(const char *s);

/* Pretty JSON with a trailing newline, 4-space indent as kubectl does. */
void output_json(FILE *f, const struct cJSON *v);

/* Block-style YAML; strings are quoted when YAML would read them as
 * something else. */
void output_yaml(FILE *f, const struct cJSON *v);

/* A table: the first row is the header; every row has n_cols cells;
 * columns are padded to their widest cell, three spaces apart. */
void output_table(FILE *f, const char *const *cells, size_t n_rows,
	size_t n_cols);

#endif
