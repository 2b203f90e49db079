/*
 * fuzz_expr.c: libFuzzer target for the expression module (expr.h). The
 * input is an expression, a NUL byte, and a request body. The expression
 * is compiled and, when it compiles, run against the body as a
 * whenExpression and as a template; the body is decoded as Go decodes it.
 * Besides the sanitizers' findings it checks what holds for any input: a
 * body that decodes marshals back to JSON that decodes too, and an
 * expression refused by the compiler names a column inside it.
 */
#include "expr.h"
#include "headers.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct expr_value *v)
{
	struct strbuf sb;
	struct expr_arena a;
	struct expr_value back;

	strbuf_init(&sb, 4u << 20);
	expr_arena_init(&a, 16u << 20);
	if (expr_marshal(&sb, v) == KW_OK &&
	    expr_json_decode(&back, sb.buf ? sb.buf : "", sb.len, &a, NULL) != KW_OK)
		abort();
	expr_arena_free(&a);
	strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kv[] = { "X-Event-Type", "push" };
	static const struct header_pairs hp = { kv, 1 };
	struct header_lookup h = header_pairs_lookup(&hp);
	const char *src = (const char *)data, *nul = memchr(data, 0, size);
	size_t src_len = nul ? (size_t)(nul - src) : size;
	const char *body = nul ? nul + 1 : "";
	size_t body_len = nul ? size - src_len - 1 : 0;
	struct expr_arena a;
	struct expr_value v = { 0 };
	struct expr_env env = { &v, &h, &h, kv, 1 };
	struct expr_program *p;
	struct kw_err err;
	size_t col, n;
	const char *s;
	bool met;

	expr_arena_init(&a, 16u << 20);
	if (expr_json_decode(&v, body, body_len, &a, &err) == KW_OK)
		roundtrip(&v);
	if (expr_compile(&p, &a, src, src_len, false, &col, &err) == KW_EINVAL &&
	    (col == 0 || col > src_len + 1))
		abort();
	(void)expr_when(&met, src, src_len, &env, &a, &err);
	(void)expr_template_check(src, src_len, &col, &err);
	(void)expr_template_string(&s, &n, src, src_len, &env, &a, &err);
	expr_arena_free(&a);
	return 0;
}
