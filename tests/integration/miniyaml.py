"""A strict reader for the YAML subset of Kubernetes manifests, for tests
that must read deploy/ without PyYAML: block mappings and block sequences
(including "- key: value" items), plain, single- and double-quoted
scalars, comments and "---" between documents. Anything else (flow
collections, block scalars, anchors, tags) raises ValueError, so a test
never checks a misread object.

Scalars stay strings, except that plain true/false become booleans and
plain integers become ints, as Kubernetes reads them."""
import re

_KEY = re.compile(r"""^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s'"#][^#]*?):(?:\s+|$)(.*)$""")


def _strip_comment(text):
    """The line without a trailing comment (a # after white space, outside
    quotes)."""
    quote = None
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    return text.rstrip()


def _scalar(text, where):
    if text == "":
        return None
    if text[0] == '"':
        if len(text) < 2 or not text.endswith('"'):
            raise ValueError("%s: unterminated string" % where)
        body = text[1:-1]
        if re.search(r'\\[^"\\/nt]', body):
            raise ValueError("%s: unsupported escape in %s" % (where, text))
        return (body.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t")
                .replace("\\/", "/").replace("\\\\", "\\"))
    if text[0] == "'":
        if len(text) < 2 or not text.endswith("'"):
            raise ValueError("%s: unterminated string" % where)
        return text[1:-1].replace("''", "'")
    if text[0] in "{[|>&*!%@`":
        raise ValueError("%s: unsupported YAML: %s" % (where, text))
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return text


class _Lines:
    def __init__(self, lines, name):
        self.items = lines  # [(indent, text, lineno)]
        self.i = 0
        self.name = name

    def peek(self):
        return self.items[self.i] if self.i < len(self.items) else None

    def where(self, lineno):
        return "%s:%d" % (self.name, lineno)


def _node(ls, indent):
    """The node whose lines start at ls's position, indented by indent."""
    first = ls.peek()
    if first[1].startswith("- ") or first[1] == "-":
        return _sequence(ls, first[0])
    return _mapping(ls, first[0])


def _value_after_key(ls, indent, rest, lineno):
    if rest != "":
        return _scalar(rest, ls.where(lineno))
    nxt = ls.peek()
    if nxt is None:
        return None
    # A nested block is deeper, or a sequence at the key's own indent.
    if nxt[0] > indent or (nxt[0] == indent and nxt[1].startswith("-")):
        return _node(ls, nxt[0])
    return None


def _mapping(ls, indent):
    out = {}
    while True:
        line = ls.peek()
        if line is None or line[0] < indent:
            return out
        ind, text, lineno = line
        if ind > indent:
            raise ValueError("%s: unexpected indentation" % ls.where(lineno))
        if text.startswith("-"):
            return out  # a sequence at the parent key's indent ends here
        m = _KEY.match(text)
        if not m:
            raise ValueError("%s: not a mapping entry: %s" % (ls.where(lineno), text))
        key = _scalar(m.group(1).strip(), ls.where(lineno))
        if key in out:
            raise ValueError("%s: duplicate key %s" % (ls.where(lineno), key))
        ls.i += 1
        out[key] = _value_after_key(ls, indent, m.group(2).strip(), lineno)


def _sequence(ls, indent):
    out = []
    while True:
        line = ls.peek()
        if line is None or line[0] != indent or not (line[1] == "-" or line[1].startswith("- ")):
            if line is not None and line[0] > indent:
                raise ValueError("%s: unexpected indentation" % ls.where(line[2]))
            return out
        ind, text, lineno = line
        rest = text[1:].lstrip()
        if rest == "":
            ls.i += 1
            nxt = ls.peek()
            out.append(_node(ls, nxt[0]) if nxt is not None and nxt[0] > indent else None)
        elif _KEY.match(rest):
            # "- key: value": a mapping whose first line shares the dash's.
            inner = indent + (len(text) - len(rest))
            ls.items[ls.i] = (inner, rest, lineno)
            out.append(_mapping(ls, inner))
        else:
            ls.i += 1
            out.append(_scalar(rest, ls.where(lineno)))


def load_all(text, name="<yaml>"):
    """Every document in text, in order; empty documents are left out."""
    docs, current = [], []
    for lineno, raw in enumerate(text.split("\n"), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ValueError("%s:%d: tab in indentation" % (name, lineno))
        if raw.rstrip() == "---" or raw.startswith("--- "):
            docs.append(current)
            current = []
            continue
        text_part = _strip_comment(raw)
        if text_part.strip() == "":
            continue
        current.append((len(text_part) - len(text_part.lstrip()), text_part.strip(), lineno))
    docs.append(current)
    out = []
    for lines in docs:
        if not lines:
            continue
        ls = _Lines(lines, name)
        node = _node(ls, lines[0][0])
        if ls.peek() is not None:
            raise ValueError("%s: unexpected content" % ls.where(ls.peek()[2]))
        out.append(node)
    return out
