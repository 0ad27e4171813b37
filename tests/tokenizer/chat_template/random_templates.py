#!/usr/bin/python3
"""Writes random small Jinja templates (and one shared context) as a JSON list
of {"source", "context"} jobs for the differential test: each is rendered by
our interpreter and by Python's jinja2 (tools/render_template.py), and the two
must agree (same text, or both an error).

    random_templates.py COUNT SEED > jobs.json

The grammar mixes the features chat templates use: literals, variables,
attribute/item access, slicing, arithmetic, comparisons, filters, tests, string
and dict methods, conditionals, loops with `loop.*`, set / namespace, macros,
and whitespace control with random spacing and newlines around tags.
"""
import json
import random
import sys

CONTEXT = {
    "s": "  Hello, World! <b>&'\"  ",
    "t": "a,b,,c",
    "u": "caf\u00e9 \u65e5\u672c",
    "n": 7,
    "m": -3,
    "f": 2.5,
    "g": 0.1,
    "b": True,
    "z": None,
    "l": [3, 1, "x", None, 2.0],
    "nums": [5, 3, 8, 1],
    "words": ["b", "A", "c", "a"],
    "d": {"k": "v", "n": 1, "items": [1, 2], "nested": {"x": [1, {"y": "z"}]}},
    "msgs": [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": " hi "},
        {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]},
        {"role": "tool", "content": "{\"r\": 1}"},
    ],
}

VARS = ["s", "t", "u", "n", "m", "f", "g", "b", "z", "l", "nums", "words", "d", "msgs", "nope"]
STR_LITS = ["'a'", "\"b c\"", "'x\\ny'", "''", "'It''s'", "'<&>'", "' pad '"]
FILTERS0 = ["trim", "length", "upper", "lower", "capitalize", "title", "first", "last", "list",
            "string", "tojson", "int", "float", "abs", "unique", "sort", "reverse", "items",
            "dictsort", "safe", "count", "sum", "max", "min", "e"]
TESTS0 = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping",
          "iterable", "sequence", "boolean", "true", "false", "odd", "even", "lower", "upper"]
