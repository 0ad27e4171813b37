#!/usr/bin/python3
"""Reference chat-template renderer: Python's jinja2 set up the way Hugging Face
transformers' apply_chat_template sets it up.

    /usr/bin/python3 tools/render_template.py TEMPLATE.jinja < context.json

The context is a JSON object whose keys become template variables (messages,
tools, bos_token, eos_token, add_generation_prompt, any extra kwargs); key order
is kept; a null is Python's None (leave a key out to make it undefined).
Prints the rendering to stdout exactly (no trailing newline added) and exits 0;
on a template error prints "ERROR: <type>: <message>" to stdout and exits 3.

    /usr/bin/python3 tools/render_template.py --batch < jobs.json

renders many at once: stdin is a JSON list of {"template": PATH, "context": {...}}
(or "source": TEXT instead of a path); stdout is a JSON list, one entry per job:
{"ok": true, "output": TEXT} or {"ok": false, "error": "<type>: <message>"}.

Environment (as transformers does it):
  ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                extensions=[loopcontrols, generation tracker])
  tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
      = json.dumps with the same arguments (no HTML escaping)
  raise_exception(msg) raises TemplateError(msg)
  strftime_now(fmt) = datetime.now().strftime(fmt)
IMPETUS_TEMPLATE_NOW="YYYY-MM-DD HH:MM:SS" pins the clock (the C++ side has the same hook).
"""
import json
import os
import sys
import warnings
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment


class GenerationTracker(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}: renders its body unchanged
    (transformers uses it only to record assistant-token spans)."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def now():
    pinned = os.environ.get("IMPETUS_TEMPLATE_NOW")
    if pinned:
        return datetime.strptime(pinned, "%Y-%m-%d %H:%M:%S")
    return datetime.now()


def strftime_now(fmt):
    return now().strftime(fmt)


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(source, context):
    template = make_env().from_string(source)
    return template.render(**context)


def render_job(job):
    if "source" in job:
        source = job["source"]
    else:
        with open(job["template"], encoding="utf-8") as f:
            source = f.read()
    try:
        return {"ok": True, "output": render(source, job["context"])}
    except Exception as e:  # any template failure is a result, not a crash
        return {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}


def main():
    # jinja2 compiles templates to Python: keep Python's SyntaxWarnings about
    # odd template expressions (1[0]) out of the output.
    warnings.simplefilter("ignore")
    if len(sys.argv) == 2 and sys.argv[1] == "--batch":
        jobs = json.loads(sys.stdin.read())
        sys.stdout.write(json.dumps([render_job(j) for j in jobs], ensure_ascii=True))
        return 0
    if len(sys.argv) != 2:
        sys.stderr.write("usage: render_template.py TEMPLATE.jinja < context.json\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        source = f.read()
    context = json.loads(sys.stdin.read())
    try:
        out = render(source, context)
    except Exception as e:  # any template failure: report, never a traceback
        sys.stdout.write("ERROR: %s: %s" % (type(e).__name__, e))
        return 3
    sys.stdout.buffer.write(out.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
