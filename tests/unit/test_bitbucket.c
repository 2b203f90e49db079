/*
 * test_bitbucket.c: src/bitbucket.c through bitbucket.h. Each case is a
 * small payload of our own beside the URLs and refs it must give; where Go
 * and a lenient JSON parser (such as cJSON) disagree the expectation is
 * Go's, since Kargo answers with encoding/json. URLs are chosen so that
 * any contract §5 normalizer gives the same result (lowercase, no user
 * info, trailing "/" and ".git").
 */
#include "bitbucket.h"
#include "kw.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

#define PUSH "repo:push"
#define REFS "repo:refs_changed"
#define FULFILLED "pullrequest:fulfilled"
#define REJECTED "pullrequest:rejected"
#define MERGED "pr:merged"
#define DECLINED "pr:declined"

#define NONE { NULL }
#define NOTHING NONE, NONE /* no URLs, no refs */

#define CLOUD_REPO \
	"\"repository\":{\"full_name\":\"ws/repo\",\"links\":{\"html\":" \
	"{\"href\":\"https://bitbucket.org/ws/repo\"}}}"
#define CLOUD_URLS \
	{ "https://bitbucket.org/ws/repo", "ssh://git@bitbucket.org/ws/repo" }

struct tcase {
	const char *name;
	const char *key;
	const char *body;
	size_t len; /* 0: strlen(body) */
	int status;
	const char *urls[5]; /* expected, in order, NULL-terminated */
	const char *refs[5];
};

