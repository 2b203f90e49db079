/*
 * log.h: one line per event on stderr, as key=value text or JSON. Callers
 * pass only what is safe to show: never bodies, signatures or secrets.
 * Thread-safe: each line is built in memory and written with one call.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the minimum level and the format (json or text). Call once, before
 * threads start. */
void log_setup(enum log_level min, bool json);

/* Parses "debug", "info", "warn"/"warning", "error" (any case). */
bool log_parse_level(const char *s, enum log_level *out);

bool log_enabled(enum log_level level);

/* Whether lines are JSON (log_setup's json). */
bool log_json(void);

/* Logs msg with key/value string pairs, ending with NULL:
 *   log_kv(LOG_INFO, "request", "#status", "200", NULL);
 * A NULL value is skipped. A key starting with '#' holds a number: the '#'
 * is dropped and, in JSON, the value is written as a JSON number (as a
 * string if it is not one). */
void log_kv(enum log_level level, const char *msg, ...) __attribute__((sentinel));

#endif
