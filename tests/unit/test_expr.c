/*
 * test_expr.c: the expr-lang subset (expr.h), table-driven. Rows come from
 * Kargo v1.11.2's generic receiver tests (pkg/webhook/external/
 * generic_test.go, generic_actions_test.go, list_test.go) and its docs
 * (80-webhook-receivers/generic.md), then expr-lang v1.17's runtime rules
 * (runtime.Equal, Less, Fetch, In) and Kargo's EvaluateTemplate typing.
 */
#include "expr.h"
#include "headers.h"
#include "strbuf.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

static const char *const header_kv[] = { "X-Event-Type", "push",
	"X-Multi", "a", "x-multi", "b" };
static const struct header_pairs header_pairs = { header_kv, 3 };
static const char *const query_kv[] = { "ref", "main" };
static const struct header_pairs query_pairs = { query_kv, 1 };
static const char *const params_kv[] = { "foo", "bar" };

static const char body_json[] =
	"{\"repository\": {\"url\": \"http://github.com/example/repo.git\", "
	"\"name\": \"Repo\"}, \"n\": 5, \"f\": 1.5, \"list\": [\"x\", \"y\"], "
	"\"dup\": 1, \"dup\": 2, \"pull_request\": {\"html_url\": "
	"\"https://github.com/o/r/pull/1\"}, \"promotion\": \"p-1\", \"t\": true}";

struct when_row {
	const char *expr;
	int rc;   /* KW_OK or KW_EINVAL */
	bool met;
};

static const struct when_row when_rows[] = {
	/* Kargo's tests */
	{ "", KW_OK, true },
	/* what expr-lang's checker lets through: an unknown side, nil, numbers
	 * of both kinds, arrays of any elements */
	{ "request.body.n == 'x'", KW_OK, false },
	{ "nil == 1 || 1 == 1.0", KW_OK, true },
	{ "[1] == split('1', ',') && request.body.t", KW_OK, false },
	{ "request.body.t && len(request.body.list) == 2", KW_OK, true },
	{ "(request.body.t ? 1 : 'x') == 1", KW_OK, true },
	{ "'x' in split('x,y', ',') && request.body.n in [1, 5]", KW_OK, true },
	{ "request.body.missing in split('x', ',')", KW_OK, false },
	{ "split('x,y', ',')[request.body.n] == 'y'", KW_EINVAL, false }, /* 5: out of range */
	{ "true", KW_OK, true },
	{ "false", KW_OK, false },
	{ "request.header('X-Event-Type') == 'push'", KW_OK, true },
	{ "request.header('X-Event-Type') == 'pull_request'", KW_OK, false },
	{ "request.header('X-Event-Type')", KW_EINVAL, false }, /* a string */
	{ "invalid expression", KW_EINVAL, false },
	{ "{x!kj\"}", KW_EINVAL, false },
	{ "foo()", KW_EINVAL, false },
	/* headers are case-insensitive, as Go's Header.Get */
	{ "request.header(\"x-event-type\") == \"push\"", KW_OK, true },
	{ "request.header('X-Absent') == ''", KW_OK, true },
	{ "request.headers('X-Multi') == ['a', 'b']", KW_OK, true },
	{ "len(request.headers('X-Absent')) == 0", KW_OK, true },
	{ "request.params('ref') == 'main' && request.params('no') == ''", KW_OK, true },
	{ "params.foo == 'bar'", KW_OK, true },
	{ "params.missing == nil", KW_OK, true },
	/* body */
	{ "request.body.repository.name == 'Repo'", KW_OK, true },
	{ "request.body['repository']['name'] == 'Repo'", KW_OK, true },
	{ "request.body.n == 5", KW_OK, true },          /* float64 == int */
	{ "request.body.n > 4 and request.body.f < 2", KW_OK, true },
	{ "request.body.list[0] == 'x' && request.body.list[-1] == 'y'", KW_OK, true },
	{ "request.body.list[2] == 'z'", KW_EINVAL, false }, /* out of range */
	{ "request.body.dup == 2", KW_OK, true },         /* the last wins */
	{ "request.body.missing == nil", KW_OK, true },
	{ "request.body.missing.x == nil", KW_EINVAL, false }, /* fetch from nil */
	{ "request.body.t", KW_OK, true },
	{ "!request.body.t", KW_OK, false },
	{ "not request.body.t || true", KW_OK, true },
	{ "'x' in request.body.list", KW_OK, true },
	{ "'z' not in request.body.list", KW_OK, true },
	{ "'repository' in request.body", KW_OK, true },
	{ "request.body.repository.url contains 'example'", KW_OK, true },
	{ "request.body.repository.url startsWith 'http://'", KW_OK, true },
	{ "request.body.repository.url endsWith '.git'", KW_OK, true },
	{ "request.body.n contains 'x'", KW_EINVAL, false },
	/* short-circuit: the right side is never evaluated */
	{ "false && request.body.missing.x", KW_OK, false },
	{ "true || request.body.missing.x", KW_OK, true },
	{ "'a' < 'b' && 1 < 1.5 && 2 >= 2", KW_OK, true },
	{ "'a' < 1", KW_EINVAL, false },
	{ "1 == '1'", KW_EINVAL, false }, /* refused by expr-lang's checker */
	{ "nil == nil", KW_OK, true },
	{ "'a' + 'b' == 'ab' && 1 + 1 == 2 && 1 + 0.5 == 1.5", KW_OK, true },
	{ "-1 < 0", KW_OK, true },
	{ "request.body.t ? true : false", KW_OK, true },
	{ "(1 == 1) == true", KW_OK, true },
	{ "nil && true", KW_EINVAL, false },
	/* functions */
	{ "normalizeGit(request.body.repository.url) == 'http://github.com/example/repo'", KW_OK, true },
	{ "normalizeImage('docker.io/library/nginx') == 'nginx'", KW_OK, true },
	{ "normalizeChart('oci://ghcr.io/o/c') == 'ghcr.io/o/c'", KW_OK, true },
	{ "lower('AbC') == 'abc' && upper('abc') == 'ABC'", KW_OK, true },
	{ "trim('  a \\t') == 'a'", KW_OK, true },
	{ "trimPrefix('refs/heads/main', 'refs/heads/') == 'main'", KW_OK, true },
	{ "trimSuffix('a.git', '.git') == 'a'", KW_OK, true },
	{ "hasPrefix('abc', 'ab') && hasSuffix('abc', 'bc')", KW_OK, true },
	{ "split('a/b/c', '/')[1] == 'b'", KW_OK, true },
	{ "len('héllo') == 5 && len(request.body.list) == 2", KW_OK, true },
	{ "request.header(1) == ''", KW_EINVAL, false },
	{ "lower('É') == 'é'", KW_EINVAL, false }, /* outside the subset */
};