static const struct tcase cases[] = {
	/* repo:push (Bitbucket Cloud) */
	{ "push branch", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\","
		"\"name\":\"main\"}}]}," CLOUD_REPO "}",
		0, KW_OK, CLOUD_URLS, { "refs/heads/main" } },
	{ "push tag", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"type\":\"tag\","
		"\"name\":\"v1.0.0\"}}]}," CLOUD_REPO "}",
		0, KW_OK, CLOUD_URLS, { "refs/tags/v1.0.0" } },
	{ "push type other than tag is a branch", PUSH,
		"{\"push\":{\"changes\":["
		"{\"new\":{\"type\":\"named_branch\",\"name\":\"x\"}},"
		"{\"new\":{\"type\":\"TAG\",\"name\":\"y\"}},"
		"{\"new\":{\"name\":\"z\"}}]}," CLOUD_REPO "}",
		0, KW_OK, CLOUD_URLS,
		{ "refs/heads/x", "refs/heads/y", "refs/heads/z" } },
	{ "push deletion gives no ref", PUSH,
		"{\"push\":{\"changes\":[{\"new\":null,"
		"\"old\":{\"type\":\"branch\",\"name\":\"gone\"}}]}," CLOUD_REPO "}",
		0, KW_OK, CLOUD_URLS, NONE },
	{ "push new without a name gives no ref", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"type\":\"tag\"}},"
		"{\"new\":{\"name\":\"\"}}]}," CLOUD_REPO "}",
		0, KW_OK, CLOUD_URLS, NONE },
	{ "push multiple changes, deduplicated", PUSH,
		"{\"push\":{\"changes\":["
		"{\"new\":{\"type\":\"branch\",\"name\":\"a\"}},"
		"{\"new\":{\"type\":\"tag\",\"name\":\"a\"}},{\"new\":null},"
		"{\"new\":{\"type\":\"branch\",\"name\":\"a\"}},"
		"{\"new\":{\"type\":\"branch\",\"name\":\"b/c\"}}]}," CLOUD_REPO "}",
		0, KW_OK, CLOUD_URLS,
		{ "refs/heads/a", "refs/tags/a", "refs/heads/b/c" } },
	{ "push empty changes", PUSH,
		"{\"push\":{\"changes\":[]}," CLOUD_REPO "}",
		0, KW_OK, CLOUD_URLS, NONE },
	{ "push href normalized, SSH form from host and full_name", PUSH,
		"{\"repository\":{\"full_name\":\"Team/Repo\",\"links\":{\"html\":"
		"{\"href\":\"HTTPS://BitBucket.org/Team/Repo.git/\"}}}}",
		0, KW_OK,
		{ "https://bitbucket.org/team/repo", "ssh://git@bitbucket.org/team/repo" },
		NONE },
	{ "push SSH form drops the port", PUSH,
		"{\"repository\":{\"full_name\":\"ws/r\",\"links\":{\"html\":"
		"{\"href\":\"https://bb.example.com:8443/ws/r\"}}}}",
		0, KW_OK,
		{ "https://bb.example.com:8443/ws/r", "ssh://git@bb.example.com/ws/r" },
		NONE },
	{ "push SSH form with an IPv6 host", PUSH,
		"{\"repository\":{\"full_name\":\"ws/r\",\"links\":{\"html\":"
		"{\"href\":\"https://[::1]:8443/ws/r\"}}}}",
		0, KW_OK, { "https://[::1]:8443/ws/r", "ssh://git@[::1]/ws/r" }, NONE },
	{ "push SSH form needs an http(s) href", PUSH,
		"{\"repository\":{\"full_name\":\"ws/r\",\"links\":{\"html\":"
		"{\"href\":\"ssh://git@bitbucket.org/ws/r\"}}}}",
		0, KW_OK, { "ssh://git@bitbucket.org/ws/r" }, NONE },
	{ "push without full_name has no SSH form", PUSH,
		"{\"repository\":{\"links\":{\"html\":"
		"{\"href\":\"https://bitbucket.org/ws/r\"}}}}",
		0, KW_OK, { "https://bitbucket.org/ws/r" }, NONE },
	{ "push full_name that is not a string is ignored, as in Kargo", PUSH,
		"{\"repository\":{\"full_name\":42,\"links\":{\"html\":"
		"{\"href\":\"https://bitbucket.org/ws/r\"}}}}",
		0, KW_OK, { "https://bitbucket.org/ws/r" }, NONE },
	{ "push without links", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\","
		"\"name\":\"main\"}}]},\"repository\":{\"full_name\":\"ws/repo\"}}",
		0, KW_OK, NONE, { "refs/heads/main" } },

	/* repo:refs_changed (Server / Data Center) */
	{ "refs_changed clone links and refs", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"refs/heads/main\","
		"\"displayId\":\"main\"},\"type\":\"UPDATE\"}],"
		"\"repository\":{\"links\":{\"clone\":["
		"{\"name\":\"http\",\"href\":\"https://example.org/scm/proj/repo.git\"},"
		"{\"name\":\"ssh\",\"href\":\"ssh://git@example.org:7999/PROJ/repo.git\"}"
		"]}}}",
		0, KW_OK,
		{ "https://example.org/scm/proj/repo",
			"ssh://git@example.org:7999/proj/repo" },
		{ "refs/heads/main" } },
	{ "refs_changed refs as given", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"refs/tags/V1\"}},"
		"{\"ref\":{\"id\":\"Main\"}},{\"ref\":{\"id\":\"refs/tags/V1\"}},"
		"{\"ref\":null},{\"ref\":{\"id\":\"\"}}]}",
		0, KW_OK, NONE, { "refs/tags/V1", "Main" } },
	{ "refs_changed without links", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"refs/heads/master\"}}],"
		"\"repository\":{\"slug\":\"r\",\"project\":{\"key\":\"P\"}}}",
		0, KW_OK, NONE, { "refs/heads/master" } },
	{ "refs_changed empty changes", REFS,
		"{\"changes\":[],\"repository\":{\"links\":{\"clone\":"
		"[{\"href\":\"https://h/scm/p/r.git\"}]}}}",
		0, KW_OK, { "https://h/scm/p/r" }, NONE },
	{ "refs_changed duplicate clone URLs after normalization", REFS,
		"{\"repository\":{\"links\":{\"clone\":[{\"href\":\"https://h/p/r.git\"},"
		"{\"href\":\"HTTPS://H/P/R\"},{\"href\":\"\"},{\"href\":null},{}]}}}",
		0, KW_OK, { "https://h/p/r" }, NONE },
	{ "refs_changed actor checked", REFS, "{\"actor\":{\"name\":7}}",
		0, KW_EINVAL, NOTHING },

	/* pull requests */
	{ "fulfilled", FULFILLED,
		"{\"pullrequest\":{\"id\":1,\"links\":{\"html\":{\"href\":"
		"\"https://bitbucket.org/ws/repo/pull-requests/1\"}}}}",
		0, KW_OK, { "https://bitbucket.org/ws/repo/pull-requests/1" }, NONE },
	{ "rejected, URL as given", REJECTED,
		"{\"pullrequest\":{\"links\":{\"html\":{\"href\":"
		"\"https://BitBucket.org/WS/repo/pull-requests/2/\"}}}}",
		0, KW_OK, { "https://BitBucket.org/WS/repo/pull-requests/2/" }, NONE },
	{ "fulfilled without links", FULFILLED, "{\"pullrequest\":{\"id\":3}}",
		0, KW_OK, NOTHING },
	{ "pullRequest folds onto pullrequest", FULFILLED,
		"{\"pullRequest\":{\"links\":{\"html\":{\"href\":\"https://h/pr/4\"}}}}",
		0, KW_OK, { "https://h/pr/4" }, NONE },
	{ "merged takes self[0]", MERGED,
		"{\"pullRequest\":{\"links\":{\"self\":[{\"href\":\"https://h/p/5\"},"
		"{\"href\":\"https://h/p/6\"}]}}}",
		0, KW_OK, { "https://h/p/5" }, NONE },
	{ "declined", DECLINED,
		"{\"pullRequest\":{\"links\":{\"self\":[{\"href\":\"https://h/p/7\"}]}}}",
		0, KW_OK, { "https://h/p/7" }, NONE },
	{ "merged without links", MERGED,
		"{\"pullRequest\":{\"id\":8,\"links\":null}}", 0, KW_OK, NOTHING },
	{ "merged empty self", MERGED,
		"{\"pullRequest\":{\"links\":{\"self\":[]}}}", 0, KW_OK, NOTHING },
	{ "merged self[0] without href", MERGED,
		"{\"pullRequest\":{\"links\":{\"self\":[{},"
		"{\"href\":\"https://h/p/9\"}]}}}",
		0, KW_OK, NOTHING },

	/* bodies that are not the event's shape */
	{ "null body is an empty event", PUSH, "null", 0, KW_OK, NOTHING },
	{ "null body, pull request", MERGED, " null ", 0, KW_OK, NOTHING },
	{ "empty object", REFS, "{}", 0, KW_OK, NOTHING },
	{ "[] body", PUSH, "[]", 0, KW_EINVAL, NOTHING },
	{ "[] body, pull request", FULFILLED, "[]", 0, KW_EINVAL, NOTHING },
	{ "string body", PUSH, "\"x\"", 0, KW_EINVAL, NOTHING },
	{ "number body", REFS, "1", 0, KW_EINVAL, NOTHING },
	{ "bool body", DECLINED, "true", 0, KW_EINVAL, NOTHING },
	{ "empty body", PUSH, "", 0, KW_EINVAL, NOTHING },
	{ "white space body", PUSH, " \n", 0, KW_EINVAL, NOTHING },
	{ "not JSON", PUSH, "invalid json", 0, KW_EINVAL, NOTHING },
	{ "trailing garbage", PUSH, "{} x", 0, KW_EINVAL, NOTHING },
	{ "two values", PUSH, "{}{}", 0, KW_EINVAL, NOTHING },
	{ "trailing white space", PUSH, "{}\r\n\t ", 0, KW_OK, NOTHING },
	{ "truncated", REFS, "{\"changes\":[", 0, KW_EINVAL, NOTHING },
	{ "string where an object belongs", PUSH, "{\"repository\":\"x\"}",
		0, KW_EINVAL, NOTHING },
	{ "array where an object belongs", PUSH, "{\"push\":[]}",
		0, KW_EINVAL, NOTHING },
	{ "object where an array belongs", REFS, "{\"changes\":{}}",
		0, KW_EINVAL, NOTHING },
	{ "string where an array belongs", PUSH, "{\"push\":{\"changes\":\"x\"}}",
		0, KW_EINVAL, NOTHING },
	{ "number where a string belongs", PUSH,
		"{\"repository\":{\"links\":{\"html\":{\"href\":1}}}}",
		0, KW_EINVAL, NOTHING },
	{ "bool where a string belongs", REFS,
		"{\"changes\":[{\"ref\":{\"id\":true}}]}", 0, KW_EINVAL, NOTHING },
	{ "string array element where a struct belongs", REFS,
		"{\"repository\":{\"links\":{\"clone\":[\"https://h/r\"]}}}",
		0, KW_EINVAL, NOTHING },
	{ "number in push change new", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"name\":\"a\",\"type\":1}}]}}",
		0, KW_EINVAL, NOTHING },
	{ "actor.name is decoded by Kargo, so checked", PUSH,
		"{\"actor\":{\"name\":[]}}", 0, KW_EINVAL, NOTHING },
	{ "actor.emailAddress checked", REFS, "{\"actor\":{\"emailAddress\":{}}}",
		0, KW_EINVAL, NOTHING },
	{ "actor object checked", PUSH, "{\"actor\":\"me\"}", 0, KW_EINVAL, NOTHING },
	{ "self href type checked", MERGED,
		"{\"pullRequest\":{\"links\":{\"self\":[{\"href\":1}]}}}",
		0, KW_EINVAL, NOTHING },
	{ "later self elements checked too", DECLINED,
		"{\"pullRequest\":{\"links\":{\"self\":[{\"href\":\"a\"},{\"href\":1}]}}}",
		0, KW_EINVAL, NOTHING },
	{ "fulfilled html checked", REJECTED,
		"{\"pullrequest\":{\"links\":{\"html\":[]}}}", 0, KW_EINVAL, NOTHING },
	{ "pullRequest folds onto pullrequest, type checked", FULFILLED,
		"{\"push\":1,\"changes\":2,\"repository\":3,\"actor\":4,"
		"\"pullRequest\":5}",
		0, KW_EINVAL, NOTHING },
	{ "other events' fields ignored", MERGED,
		"{\"push\":1,\"changes\":2,\"repository\":3,\"actor\":4,"
		"\"pullrequestx\":5}",
		0, KW_OK, NOTHING },
	{ "unknown fields ignored whatever they hold", PUSH,
		"{\"x\":[1,{\"y\":null}],\"repository\":{\"name\":5,\"links\":{"
		"\"avatar\":[],\"html\":{\"href\":\"https://h/r\",\"name\":{}}}}}",
		0, KW_OK, { "https://h/r" }, NONE },
	{ "null anywhere is a zero value", PUSH,
		"{\"actor\":null,\"push\":{\"changes\":[null,{\"new\":{\"type\":null,"
		"\"name\":\"m\"}}]},\"repository\":{\"links\":{\"html\":null}}}",
		0, KW_OK, NONE, { "refs/heads/m" } },

	/* Go's syntax, not cJSON's */
	{ "leading zero", PUSH, "{\"x\":01}", 0, KW_EINVAL, NOTHING },
	{ "bare decimal point", PUSH, "{\"x\":1.}", 0, KW_EINVAL, NOTHING },
	{ "plus sign", PUSH, "{\"x\":+1}", 0, KW_EINVAL, NOTHING },
	{ "numbers Go accepts", PUSH, "{\"x\":[-0,0.5,-1.25e+3,1E-2,123e4]}",
		0, KW_OK, NOTHING },
	{ "raw control character in a string", PUSH, "{\"x\":\"a\x01\"}",
		0, KW_EINVAL, NOTHING },
	{ "raw tab in a string", PUSH, "{\"x\":\"a\tb\"}", 0, KW_EINVAL, NOTHING },
	{ "raw NUL in a string", PUSH, "{\"x\":\"a\0b\"}", 11, KW_EINVAL, NOTHING },
	{ "raw NUL after the value", PUSH, "{}\0", 3, KW_EINVAL, NOTHING },
	{ "form feed is not white space", PUSH, "\f{}", 0, KW_EINVAL, NOTHING },
	{ "byte order mark", PUSH, "\xEF\xBB\xBF{}", 0, KW_EINVAL, NOTHING },
	{ "bad escape", PUSH, "{\"x\":\"\\x\"}", 0, KW_EINVAL, NOTHING },
	{ "short unicode escape", PUSH, "{\"x\":\"\\u12\"}", 0, KW_EINVAL, NOTHING },
	{ "single quotes", PUSH, "{'x':1}", 0, KW_EINVAL, NOTHING },
	{ "trailing comma", PUSH, "{\"x\":[1,]}", 0, KW_EINVAL, NOTHING },
	{ "trailing comma in object", PUSH, "{\"x\":1,}", 0, KW_EINVAL, NOTHING },
	{ "missing colon", PUSH, "{\"x\" 1}", 0, KW_EINVAL, NOTHING },
	{ "bad literal", PUSH, "{\"x\":nul}", 0, KW_EINVAL, NOTHING },
	{ "literal with a tail", PUSH, "{\"x\":truex}", 0, KW_EINVAL, NOTHING },
	{ "comment", PUSH, "{} // x", 0, KW_EINVAL, NOTHING },

	/* keys match fields as encoding/json matches them */
	{ "keys match case-insensitively", PUSH,
		"{\"PUSH\":{\"Changes\":[{\"NEW\":{\"Type\":\"tag\",\"NAME\":\"t\"}}]},"
		"\"Repository\":{\"LINKS\":{\"Html\":{\"HREF\":\"https://h/r\"}}}}",
		0, KW_OK, { "https://h/r" }, { "refs/tags/t" } },
	{ "Kelvin sign and long s fold onto k and s", REFS,
		"{\"repository\":{\"lin\xE2\x84\xAA\xC5\xBF\":{\"clone\":"
		"[{\"href\":\"https://h/r\"}]}},"
		"\"change\\u017f\":[{\"ref\":{\"id\":\"x\"}}]}",
		0, KW_OK, { "https://h/r" }, { "x" } },
	{ "Kelvin sign checked for type as well", PUSH,
		"{\"repository\":{\"lin\\u212as\":1}}", 0, KW_EINVAL, NOTHING },
	{ "other non-ASCII letters do not fold", REFS,
		"{\"r\xC3\xA9pository\":1,\"chang\xC3\xA9s\":1}", 0, KW_OK, NOTHING },
	{ "escaped key", REFS, "{\"\\u0063hanges\":[{\"ref\":{\"id\":\"e\"}}]}",
		0, KW_OK, NONE, { "e" } },
	{ "key with an escaped NUL matches nothing", REFS,
		"{\"changes\\u0000\":1}", 0, KW_OK, NOTHING },

	/* repeated keys are applied in order onto one value, as Go does */
	{ "last string wins, null keeps it", PUSH,
		"{\"repository\":{\"links\":{\"html\":{\"href\":\"https://h/a\","
		"\"href\":\"https://h/b\"}}},"
		"\"repository\":{\"links\":{\"html\":{\"href\":null}}}}",
		0, KW_OK, { "https://h/b" }, NONE },
	{ "objects merge", PUSH,
		"{\"repository\":{\"full_name\":\"w/r\"},\"Repository\":{\"links\":"
		"{\"html\":{\"href\":\"https://h/w/r\"}}}}",
		0, KW_OK, { "https://h/w/r", "ssh://git@h/w/r" }, NONE },
	{ "array decodes into the slice in place", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"name\":\"a\"}},"
		"{\"new\":{\"name\":\"b\"}}]},"
		"\"push\":{\"changes\":[{\"new\":{\"type\":\"tag\"}}]}}",
		0, KW_OK, NONE, { "refs/tags/a" } },
	{ "elements past a shorter array come back", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"a\"}},{\"ref\":{\"id\":\"b\"}}],"
		"\"changes\":[{}],\"changes\":[{},{}]}",
		0, KW_OK, NONE, { "a", "b" } },
	{ "null resets the slice", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"a\"}},{\"ref\":{\"id\":\"b\"}}],"
		"\"changes\":null,\"changes\":[{},{}]}",
		0, KW_OK, NOTHING },
	{ "[] resets the slice", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"a\"}}],\"changes\":[],"
		"\"changes\":[{}]}",
		0, KW_OK, NOTHING },

	/* strings as Go holds them */
	{ "escapes decoded", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"refs\\/heads\\/\\u00e9\\\"q\"}}]}",
		0, KW_OK, NONE, { "refs/heads/\xC3\xA9\"q" } },
	{ "surrogate pair", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"\\ud83d\\ude00\"}}]}",
		0, KW_OK, NONE, { "\xF0\x9F\x98\x80" } },
	{ "lone surrogates become U+FFFD", REFS,
		"{\"changes\":[{\"ref\":{\"id\":"
		"\"a\\ud800b\\udc00\\ud800\\ud83d\\ude00\"}}]}",
		0, KW_OK, NONE,
		{ "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\xF0\x9F\x98\x80" } },
	{ "lone surrogate in an ignored field", MERGED, "{\"x\":\"\\udfff\"}",
		0, KW_OK, NOTHING },
	{ "escaped NUL reads as U+0001", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"a\\u0000b\"}}]}",
		0, KW_OK, NONE, { "a\x01" "b" } },
	{ "escaped NUL dropped from a URL by normalization", PUSH,
		"{\"repository\":{\"links\":{\"html\":{\"href\":\"https://h/r\\u0000x\"}}}}",
		0, KW_OK, { "https://h/rx" }, NONE },
	{ "invalid UTF-8 becomes U+FFFD per byte", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"name\":"
		"\"a\xFF\xC3(\xED\xA0\x80\"}}]}}",
		0, KW_OK, NONE,
		{ "refs/heads/a\xEF\xBF\xBD\xEF\xBF\xBD("
			"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" } },
	{ "valid UTF-8 kept", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"name\":"
		"\"\xC3\xA9\xE2\x82\xAC\xF4\x8F\xBF\xBF\"}}]}}",
		0, KW_OK, NONE, { "refs/heads/\xC3\xA9\xE2\x82\xAC\xF4\x8F\xBF\xBF" } },

	/* one pass, no tree: what the single-pass decoder makes subtle */
	{ "invalid byte before an escape, escape before a stray byte", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"\xC3\\u00e9\\u00e9\x80\"}}]}",
		0, KW_OK, NONE,
		{ "\xEF\xBF\xBD\xC3\xA9\xC3\xA9\xEF\xBF\xBD" } },
	{ "type \"tag\" spelled with escapes", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"type\":\"\\u0074a\\u0067\","
		"\"name\":\"t\"}}]}}",
		0, KW_OK, NONE, { "refs/tags/t" } },
	{ "type \"tag\" with a NUL escape is not a tag", PUSH,
		"{\"push\":{\"changes\":[{\"new\":{\"type\":\"tag\\u0000\","
		"\"name\":\"t\"}}]}}",
		0, KW_OK, NONE, { "refs/heads/t" } },
	{ "folded key at its longest still matches", PUSH,
		"{\"actor\":{\"emailAddre\xC5\xBF\xC5\xBF\":1}}", 0, KW_EINVAL, NOTHING },
	{ "key far longer than any field is ignored", REFS,
		"{\"changeschangeschangeschangeschangeschangeschanges\":1}",
		0, KW_OK, NOTHING },
	{ "self element 0 merged by a repeated key", MERGED,
		"{\"pullRequest\":{\"links\":{\"self\":[{\"href\":\"https://h/p/1\"}],"
		"\"self\":[{},{\"href\":\"https://h/p/2\"}]}}}",
		0, KW_OK, { "https://h/p/1" }, NONE },
	{ "null element keeps what the slice held", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"a\"}}],\"changes\":[null,{}]}",
		0, KW_OK, NONE, { "a" } },
	{ "clone and changes are separate slices", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"a\"}}],\"repository\":{\"links\":"
		"{\"clone\":[{\"href\":\"https://h/r\"},{}]}},\"changes\":[{}]}",
		0, KW_OK, { "https://h/r" }, { "a" } },
	{ "control character after eight plain bytes", PUSH,
		"{\"x\":\"abcdefgh\x1f\"}", 0, KW_EINVAL, NOTHING },
	{ "control character at the end of a word", PUSH,
		"{\"x\":\"abcdefg\x1fhijklmnop\"}", 0, KW_EINVAL, NOTHING },
	{ "quote and backslash at word ends", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"abcdefg\\\"ijklmno\\\\qrstuvw\"}}]}",
		0, KW_OK, NONE, { "abcdefg\"ijklmno\\qrstuvw" } },
	{ "spaces in runs of eight, then tab and newline", PUSH,
		"{                \t\n                 \"x\"        :\r\n        1}",
		0, KW_OK, NOTHING },
	{ "form feed inside a run of spaces", PUSH,
		"{        \f        \"x\":1}", 0, KW_EINVAL, NOTHING },
	{ "DEL and high bytes are plain string bytes", REFS,
		"{\"changes\":[{\"ref\":{\"id\":\"\x7f\xC3\xA9\x7f\x7f\x7f\x7f\x7f\x7f\"}}]}",
		0, KW_OK, NONE, { "\x7f\xC3\xA9\x7f\x7f\x7f\x7f\x7f\x7f" } },

	/* event keys */
	{ "ping is not this module's", "diagnostics:ping", "{\"test\": true}",
		0, KW_EUNSUPPORTED, NOTHING },
	{ "unsupported key", "pullrequest:created", "{}",
		0, KW_EUNSUPPORTED, NOTHING },
	{ "keys are case-sensitive", "REPO:PUSH", "{}", 0, KW_EUNSUPPORTED, NOTHING },
	{ "empty key", "", "{}", 0, KW_EUNSUPPORTED, NOTHING },
	{ "unsupported key wins over a bad body", "nonsense", "[",
		0, KW_EUNSUPPORTED, NOTHING },
};

