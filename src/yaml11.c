/*
 * yaml11.c: YAML 1.1 scalar typing, go-yaml v2's resolve() (yaml11.h).
 */
#include "yaml11.h"

#include "kw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* go-yaml v2's table of plain words (its resolveMapList). */
static const struct {
	const char *text;
	enum yaml11_type type;
	int value; /* bool; for floats 0 NaN, 1 +Inf, -1 -Inf */
} yaml11_words[] = {
	{ "y", YAML11_BOOL, 1 }, { "Y", YAML11_BOOL, 1 }, { "yes", YAML11_BOOL, 1 },
	{ "Yes", YAML11_BOOL, 1 }, { "YES", YAML11_BOOL, 1 }, { "true", YAML11_BOOL, 1 },
	{ "True", YAML11_BOOL, 1 }, { "TRUE", YAML11_BOOL, 1 }, { "on", YAML11_BOOL, 1 },
	{ "On", YAML11_BOOL, 1 }, { "ON", YAML11_BOOL, 1 }, { "n", YAML11_BOOL, 0 },
	{ "N", YAML11_BOOL, 0 }, { "no", YAML11_BOOL, 0 }, { "No", YAML11_BOOL, 0 },
	{ "NO", YAML11_BOOL, 0 }, { "false", YAML11_BOOL, 0 }, { "False", YAML11_BOOL, 0 },
	{ "FALSE", YAML11_BOOL, 0 }, { "off", YAML11_BOOL, 0 }, { "Off", YAML11_BOOL, 0 },
	{ "OFF", YAML11_BOOL, 0 }, { "~", YAML11_NULL, 0 }, { "null", YAML11_NULL, 0 },
	{ "Null", YAML11_NULL, 0 }, { "NULL", YAML11_NULL, 0 }, { ".nan", YAML11_FLOAT, 0 },
	{ ".NaN", YAML11_FLOAT, 0 }, { ".NAN", YAML11_FLOAT, 0 }, { ".inf", YAML11_FLOAT, 1 },
	{ ".Inf", YAML11_FLOAT, 1 }, { ".INF", YAML11_FLOAT, 1 }, { "+.inf", YAML11_FLOAT, 1 },
	{ "+.Inf", YAML11_FLOAT, 1 }, { "+.INF", YAML11_FLOAT, 1 }, { "-.inf", YAML11_FLOAT, -1 },
	{ "-.Inf", YAML11_FLOAT, -1 }, { "-.INF", YAML11_FLOAT, -1 },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool resolve_word(const char *s, struct yaml11_scalar *sc)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(yaml11_words); i++) {
		if (strcmp(s, yaml11_words[i].text) != 0)
			continue;
		sc->type = yaml11_words[i].type;
		sc->b = yaml11_words[i].value != 0;
		if (sc->type == YAML11_FLOAT)
			sc->f = yaml11_words[i].value == 0 ? NAN
				: yaml11_words[i].value * (double)INFINITY;
		return true;
	}
	return false;
}

/* Go's strconv.ParseInt(s, 0, 64), then ParseUint: an optional sign, then
 * 0b, 0o, 0x or a leading 0 (octal) select the base. */