/* Expressions refused when compiled, and where. */
struct compile_row {
	const char *expr;
	size_t col;
	const char *msg; /* a part of the message */
};

static const struct compile_row compile_rows[] = {
	{ "request.body.x matches 'a'", 16, "matches" },
	{ "1 * 2 == 2", 3, "operator *" },
	{ "foo == 1", 1, "unknown name foo" },
	{ "map(request.body.list, #)", 1, "outside the subset" },
	{ "request.body?.x", 13, "?." },
	{ "a ?? b", 1, "unknown name a" },
	{ "request.body.x ?? 'd'", 16, "operator ??" },
	{ "lower", 1, "must be called" },
	{ "lower('a', 'b')", 1, "takes 1 argument" },
	{ "'unterminated", 1, "not terminated" },
	{ "0x10 == 16", 1, "decimal" },
	{ "(true", 6, "expected )" },
	{ "true true", 6, "after the expression" },
	{ "quote('a')", 1, "outside the subset" },
	{ "{x!kj\"}", 1, "unexpected token {" },
	/* expr-lang's checker (checker.go) refuses what literals and builtins
	 * make ill-typed, before any run and whichever branch a run takes */
	{ "false && 1", 7, "invalid operation: && (mismatched types bool and int)" },
	{ "true || 'x'", 6, "invalid operation: || (mismatched types bool and string)" },
	{ "request.body.t or 'x'", 16, "mismatched types unknown and string" },
	{ "true == 1", 6, "invalid operation: == (mismatched types bool and int)" },
	{ "request.body.s != '' && [1] == 1", 29, "mismatched types []interface {} and int" },
	{ "len(request.body.list) == '2'", 24, "mismatched types int and string" },
	{ "lower(request.body.s) == 1", 23, "mismatched types string and int" },
	{ "hasPrefix(request.body.s, 'a') == 'true'", 32, "mismatched types bool and string" },
	{ "split(request.body.s, ',') == 'a,b'", 28, "[]string and string" },
	{ "split(request.body.s, ',')[0] == 1", 31, "mismatched types string and int" },
	{ "split(request.body.s, ',')['a'] == 'x'", 28, "selected using an integer" },
	{ "1 in split(request.body.s, ',')", 3, "cannot use int as type string in array" },
	{ "true ? 'a' : 1 + 'b'", 16, "mismatched types int and string" },
	{ "1 < 'a'", 3, "invalid operation: <" },
	{ "'a' + 1 == 'a1'", 5, "invalid operation: +" },
	{ "!'x'", 1, "invalid operation: ! (mismatched type string)" },
	{ "not 1", 1, "invalid operation: !" },
	{ "-'a' == 1", 1, "invalid operation: -" },
	{ "1 ? true : false", 1, "non-bool expression (type int) used as condition" },
	{ "lower(1) == 'x'", 7, "cannot use int as argument (type string) to call lower" },
	{ "trimPrefix(request.body.s, nil) == ''", 28, "cannot use nil as argument" },
	{ "len(1) == 0", 1, "invalid argument for len (type int)" },
	{ "len(nil) == 0", 1, "invalid argument for len (type nil)" },
	{ "'abc'[0] == 'a'", 6, "type string[int] is undefined" },
	{ "lower('a').x == 1", 12, "type string has no field x" },
	{ "nil.x == 1", 5, "type nil has no field x" },
	{ "'a' contains 1", 5, "invalid operation: contains" },
	{ "1 in 'abc'", 3, "invalid operation: in" },
	{ "request.body.t == true && 1 not in nil", 33, "invalid operation: in" },
};