static enum bitbucket_kind kind_of(const char *key)
{
	return strcmp(key, PUSH) == 0 || strcmp(key, REFS) == 0 ? BITBUCKET_PUSH :
		BITBUCKET_PR;
}

static void check_list(const char *name, const char *what, char *const *got,
	size_t n, const char *const *want)
{
	size_t n_want = 0;

	while (n_want < 5 && want[n_want] != NULL)
		n_want++;
	CHECK_MSG(n == n_want, "%s: %zu %ss, want %zu", name, n, what, n_want);
	for (size_t i = 0; i < n && i < n_want; i++)
		CHECK_MSG(strcmp(got[i], want[i]) == 0, "%s: %s %zu is \"%s\", want \"%s\"",
			name, what, i, got[i], want[i]);
}

static void run_case(const struct tcase *tc)
{
	struct bitbucket_event *ev = NULL;
	struct kw_err err = { { 0 } };
	size_t len = tc->len ? tc->len : strlen(tc->body);
	int rc = bitbucket_parse(&ev, tc->key, tc->body, len, &err);

	CHECK_MSG(rc == tc->status, "%s: status %s, want %s (%s)", tc->name,
		kw_status_str(rc), kw_status_str(tc->status), err.msg);
	if (rc != KW_OK) {
		CHECK_MSG(ev == NULL, "%s: event set on failure", tc->name);
		CHECK_MSG(err.msg[0] != '\0', "%s: no error message", tc->name);
		return;
	}
	CHECK_MSG(ev->kind == kind_of(tc->key), "%s: wrong kind", tc->name);
	check_list(tc->name, "url", ev->urls, ev->n_urls, tc->urls);
	check_list(tc->name, "ref", ev->refs, ev->n_refs, tc->refs);
	bitbucket_event_free(ev);
}

