/*
 * output.c: JSON, YAML and table printing for the commands (output.h).
 * A string is printed plain only when yaml11.h says it reads back as
 * itself, the rule the loader types scalars with, so `get -o yaml` output
 * goes back through `check` unchanged.
 */
#include "output.h"

#include "kw.h"
#include "strbuf.h"
#include "yaml11.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int output_parse_format(const char *s)
{
	if (strcmp(s, "table") == 0 || strcmp(s, "wide") == 0)
		return OUTPUT_TABLE;
	if (strcmp(s, "json") == 0)
		return OUTPUT_JSON;
	if (strcmp(s, "yaml") == 0)
		return OUTPUT_YAML;
	return -1;
}

static void indent(FILE *f, int level)
{
	for (int i = 0; i < level; i++)
		fputs("    ", f);
}

/* A JSON string as Go's encoding/json writes it (the escaping kubectl's
 * output has), through the shared encoder. */
static void json_string(FILE *f, const char *s)
{
	struct strbuf sb;

	strbuf_init(&sb, 64u * 1024 * 1024);
	if (strbuf_json_string(&sb, s, strlen(s)) == KW_OK)
		fwrite(sb.buf, 1, sb.len, f);
	else
		fputs("\"\"", f);
	strbuf_free(&sb);
}

static void json_value(FILE *f, const cJSON *v, int level)
{
	const cJSON *c;

	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		bool obj = cJSON_IsObject(v);

		if (v->child == NULL) {
			fputs(obj ? "{}" : "[]", f);
			return;
		}
		fputs(obj ? "{\n" : "[\n", f);
		for (c = v->child; c != NULL; c = c->next) {
			indent(f, level + 1);
			if (obj) {
				json_string(f, c->string);
				fputs(": ", f);
			}
			json_value(f, c, level + 1);
			fputs(c->next ? ",\n" : "\n", f);
		}
		indent(f, level);
		fputs(obj ? "}" : "]", f);
	} else if (cJSON_IsString(v)) {
		json_string(f, v->valuestring);
	} else {
		char *s = cJSON_PrintUnformatted(v);

		fputs(s ? s : "null", f);
		free(s);
	}
}

void output_json(FILE *f, const cJSON *v)
{
	json_value(f, v, 0);
	fputc('\n', f);
}

/* A JSON string is a YAML double-quoted scalar, except that YAML wants
 * DEL escaped too. */
static void yaml_quoted(FILE *f, const char *s)
{
	struct strbuf sb;

	strbuf_init(&sb, 64u * 1024 * 1024);
	if (strbuf_json_string(&sb, s, strlen(s)) != KW_OK) {
		fputs("\"\"", f);
	} else {
		for (size_t i = 0; i < sb.len; i++) {
			if (sb.buf[i] == 0x7f)
				fputs("\\x7f", f);
			else
				fputc(sb.buf[i], f);
		}
	}
	strbuf_free(&sb);
}

static void yaml_scalar(FILE *f, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		if (yaml11_plain_safe(v->valuestring))
			fputs(v->valuestring, f);
		else
			yaml_quoted(f, v->valuestring);
	} else {
		char *s = cJSON_PrintUnformatted(v);

		fputs(s ? s : "null", f);
		free(s);
	}
}

static bool is_container(const cJSON *v)
{
	return (cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child != NULL;
}

static void yaml_value(FILE *f, const cJSON *v, int level);

static void yaml_item(FILE *f, const cJSON *c, int level)
{
	if (is_container(c)) {
		fputc('\n', f);
		yaml_value(f, c, level + 1);
		return;
	}
	fputc(' ', f);
	if (cJSON_IsObject(c))
		fputs("{}", f);
	else if (cJSON_IsArray(c))
		fputs("[]", f);
	else
		yaml_scalar(f, c);
	fputc('\n', f);
}

static void yaml_value(FILE *f, const cJSON *v, int level)
{
	for (const cJSON *c = v->child; c != NULL; c = c->next) {
		for (int i = 0; i < level; i++)
			fputs("  ", f);
		if (cJSON_IsObject(v)) {
			if (yaml11_plain_safe(c->string))
				fputs(c->string, f);
			else
				yaml_quoted(f, c->string);
			fputc(':', f);
		} else {
			fputc('-', f);
		}
		yaml_item(f, c, level);
	}
}

void output_yaml(FILE *f, const cJSON *v)
{
	if (is_container(v))
		yaml_value(f, v, 0);
	else if (cJSON_IsArray(v))
		fputs("[]\n", f);
	else if (cJSON_IsObject(v))
		fputs("{}\n", f);
	else {
		yaml_scalar(f, v);
		fputc('\n', f);
	}
}

void output_table(FILE *f, const char *const *cells, size_t n_rows,
	size_t n_cols)
{
	size_t *w = calloc(n_cols ? n_cols : 1, sizeof(*w));

	if (w == NULL)
		return;
	for (size_t r = 0; r < n_rows; r++)
		for (size_t c = 0; c < n_cols; c++) {
			size_t l = strlen(cells[r * n_cols + c]);

			if (l > w[c])
				w[c] = l;
		}
	for (size_t r = 0; r < n_rows; r++) {
		for (size_t c = 0; c < n_cols; c++) {
			const char *s = cells[r * n_cols + c];

			if (c + 1 == n_cols)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s   ", (int)w[c], s);
		}
	}
	free(w);
}