/* Templates as Kargo's evalAsString sees them. */
struct tpl_row {
	const char *tpl;
	int rc;
	const char *want;
};

static const struct tpl_row tpl_rows[] = {
	{ "my-warehouse", KW_OK, "my-warehouse" },
	{ "42", KW_OK, "42" }, /* no delimiter: never typed */
	{ "${{ normalizeGit(request.body.repository.url) }}", KW_OK,
	  "http://github.com/example/repo" },
	{ "${{ request.body.pull_request.html_url }}", KW_OK,
	  "https://github.com/o/r/pull/1" },
	{ "${{ request.body.promotion }}", KW_OK, "p-1" },
	{ "wh-${{ request.body.n }}", KW_OK, "wh-5" },
	{ "wh-${{ request.body.f }}", KW_OK, "wh-1.5" },
	{ "${% request.body.promotion %}-x", KW_OK, "p-1-x" },
	{ "${{ 12345 }}", KW_EINVAL, NULL },     /* list_test.go: a number */
	{ "${{ 1  + 1 }}", KW_EINVAL, NULL },    /* list_test.go */
	{ "${{ invalid expression }}", KW_EINVAL, NULL },
	{ "${{ undefined() }}", KW_EINVAL, NULL },
	{ "${{ request.body.t }}", KW_EINVAL, NULL },       /* a bool */
	{ "${{ request.body.missing }}", KW_EINVAL, NULL }, /* null */
	{ "${{ request.body.list }}", KW_EINVAL, NULL },    /* an array */
	{ "${{ 'true' }}", KW_EINVAL, NULL },  /* parses as a bool */
	{ "${{ 'nan' }}", KW_EINVAL, NULL },   /* parses as a float */
	{ "${{ '1e400' }}", KW_OK, "1e400" },  /* out of range: a string */
	{ "${{ '\"quoted\"' }}", KW_OK, "quoted" },
	{ "${{ 'a' }", KW_EINVAL, NULL },      /* unclosed */
	{ "${{ '' }}", KW_OK, "" },
	/* strconv.ParseFloat takes underscores between digits without a base
	 * prefix too, and in the exponent (Go's atof_test.go "1_23.50_0_0e+1_2") */
	{ "${{ '1_000' }}", KW_EINVAL, NULL },
	{ "${{ '1_23.50_0_0e+1_2' }}", KW_EINVAL, NULL },
	{ "${{ '-1_0' }}", KW_EINVAL, NULL },
	{ "${{ '0x_1p0' }}", KW_EINVAL, NULL },
	{ "${{ '0x1p1_0' }}", KW_EINVAL, NULL },
	{ "${{ '1__0' }}", KW_OK, "1__0" },     /* underscoreOK refuses these */
	{ "${{ '_1' }}", KW_OK, "_1" },
	{ "${{ '1_' }}", KW_OK, "1_" },
	{ "${{ '1_.5' }}", KW_OK, "1_.5" },
	{ "${{ '1._5' }}", KW_OK, "1._5" },
	{ "${{ '1e_5' }}", KW_OK, "1e_5" },
	{ "${{ '0b1_0' }}", KW_OK, "0b1_0" },   /* ParseFloat has no 0b */
	/* EvaluateTemplate gives back the newline it cut off a quoted result */
	{ "${{ '\"a\"\\n' }}", KW_OK, "a\n" },
	{ "${{ 'a\\n' }}", KW_OK, "a\n" },
	{ "${{ '\"1\"\\n' }}", KW_OK, "1\n" },
	/* an empty expression ends the evaluation: evaluateTemplate writes the
	 * rest as it stands (json_templates.go: expression == "" breaks) */
	{ "a${{}}b${{ 'x' }}", KW_OK, "ab${{ 'x' }}" },
	{ "${{}}", KW_OK, "" },
	{ "x${%%}${{ unclosed", KW_OK, "x${{ unclosed" },
	{ "${{ 'a' }}${{}}42", KW_OK, "a42" },
	{ "${{}}42", KW_EINVAL, NULL },           /* a number */
	{ "${{ }}", KW_EINVAL, NULL },            /* not empty: nothing to compile */
};