static void test_supported(void)
{
	static const char *const yes[] = { PUSH, REFS, FULFILLED, REJECTED, MERGED, DECLINED };
	static const char *const no[] = { "diagnostics:ping", "repo:push ", "pr:opened",
		"pullrequest:created", "" };

	for (size_t i = 0; i < KW_ARRAY_LEN(yes); i++)
		CHECK_MSG(bitbucket_event_supported(yes[i]), "%s unsupported", yes[i]);
	for (size_t i = 0; i < KW_ARRAY_LEN(no); i++)
		CHECK_MSG(!bitbucket_event_supported(no[i]), "\"%s\" supported", no[i]);
	CHECK(!bitbucket_event_supported(NULL));
	bitbucket_event_free(NULL);
}

static char *body_of_refs(size_t n, bool distinct)
{
	char *body = malloc(64 + n * 40), *p = body;

	p += sprintf(p, "{\"changes\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s{\"ref\":{\"id\":\"refs/heads/b%zu\"}}", i ? "," : "",
			distinct ? i : 0);
	sprintf(p, "]}");
	return body;
}

/* At most MAX_REFS (4096) refs; beyond that none, so all subscribers are
 * refreshed rather than some missed. */
static void test_ref_bound(void)
{
	static const struct { size_t n; bool distinct; size_t want; } t[] = {
		{ 4096, true, 4096 }, { 4097, true, 0 }, { 20000, false, 1 },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(t); i++) {
		struct bitbucket_event *ev = NULL;
		char *body = body_of_refs(t[i].n, t[i].distinct);
		int rc = bitbucket_parse(&ev, REFS, body, strlen(body), NULL);

		CHECK_INT(rc, KW_OK);
		if (ev != NULL) {
			CHECK_INT(ev->n_refs, t[i].want);
			if (t[i].want == 4096)
				CHECK_STR(ev->refs[4095], "refs/heads/b4095");
		}
		bitbucket_event_free(ev);
		free(body);
	}
}

