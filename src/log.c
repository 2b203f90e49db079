/*
 * log.c: the structured logger declared in log.h.
 */
#include "log.h"

#include "kw.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static bool as_json;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_setup(enum log_level min, bool json)
{
	min_level = min;
	as_json = json;
}

bool log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return true;
	}
	return false;
}

bool log_enabled(enum log_level level)
{
	return level >= min_level;
}

bool log_json(void)
{
	return as_json;
}

/* Whether v is a JSON number: -?digits[.digits][e[+-]digits]. */
static bool json_number(const char *v)
{
	const char *p = v + (*v == '-');
	size_t digits = strspn(p, "0123456789");

	if (digits == 0 || (p[0] == '0' && digits > 1))
		return false;
	p += digits;
	if (*p == '.') {
		digits = strspn(p + 1, "0123456789");
		if (digits == 0)
			return false;
		p += 1 + digits;
	}
	if (*p == 'e' || *p == 'E') {
		p += 1 + (p[1] == '+' || p[1] == '-');
		digits = strspn(p, "0123456789");
		if (digits == 0)
			return false;
		p += digits;
	}
	return *p == '\0';
}

static void json_pair(struct strbuf *sb, const char *k, const char *v)
{
	bool number = k[0] == '#';

	k += number;
	strbuf_puts(sb, ",");
	strbuf_json_string(sb, k, strlen(k));
	strbuf_puts(sb, ":");
	if (number && json_number(v))
		strbuf_puts(sb, v);
	else
		strbuf_json_string(sb, v, strlen(v));
}

/* Text values are quoted (and escaped) when they hold spaces, quotes,
 * '=', any control character or any byte past ASCII: a value from a
 * request cannot forge a log line or reach a terminal raw. */
static void text_value(struct strbuf *sb, const char *v)
{
	bool plain = v[0] != '\0';

	for (const unsigned char *p = (const unsigned char *)v; plain && *p; p++)
		plain = *p > 0x20 && *p < 0x7f && *p != '"' && *p != '=' && *p != '\\';
	if (plain)
		strbuf_puts(sb, v);
	else
		strbuf_json_string(sb, v, strlen(v));
}

void log_kv(enum log_level level, const char *msg, ...)
{
	char time[KW_TIME_SIZE];
	struct strbuf sb;
	const char *k, *v;
	va_list ap;

	if (!log_enabled(level))
		return;
	kw_time_rfc3339(time, true);
	strbuf_init(&sb, 64 * 1024);
	if (as_json) {
		strbuf_printf(&sb, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", time,
			level_names[level]);
		strbuf_json_string(&sb, msg, strlen(msg));
	} else {
		strbuf_printf(&sb, "time=%s level=%s msg=", time, level_names[level]);
		text_value(&sb, msg);
	}
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			continue;
		if (as_json) {
			json_pair(&sb, k, v);
		} else {
			strbuf_printf(&sb, " %s=", k + (k[0] == '#'));
			text_value(&sb, v);
		}
	}
	va_end(ap);
	strbuf_puts(&sb, as_json ? "}\n" : "\n");
	if (sb.buf != NULL && write(STDERR_FILENO, sb.buf, sb.len) < 0) {
		/* Nowhere left to report a failed log write. */
	}
	strbuf_free(&sb);
}