METHODS = ["strip()", "upper()", "lower()", "split(',')", "split()", "startswith('a')",
           "endswith('!')", "replace('l', 'L')", "title()", "get('k')", "get('q', 'dflt')",
           "keys()|list", "values()|list", "items()|list", "lstrip()", "rstrip(' ')"]


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.depth = 0

    def choice(self, xs):
        return self.r.choice(xs)

    def atom(self):
        k = self.r.randrange(10)
        if k < 4:
            return self.choice(VARS)
        if k == 4:
            return self.choice(STR_LITS)
        if k == 5:
            return str(self.r.randint(-3, 12))
        if k == 6:
            return self.choice(["1.5", "0.25", "3.0", "1e3", "true", "false", "none"])
        if k == 7:
            return "[" + ", ".join(self.expr() for _ in range(self.r.randrange(3))) + "]"
        if k == 8:
            return "{" + ", ".join("%s: %s" % (self.choice(["'k'", "'a'", "'b'"]), self.expr())
                                   for _ in range(self.r.randrange(3))) + "}"
        return "(" + self.expr() + ")"

    def postfix(self, e):
        k = self.r.randrange(8)
        if k == 0:
            return e + "." + self.choice(["k", "n", "role", "content", "nested", "items", "x", "q"])
        if k == 1:
            return e + "[" + self.choice(["0", "-1", "1", "'k'", "'role'", "n", "5"]) + "]"
        if k == 2 and e in VARS:
            # (slices of literals are constant-folded by jinja2's optimizer,
            # which turns a TypeError into Undefined: only slice variables)
            return e + "[" + self.choice(["1:", ":-1", "::2", "::-1", "1:3", ":"]) + "]"
        if k == 3:
            return e + "." + self.choice(METHODS)
        return e

    def filt(self, e):
        k = self.r.randrange(12)
        if k < 5:
            return e + "|" + self.choice(FILTERS0)
        if k == 5:
            return e + "|join(" + self.choice(["', '", "'-'", ""]) + ")"
        if k == 6:
            return e + "|default(" + self.choice(["'dflt'", "'d', true", "0"]) + ")"
        if k == 7:
            return e + "|replace(" + self.choice(["'a', 'b'", "'l', ''", "' ', '_'"]) + ")"
        if k == 8:
            return e + "|" + self.choice(["selectattr('role', 'equalto', 'user')|list",
                                          "map(attribute='role')|list", "rejectattr('content')|list",
                                          "select('odd')|list", "reject('none')|list",
                                          "map('string')|join(',')", "batch(2)|list"])
        if k == 9:
            return e + "|" + self.choice(["tojson(indent=2)", "indent(2)", "indent(2, true)",
                                          "round(1)", "center(9)", "trim('!')", "int(5)"])
        return e

    def unary(self):
        e = self.atom()
        if self.depth < 3:
            e = self.postfix(e)
            e = self.filt(e)
        if self.r.random() < 0.15:
            e = self.choice(["-", "not "]) + e
        return e

    def expr(self):
        self.depth += 1
        try:
            if self.depth > 3:
                return self.atom()
            k = self.r.randrange(10)
            if k < 4:
                return self.unary()
            if k == 4:
                op = self.choice(["+", "-", "*", "/", "//", "%", "~", "**"])
                return "%s %s %s" % (self.unary(), op, self.unary())
            if k == 5:
                op = self.choice(["==", "!=", "<", ">", "<=", ">=", "in", "not in"])
                return "%s %s %s" % (self.unary(), op, self.unary())
            if k == 6:
                return "%s %s %s" % (self.unary(), self.choice(["and", "or"]), self.unary())
            if k == 7:
                neg = self.choice(["", "not "])
                t = self.choice(TESTS0 + ["divisibleby 3", "equalto 7", "in [1, 7]", "sameas none"])
                return "%s is %s%s" % (self.unary(), neg, t)
            if k == 8:
                return "%s if %s else %s" % (self.unary(), self.unary(), self.unary())
            return self.unary()
        finally:
            self.depth -= 1

    def ws(self):
        return self.choice(["", "", " ", "\n", "  \n", "\n  ", "\t", "x", "\n\n"])

    def tag(self, body):
        return "{%" + self.choice(["", "", "-", "+"]) + " " + body + " " + self.choice(["", "", "-"]) + "%}"

    def out(self):
        return "{{" + self.choice(["", "", "-"]) + " " + self.expr() + " " + self.choice(["", "", "-"]) + "}}"

    def block(self, depth=0):
        parts = []
        for _ in range(self.r.randint(1, 3)):
            parts.append(self.ws())
            k = self.r.randrange(9) if depth < 2 else 0
            if k <= 2:
                parts.append(self.out())
            elif k == 3:
                parts.append(self.tag("if " + self.expr()) + self.block(depth + 1))
                if self.r.random() < 0.5:
                    parts.append(self.tag("elif " + self.expr()) + self.block(depth + 1))
                if self.r.random() < 0.5:
                    parts.append(self.tag("else") + self.block(depth + 1))
                parts.append(self.tag("endif"))
            elif k == 4:
                target = self.choice(["x", "x", "k, v"])
                it = self.choice(["l", "nums", "words", "msgs", "d", "d|items", "s", "range(3)",
                                  "nope", "z"]) if target == "x" else self.choice(["d|items", "d.items()", "[[1, 2]]"])
                cond = " if " + self.expr() if self.r.random() < 0.2 else ""
                loopv = self.choice(["loop.index", "loop.first", "loop.last", "loop.length",
                                     "loop.revindex0", "loop.previtem", "loop.nextitem", "x", "k"])
                body = self.block(depth + 1) + "{{ " + loopv + " }}"
                if self.r.random() < 0.2:
                    body += self.tag("if loop.index > 1") + self.tag(self.choice(["break", "continue"])) + self.tag("endif")
                parts.append(self.tag("for %s in %s%s" % (target, it, cond)) + body)
                if self.r.random() < 0.2:
                    parts.append(self.tag("else") + "empty")
                parts.append(self.tag("endfor"))
            elif k == 5:
                # (a top-level `set` of a name a macro reads differs from jinja2 before
                # the assignment: jinja2's macro sees Undefined there; keep names apart)
                name = self.choice(["newv", "newv2"])
                parts.append(self.tag("set %s = %s" % (name, self.expr())) + self.ws() + "{{ " + name + " }}")
            elif k == 6:
                parts.append(self.tag("set ns = namespace(v=%s)" % self.expr()) +
                             self.tag("for x in nums") + self.tag("set ns.v = ns.v ~ x") + self.tag("endfor") +
                             "{{ ns.v }}")
            elif k == 7:
                parts.append(self.tag("macro mm(a, b='B')") + self.block(depth + 1) + "{{ a }}{{ b }}" +
                             self.tag("endmacro") + "{{ mm(%s) }}" % self.expr())
            else:
                parts.append(self.tag("filter " + self.choice(["upper", "trim", "title"])) +
                             self.block(depth + 1) + self.tag("endfilter"))
            parts.append(self.ws())
        return "".join(parts)