/* At most MAX_URLS (1024) URLs, the first ones. */
static void test_url_bound(void)
{
	struct bitbucket_event *ev = NULL;
	char *body = malloc(64 + 2000 * 40), *p = body;
	int rc;

	p += sprintf(p, "{\"repository\":{\"links\":{\"clone\":[");
	for (size_t i = 0; i < 2000; i++)
		p += sprintf(p, "%s{\"href\":\"https://h/r%zu\"}", i ? "," : "", i);
	sprintf(p, "]}}}");
	rc = bitbucket_parse(&ev, REFS, body, strlen(body), NULL);
	CHECK_INT(rc, KW_OK);
	if (ev != NULL) {
		CHECK_INT(ev->n_urls, 1024);
		CHECK_STR(ev->urls[0], "https://h/r0");
		CHECK_STR(ev->urls[1023], "https://h/r1023");
	}
	bitbucket_event_free(ev);
	free(body);
}

/* n nested arrays under an ignored key: {"x":[[...]]}, depth n + 1. */
static int parse_nested(size_t n, struct kw_err *err)
{
	struct bitbucket_event *ev = NULL;
	char *body = malloc(2 * n + 16);
	int rc;

	memcpy(body, "{\"x\":", 5);
	memset(body + 5, '[', n);
	memset(body + 5 + n, ']', n);
	memcpy(body + 5 + 2 * n, "}", 2);
	rc = bitbucket_parse(&ev, PUSH, body, strlen(body), err);
	bitbucket_event_free(ev);
	free(body);
	return rc;
}