static bool parse_go_int(const char *s, struct yaml11_scalar *sc)
{
	bool neg = false, sign = false;
	unsigned base = 10;
	uint64_t v = 0;

	if (*s == '+' || *s == '-') {
		neg = *s++ == '-';
		sign = true;
	}
	if (*s == '\0')
		return false;
	if (s[0] == '0' && s[1] != '\0') {
		char c = (char)(s[1] | 0x20);

		base = 8;
		s += 1;
		if (s[1] != '\0' && (c == 'b' || c == 'o' || c == 'x')) {
			base = c == 'b' ? 2 : c == 'o' ? 8 : 16;
			s += 1;
		}
	}
	for (; *s != '\0'; s++) {
		int d = kw_hex_value((unsigned char)*s);
		unsigned dv = d < 0 ? 99u : (unsigned)d;

		if (dv >= base || v > (UINT64_MAX - dv) / base)
			return false;
		v = v * base + dv;
	}
	if (neg && v <= (uint64_t)INT64_MAX + 1) {
		sc->type = YAML11_INT;
		sc->i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else if (!neg && v <= (uint64_t)INT64_MAX) {
		sc->type = YAML11_INT;
		sc->i = (int64_t)v;
	} else if (!sign) {
		sc->type = YAML11_UINT;
		sc->u = v;
	} else {
		return false;
	}
	return true;
}

/* go-yaml v2's yamlStyleFloat:
 * ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_float_syntax(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		if (!is_digit(*++s))
			return false;
	} else {
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
		if (*s == '.')
			s++;
	}
	while (is_digit(*s))
		s++;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	return *s == '\0';
}

/* Go's ParseFloat fails on overflow, and go-yaml then keeps the text. */
static void set_float(const char *s, struct yaml11_scalar *sc)
{
	double v = strtod(s, NULL);

	if (isinf(v))
		return;
	sc->type = YAML11_FLOAT;
	sc->f = v;
}

static void resolve_number(const char *s, size_t len, struct yaml11_scalar *sc)
{
	char plain[YAML11_MAX_NUMBER_TEXT];
	size_t n = 0;

	if (len >= sizeof(plain))
		return;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '_')
			plain[n++] = s[i];
	plain[n] = '\0';
	if (parse_go_int(plain, sc))
		return;
	if (yaml_float_syntax(plain))
		set_float(plain, sc);
}

void yaml11_resolve_plain(const char *s, size_t len, struct yaml11_scalar *sc)
{
	sc->type = YAML11_STR;
	if (len == 0) {
		sc->type = YAML11_NULL;
		return;
	}
	if (strlen(s) != len || resolve_word(s, sc))
		return;
	if (s[0] == '.') {
		if (yaml_float_syntax(s))
			set_float(s, sc);
	} else if (s[0] == '+' || s[0] == '-' || is_digit(s[0])) {
		resolve_number(s, len, sc);
	}
}

/* go-yaml v2's timestamp test (parseTimestamp): four digits and '-' open
 * every format it tries; more is not needed to decide to quote. */
static bool looks_like_timestamp(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!is_digit(s[i]))
			return false;
	return s[4] == '-';
}

/* go-yaml v2's isBase60Float, which it quotes when printing:
 * ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static bool is_base60(const char *s)
{
	size_t groups = 0;

	if (*s == '+' || *s == '-')
		s++;
	if (!is_digit(*s))
		return false;
	while (is_digit(*s) || *s == '_')
		s++;
	while (*s == ':') {
		s++;
		if (!is_digit(*s))
			return false;
		if (is_digit(s[1]) && *s > '5')
			return false;
		s += is_digit(s[1]) ? 2 : 1;
		groups++;
	}
	if (groups == 0)
		return false;
	if (*s == '.')
		for (s++; is_digit(*s) || *s == '_'; s++)
			;
	return *s == '\0';
}

/* Whether plain s would be read as other text or break the syntax:
 * an indicator first, ": " or " #" inside, white space at an end, a
 * control character anywhere. */
static bool plain_syntax_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || (*p == ':' && (p[1] == ' ' || p[1] == '\0')) ||
			(*p == ' ' && p[1] == '#'))
			return false;
	return s[len - 1] != ' ';
}

bool yaml11_plain_safe(const char *s)
{
	struct yaml11_scalar sc;

	if (!plain_syntax_ok(s) || strcmp(s, "<<") == 0 || looks_like_timestamp(s) ||
		is_base60(s))
		return false;
	memset(&sc, 0, sizeof(sc));
	yaml11_resolve_plain(s, strlen(s), &sc);
	return sc.type == YAML11_STR;
}