class TypedGen(Gen):
    """Well-typed expressions (strings, ints, floats, bools, lists, dicts), so
    that most templates render instead of failing: this checks the values."""

    def s_(self):
        self.depth += 1
        try:
            base = ["s", "t", "u", "d.k", "msgs[1].content", "msgs[0]['role']", "'x\\ny'",
                    "' pad '", "'It''s'", "\"q'\\\"\"", "'caf\u00e9'"]
            if self.depth > 3:
                return self.choice(base)
            k = self.r.randrange(16)
            if k < 3:
                return self.choice(base)
            if k == 3:
                return "%s ~ %s" % (self.s_(), self.choice([self.i_(), self.f_(), self.b_(), self.l_()]))
            if k == 4:
                return "(%s + %s)" % (self.s_(), self.s_())
            if k == 5:
                return self.s_() + "|" + self.choice(["trim", "upper", "lower", "title", "capitalize",
                                                       "reverse", "string", "e", "safe", "indent(2)",
                                                       "indent(3, true)", "center(11)", "replace('a', 'A')",
                                                       "replace(' ', '')", "trim('!')", "wordcount|string"])
            if k == 6:
                return "(%s).%s" % (self.s_(), self.choice(["strip()", "upper()", "lower()", "title()",
                                                             "capitalize()", "lstrip()", "rstrip('! ')",
                                                             "replace('l', 'L', 1)", "split(',')|join('+')",
                                                             "split()|join('_')", "splitlines()|join('/')",
                                                             "center(9, '*')", "zfill(8)", "ljust(9, '.')"]))
            if k == 7:
                return "(%s)[%s]" % (self.s_(), self.choice(["1:", ":-2", "::2", "::-1", "2:5", "0", "-1"]))
            if k == 8:
                return self.l_() + "|join(%s)" % self.choice(["", "', '", "'|'"])
            if k == 9:
                return self.choice([self.l_(), self.d_(), self.s_(), self.i_(), self.f_()]) + "|" + self.choice(
                    ["tojson", "tojson(indent=2)", "tojson(sort_keys=true)", "string"])
            if k == 10:
                return "'%%s/%%d' %% (%s, %s)" % (self.s_(), self.i_())
            if k == 11:
                return "(%s if %s else %s)" % (self.s_(), self.b_(), self.s_())
            if k == 12:
                return "(%s * %s)" % (self.s_(), self.r.randint(0, 3))
            if k == 13:
                return self.l_() + "|" + self.choice(["first", "last", "string", "length|string"])
            if k == 14:
                return "%s|default(%s)" % (self.choice(["nope", "d.q", "s"]), self.s_())
            return self.i_() + "|string"
        finally:
            self.depth -= 1

    def i_(self):
        self.depth += 1
        try:
            base = ["n", "m", "3", "0", "-2", "12", "nums[0]", "d.n"]
            if self.depth > 3:
                return self.choice(base)
            k = self.r.randrange(10)
            if k < 3:
                return self.choice(base)
            if k == 3:
                return "(%s %s %s)" % (self.i_(), self.choice(["+", "-", "*", "//", "%"]), self.choice(["3", "-4", "n", "7"]))
            if k == 4:
                return self.choice([self.s_(), self.l_(), self.d_()]) + "|length"
            if k == 5:
                return self.l_num() + "|" + self.choice(["sum", "max", "min", "first", "last"])
            if k == 6:
                return "(%s).%s" % (self.s_(), self.choice(["find('o')", "count('a')", "rfind(',')"]))
            if k == 7:
                return self.f_() + "|" + self.choice(["int", "round|int", "round(0, 'floor')|int"])
            if k == 8:
                return "-" + self.i_()
            return "(%s)|abs" % self.i_()
        finally:
            self.depth -= 1

    def f_(self):
        k = self.r.randrange(8)
        if k < 2:
            return self.choice(["f", "g", "1.5", "0.1", "1e15", "1.5e-7", "100.0", "-0.0", "1e16"])
        if k == 2:
            return "(%s / %s)" % (self.i_(), self.choice(["3", "7", "-2", "4"]))
        if k == 3:
            return "(%s %s %s)" % (self.f_(), self.choice(["+", "-", "*"]), self.choice(["0.2", "3", "f", "g"]))
        if k == 4:
            return self.f_() + "|round(%d)" % self.r.randint(0, 3)
        if k == 5:
            return self.i_() + "|float"
        if k == 6:
            return "(%s ** %s)" % (self.choice(["2", "2.5", "10"]), self.choice(["-1", "3", "0.5", "-2"]))
        return "(%s // %s)" % (self.f_(), self.choice(["0.3", "2", "-1.5"]))

    def b_(self):
        k = self.r.randrange(8)
        if k == 0:
            return self.choice(["b", "true", "false", "not b"])
        if k == 1:
            return "%s %s %s" % (self.i_(), self.choice(["==", "!=", "<", ">", "<=", ">="]), self.i_())
        if k == 2:
            return "%s %s %s" % (self.s_(), self.choice(["==", "!=", "<", ">", "in", "not in"]), self.s_())
        if k == 3:
            return "%s in %s" % (self.choice([self.i_(), self.s_()]), self.l_())
        if k == 4:
            return "%s is %s" % (self.choice([self.s_(), self.i_(), self.l_(), self.d_(), "z", "nope", self.f_()]),
                                 self.choice(TESTS0[:-4] + ["not none", "not defined", "divisibleby 3"]))
        if k == 5:
            return "(%s %s %s)" % (self.b_(), self.choice(["and", "or"]), self.b_())
        if k == 6:
            return "(%s).%s" % (self.s_(), self.choice(["startswith('a')", "endswith('!')", "isdigit()", "islower()"]))
        return "%s == %s" % (self.l_(), self.l_())

    def l_num(self):
        return self.choice(["nums", "[1, 2.5, -3]", "range(5)|list", "nums|sort", "nums|reverse|list",
                            "nums|select('odd')|list", "(nums + [4])", "nums[1:]", "[n, m]"])

    def l_(self):
        k = self.r.randrange(10)
        if k < 3:
            return self.choice(["l", "nums", "words", "[]", "['x', 1, none, true]", "d.nested.x"])
        if k == 3:
            return self.l_num()
        if k == 4:
            return "words|" + self.choice(["sort|list", "sort(reverse=true)|list", "unique|list",
                                           "sort(case_sensitive=true)|list", "map('upper')|list", "reject('lower')|list"])
        if k == 5:
            return "msgs|" + self.choice(["map(attribute='role')|list", "selectattr('role', 'equalto', 'user')|list",
                                          "rejectattr('content')|list", "selectattr('content')|map(attribute='content')|list",
                                          "map(attribute='tool_calls', default='-')|list"])
        if k == 6:
            return "(%s).split(%s)" % (self.s_(), self.choice(["", "','", "' '"]))
        if k == 7:
            return "d|" + self.choice(["items|list", "dictsort", "list", "dictsort(by='value')|list"])
        if k == 8:
            return "(%s)|batch(2)|list" % self.l_num()
        return "[%s, %s]" % (self.s_(), self.i_())

    def d_(self):
        return self.choice(["d", "msgs[2]", "d.nested", "{'a': %s, 'b': %s}" % (self.s_(), self.i_()),
                            "dict(x=%s)" % self.f_(), "msgs[2].tool_calls[0].function"])

    def expr(self):
        return self.choice([self.s_, self.s_, self.i_, self.f_, self.b_, self.l_, self.d_])()


def main():
    count, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    g = Gen(rng)
    tg = TypedGen(rng)
    jobs = [{"source": (tg if i % 2 else g).block(), "context": CONTEXT} for i in range(count)]
    sys.stdout.write(json.dumps(jobs))


if __name__ == "__main__":
    main()