static void test_nesting(void)
{
	struct kw_err err = { { 0 } };

	CHECK_INT(parse_nested(999, &err), KW_OK); /* depth 1000: both accept */
	/* Deviation: Go accepts up to depth 10000; we keep the limit of 1000
	 * the receiver had while it parsed with cJSON. */
	CHECK_INT(parse_nested(1000, &err), KW_EINVAL);
	CHECK(strstr(err.msg, "nested deeper") != NULL);
	CHECK_INT(parse_nested(9999, &err), KW_EINVAL);
	CHECK(strstr(err.msg, "nested deeper") != NULL);
	/* Past Go's own limit the syntax check refuses it. */
	CHECK_INT(parse_nested(10000, &err), KW_EINVAL);
	CHECK(strstr(err.msg, "not valid JSON") != NULL);
}

static void test_big_number(void)
{
	struct bitbucket_event *ev = NULL;
	size_t n = 100000;
	char *body = malloc(n + 16);
	int rc;

	memcpy(body, "{\"x\":", 5);
	memset(body + 5, '7', n);
	memcpy(body + 5 + n, "}", 2);
	rc = bitbucket_parse(&ev, MERGED, body, strlen(body), NULL);
	CHECK_INT(rc, KW_OK);
	bitbucket_event_free(ev);
	free(body);
}