/* Templates checked when loaded: the same end at an empty expression. */
static const struct {
	const char *tpl;
	size_t col; /* 0: accepted */
} check_rows[] = {
	{ "${{}}${{ 1 +* }}", 0 },
	{ "${{ 'a' }}${{ lower(1) }}", 21 },
	{ "x${{ 'a' ", 2 },
	{ "${{ }}", 5 },
};

static void test_template_check(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(check_rows); i++) {
		struct kw_err err = { "" };
		size_t col = 99;
		int rc = expr_template_check(check_rows[i].tpl, strlen(check_rows[i].tpl),
			&col, &err);

		CHECK_MSG(rc == (check_rows[i].col ? KW_EINVAL : KW_OK), "%s: rc %d (%s)",
			check_rows[i].tpl, rc, err.msg);
		if (rc != KW_OK)
			CHECK_MSG(col == check_rows[i].col, "%s: column %zu (%s)",
				check_rows[i].tpl, col, err.msg);
	}
}

static void env_init(struct expr_env *env, struct expr_value *body,
	struct expr_arena *a, struct header_lookup *h, struct header_lookup *q)
{
	struct kw_err err;

	*h = header_pairs_lookup(&header_pairs);
	*q = header_pairs_lookup(&query_pairs);
	CHECK_INT(expr_json_decode(body, body_json, strlen(body_json), a, &err), KW_OK);
	env->body = body;
	env->headers = h;
	env->query = q;
	env->params = params_kv;
	env->n_params = 1;
}

static void test_when(void)
{
	struct expr_arena a;
	struct expr_value body;
	struct expr_env env;
	struct header_lookup h, q;

	expr_arena_init(&a, 1 << 20);
	env_init(&env, &body, &a, &h, &q);
	for (size_t i = 0; i < KW_ARRAY_LEN(when_rows); i++) {
		const struct when_row *r = &when_rows[i];
		struct kw_err err = { "" };
		bool met = !r->met;
		int rc = expr_when(&met, r->expr, strlen(r->expr), &env, &a, &err);

		CHECK_MSG(rc == r->rc, "%s: rc %d, want %d (%s)", r->expr, rc, r->rc, err.msg);
		if (rc == KW_OK)
			CHECK_MSG(met == r->met, "%s: met %d", r->expr, met);
	}
	expr_arena_free(&a);
}

static void test_compile_errors(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(compile_rows); i++) {
		const struct compile_row *r = &compile_rows[i];
		struct expr_arena a;
		struct expr_program *p;
		struct kw_err err = { "" };
		size_t col = 0;
		int rc;

		expr_arena_init(&a, 1 << 20);
		rc = expr_compile(&p, &a, r->expr, strlen(r->expr), false, &col, &err);
		CHECK_MSG(rc == KW_EINVAL, "%s: rc %d", r->expr, rc);
		CHECK_MSG(col == r->col, "%s: column %zu, want %zu (%s)", r->expr, col, r->col, err.msg);
		CHECK_MSG(strstr(err.msg, r->msg) != NULL, "%s: \"%s\" lacks \"%s\"", r->expr,
			err.msg, r->msg);
		expr_arena_free(&a);
	}
}

