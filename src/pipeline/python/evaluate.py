# -*- coding: utf-8 -*-
"""hm's evaluator of Python pipeline files (started by src/pipeline/python/python-eval.ts).

argv[1] is the request, JSON: {"root", "now", "paths", "limitSeconds"}. The
answer goes to the original stdout, one JSON message a line; everything the
pipeline files print (print, os.write(1), subprocesses) goes to stderr, so
nothing they do can forge an answer. Written for old Pythons up to the
version check, so a too-old python3 is named instead of failing to parse.
"""
import json
import os
import sys

if sys.version_info < (3, 10):
    version = "%d.%d.%d" % tuple(sys.version_info[:3])
    for message in ({"type": "python_too_old", "version": version}, {"type": "done"}):
        os.write(1, (json.dumps(message) + "\n").encode("utf-8"))
    sys.exit(0)

answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)


def say(message):
    answers.write(json.dumps(message) + "\n")
    answers.flush()


def shown(path, root):
    path = os.path.abspath(path)
    for base in (root, os.path.realpath(root)):
        if path.startswith(base + os.sep):
            return os.path.relpath(path, base)
    return path


def in_project(path, root):
    return any(path.startswith(base + os.sep) for base in (root, os.path.realpath(root)))


def located(error, root, sdk, source):
    """Where ``error`` happened, as "file:line": the innermost frame in the project's own files."""
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        return "%s:%d" % (shown(error.filename, root), error.lineno)
    where = None
    trace = error.__traceback__
    while trace is not None:
        name = os.path.abspath(trace.tb_frame.f_code.co_filename)
        if in_project(name, root) and not name.startswith(sdk + os.sep):
            where = "%s:%d" % (shown(name, root), trace.tb_lineno)
        trace = trace.tb_next
    if where is None:
        return source
    if not where.startswith(source + ":"):
        return "%s (while evaluating %s)" % (where, source)
    return where


def failure(error, root, sdk, source, context=""):
    if isinstance(error, SystemExit):
        message = "%s: called sys.exit(%r)" % (located(error, root, sdk, source), error.code)
        return {"type": "failed", "message": message,
                "hint": "a pipeline file only declares pipelines; it must not end the process"}
    if isinstance(error, SyntaxError):
        text = "%s: %s" % (type(error).__name__, error.msg)
    else:
        # The SDK's own "hm: " prefix says nothing more beside hm's own report.
        text = "%s: %s" % (type(error).__name__, str(error).replace("hm: ", "", 1) if str(error).startswith("hm: ") else error)
    lines = text.split("\n")
    # The SDK's messages put what to do on lines starting with an arrow.
    what = [line for line in lines if not line.strip().startswith("→")]
    todo = [line.strip().lstrip("→").strip() for line in lines if line.strip().startswith("→")]
    message = "%s: %s%s" % (located(error, root, sdk, source), context, " ".join(l.strip() for l in what if l.strip()))
    answer = {"type": "failed", "message": message}
    if todo:
        answer["hint"] = "; ".join(todo)
    return answer


def main():
    import importlib.util
    import resource

    request = json.loads(sys.argv[1])
    root = os.path.abspath(request["root"])
    sdk = os.path.dirname(os.path.abspath(__file__))
    paths = request["paths"]
    # Only fires when hm is gone and cannot kill us at its time limit.
    cpu = int(2 * request["limitSeconds"] * (len(paths) + 1) + 5)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    # The SDK first, whatever PYTHONSAFEPATH or PYTHONPATH say (an installed harmont never replaces it),
    # then the project's own modules, as with `python3 -c` in its root.
    sys.path[:0] = [sdk, ""]

    import harmont
    from harmont import _registry
    from harmont._envelope import render_entries

    owner = []
    for path in paths:
        source = shown(path, root)
        say({"type": "file", "path": path})
        before = len(_registry.REGISTRATIONS)
        stem = os.path.splitext(os.path.basename(path))[0]
        try:
            spec = importlib.util.spec_from_file_location("_harmont_" + stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except BaseException as error:  # noqa: BLE001 (anything a pipeline file does is its failure)
            say(failure(error, root, sdk, source))
            return
        owner.extend([path] * (len(_registry.REGISTRATIONS) - before))

    entries = render_entries(now=request["now"], base_path=root)
    for index, path in enumerate(owner):
        registration = _registry.REGISTRATIONS[index]
        say({"type": "file", "path": path})
        try:
            _, entry = next(entries)
        except BaseException as error:  # noqa: BLE001
            say(failure(error, root, sdk, shown(path, root), "pipeline '%s': " % registration.slug))
            return
        say({"type": "entry", "path": path, "entry": entry})
    from harmont._install_marks import lowered_pairs

    say({"type": "installers", "pairs": lowered_pairs()})
    del harmont


main()
say({"type": "done"})