/* The parser must not read past len: the body below is not terminated. */
static void test_unterminated(void)
{
	static const char text[] = "{\"push\":{\"changes\":[{\"new\":{\"name\":\"m\"}}]}}";
	size_t len = sizeof(text) - 1;
	char *body = malloc(len);
	struct bitbucket_event *ev = NULL;
	int rc;

	memcpy(body, text, len);
	rc = bitbucket_parse(&ev, PUSH, body, len, NULL);
	CHECK_INT(rc, KW_OK);
	if (ev != NULL && ev->n_refs == 1)
		CHECK_STR(ev->refs[0], "refs/heads/m");
	bitbucket_event_free(ev);
	for (size_t cut = 0; cut < len; cut++) {
		rc = bitbucket_parse(&ev, PUSH, body, cut, NULL);
		CHECK_MSG(rc == KW_EINVAL, "prefix of %zu bytes: %s", cut, kw_status_str(rc));
	}
	free(body);
}

/* The grammar, then the nesting, then the types: the message names the
 * first problem in that order, wherever each sits in the body. */
static void test_error_order(void)
{
	static const struct {
		const char *body, *want;
	} t[] = {
		{ "{\"actor\":1,\"x\":[}", "not valid JSON" },
		{ "{\"actor\":1} x", "not valid JSON" },
		{ "{\"actor\":{\"name\":[]},\"push\":{\"changes\":\"x\"}}",
			"actor.name: an array where Kargo decodes a string" },
		{ "{\"push\":{\"changes\":[{\"new\":{\"name\":1}}]}}",
			"push.changes[].new.name: a number where Kargo decodes a string" },
		{ "[1]", "body: an array where Kargo decodes an object" },
	};
	struct kw_err err = { { 0 } };
	struct bitbucket_event *ev = NULL;

	for (size_t i = 0; i < KW_ARRAY_LEN(t); i++) {
		int rc = bitbucket_parse(&ev, PUSH, t[i].body, strlen(t[i].body), &err);

		CHECK_INT(rc, KW_EINVAL);
		CHECK_MSG(strstr(err.msg, t[i].want) != NULL, "%s: \"%s\", want \"%s\"",
			t[i].body, err.msg, t[i].want);
	}
}