static void test_templates(void)
{
	struct expr_arena a;
	struct expr_value body;
	struct expr_env env;
	struct header_lookup h, q;

	expr_arena_init(&a, 1 << 20);
	env_init(&env, &body, &a, &h, &q);
	for (size_t i = 0; i < KW_ARRAY_LEN(tpl_rows); i++) {
		const struct tpl_row *r = &tpl_rows[i];
		struct kw_err err = { "" };
		const char *s = NULL;
		size_t n = 0;
		int rc = expr_template_string(&s, &n, r->tpl, strlen(r->tpl), &env, &a, &err);

		CHECK_MSG(rc == r->rc, "%s: rc %d, want %d (%s)", r->tpl, rc, r->rc, err.msg);
		if (rc == KW_OK && r->want != NULL)
			CHECK_MSG(n == strlen(r->want) && memcmp(s, r->want, n) == 0,
				"%s: \"%.*s\", want \"%s\"", r->tpl, (int)n, s, r->want);
	}
	expr_arena_free(&a);
}

/* Go's json.Unmarshal messages (encoding/json's scanner), as Kargo puts
 * them after "invalid request body: ". */
static const struct {
	const char *body;
	const char *msg;
} json_rows[] = {
	{ "\"invalid-json", "unexpected end of JSON input" },
	{ "", "unexpected end of JSON input" },
	{ "  ", "unexpected end of JSON input" },
	{ "x", "invalid character 'x' looking for beginning of value" },
	{ "{\"a\":1}x", "invalid character 'x' after top-level value" },
	{ "{1:2}", "invalid character '1' looking for beginning of object key string" },
	{ "{\"a\" 1}", "invalid character '1' after object key" },
	{ "{\"a\":1 2}", "invalid character '2' after object key:value pair" },
	{ "[1 2]", "invalid character '2' after array element" },
	{ "tru", "invalid character ' ' in literal true (expecting 'e')" },
	{ "nul!", "invalid character '!' in literal null (expecting 'l')" },
	{ "-", "invalid character ' ' in numeric literal" },
	{ "1.", "invalid character ' ' after decimal point in numeric literal" },
	{ "1e", "invalid character ' ' in exponent of numeric literal" },
	{ "01", "invalid character '1' after top-level value" },
	{ "\"a\tb\"", "invalid character '\\t' in string literal" },
	{ "\"\\x\"", "invalid character 'x' in string escape code" },
	{ "\"\\u12g4\"", "invalid character 'g' in \\u hexadecimal character escape" },
	{ "'a'", "invalid character '\\'' looking for beginning of value" },
	{ "\x01", "invalid character '\\x01' looking for beginning of value" },
	{ "\xc3\xa9", "invalid character '\xc3\x83' looking for beginning of value" },
	{ "1e400", "json: cannot unmarshal number 1e400 into Go value of type float64" },
};

static void test_json_messages(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(json_rows); i++) {
		struct expr_arena a;
		struct expr_value v;
		struct kw_err err = { "" };
		int rc;

		expr_arena_init(&a, 1 << 20);
		rc = expr_json_decode(&v, json_rows[i].body, strlen(json_rows[i].body), &a, &err);
		CHECK_MSG(rc == KW_EINVAL && strcmp(err.msg, json_rows[i].msg) == 0,
			"%s: \"%s\", want \"%s\"", json_rows[i].body, err.msg, json_rows[i].msg);
		expr_arena_free(&a);
	}
}

/* json.Marshal of values, as a template writes a non-string result. */
static void test_marshal(void)
{
	static const struct {
		const char *json, *want;
	} rows[] = {
		{ "{\"b\":[1,2.5,1e21,1e-7,0.000001,-0],\"a\":\"<&>\"}",
		  "{\"a\":\"\\u003c\\u0026\\u003e\",\"b\":[1,2.5,1e+21,1e-7,0.000001,-0]}" },
		{ "123456789012345678", "123456789012345680" },
		{ "[true,null,{}]", "[true,null,{}]" },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(rows); i++) {
		struct expr_arena a;
		struct expr_value v;
		struct strbuf sb;

		expr_arena_init(&a, 1 << 20);
		strbuf_init(&sb, 4096);
		CHECK_INT(expr_json_decode(&v, rows[i].json, strlen(rows[i].json), &a, NULL), KW_OK);
		CHECK_INT(expr_marshal(&sb, &v), KW_OK);
		CHECK_STR(sb.buf, rows[i].want);
		strbuf_free(&sb);
		expr_arena_free(&a);
	}
}

int main(void)
{
	test_when();
	test_compile_errors();
	test_templates();
	test_template_check();
	test_json_messages();
	test_marshal();
	TEST_DONE("test_expr");
}