/* A type error before deep nesting: the nesting is reported, as a tree
 * parse would have failed before any type was looked at. */
static void test_error_order_nesting(void)
{
	size_t n = 1000;
	char *body = malloc(2 * n + 32);
	struct kw_err err = { { 0 } };
	struct bitbucket_event *ev = NULL;
	int rc;

	memcpy(body, "{\"actor\":1,\"x\":", 15);
	memset(body + 15, '[', n);
	memset(body + 15 + n, ']', n);
	memcpy(body + 15 + 2 * n, "}", 2);
	rc = bitbucket_parse(&ev, PUSH, body, strlen(body), &err);
	CHECK_INT(rc, KW_EINVAL);
	CHECK(strstr(err.msg, "nested deeper") != NULL);
	free(body);
}

/* Past LINEAR_MAX (16) refs the set switches to a hash table: duplicates
 * on both sides of the switch are still found. */
static void test_dedup_switch(void)
{
	struct bitbucket_event *ev = NULL;
	char *body = malloc(64 + 60 * 40), *p = body;
	int rc;

	p += sprintf(p, "{\"changes\":[");
	for (size_t i = 0; i < 60; i++)
		p += sprintf(p, "%s{\"ref\":{\"id\":\"r%zu\"}}", i ? "," : "", i % 20);
	sprintf(p, "]}");
	rc = bitbucket_parse(&ev, REFS, body, strlen(body), NULL);
	CHECK_INT(rc, KW_OK);
	if (ev != NULL) {
		CHECK_INT(ev->n_refs, 20);
		for (size_t i = 0; i < ev->n_refs && i < 20; i++) {
			char want[16];

			snprintf(want, sizeof(want), "r%zu", i);
			CHECK_STR(ev->refs[i], want);
		}
	}
	bitbucket_event_free(ev);
	free(body);
}

/* Strings larger than the stack part of the arena, escaped and not. */
static void test_long_strings(void)
{
	size_t n = 5000;
	char *body = malloc(16 * n + 128), *p = body, *want = malloc(2 * n + 1);
	struct bitbucket_event *ev = NULL;
	int rc;

	p += sprintf(p, "{\"changes\":[{\"ref\":{\"id\":\"");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "\\u00e9");
	p += sprintf(p, "\"}},{\"ref\":{\"id\":\"");
	memset(p, 'x', n);
	p += n;
	sprintf(p, "\"}}]}");
	for (size_t i = 0; i < n; i++)
		memcpy(want + 2 * i, "\xC3\xA9", 2);
	want[2 * n] = '\0';
	rc = bitbucket_parse(&ev, REFS, body, strlen(body), NULL);
	CHECK_INT(rc, KW_OK);
	if (ev != NULL && ev->n_refs == 2) {
		CHECK(strcmp(ev->refs[0], want) == 0);
		CHECK_INT(strlen(ev->refs[1]), n);
		CHECK(strspn(ev->refs[1], "x") == n);
	}
	bitbucket_event_free(ev);
	free(body);
	free(want);
}

int main(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++)
		run_case(&cases[i]);
	test_supported();
	test_ref_bound();
	test_url_bound();
	test_nesting();
	test_big_number();
	test_unterminated();
	test_error_order();
	test_error_order_nesting();
	test_dedup_switch();
	test_long_strings();
	TEST_DONE("test_bitbucket");
}
