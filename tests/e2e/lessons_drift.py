#!/usr/bin/env python3
"""tests/e2e/lessons_drift.py — is a lesson's starter still a copy of its unit?

Usage: lessons_drift.py STARTER.c REFERENCE.c

A starter is the project's unit with some function bodies left for the
student (they hold "TODO(student)") and perhaps some static helpers taken
out. Everything else must be the unit's own code, word for word: if the
unit changes (a fixed bug, a new rule) and the starter does not, a student
who writes every TODO correctly still fails, and nobody notices, because
the starter fails its check anyway. This compares every top-level function
of the reference that the starter neither stubs nor leaves out, and the
#include lines; it prints what differs and exits 1, or exits 0.

Functions are found the simple way that fits this code base (STYLE.md):
a definition starts at column 0 with its name before "(" and its body is
the brace-balanced block after it.
"""
import re
import sys

DEF = re.compile(r"^(?![#\s{}/*])[^;(=]*?\b(\w+)\s*\([^;]*$")


def functions(text):
    """name -> the whole definition (signature through closing brace)."""
    out = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = DEF.match(lines[i])
        if not m:
            i += 1
            continue
        name, start = m.group(1), i
        # find the opening brace, then balance
        j, depth, seen = i, 0, False
        while j < len(lines):
            for ch in lines[j]:
                if ch == "{":
                    depth += 1
                    seen = True
                elif ch == "}":
                    depth -= 1
            if seen and depth == 0:
                break
            if not seen and lines[j].rstrip().endswith(";"):
                break                       # a prototype, not a definition
            j += 1
        if seen:
            out[name] = "\n".join(lines[start:j + 1])
        i = j + 1
    return out


def includes(text):
    return sorted(l.strip() for l in text.split("\n") if l.startswith("#include"))


def main():
    starter_path, reference_path = sys.argv[1], sys.argv[2]
    starter, reference = open(starter_path).read(), open(reference_path).read()
    s_funcs, r_funcs = functions(starter), functions(reference)
    problems = []
    for name, body in r_funcs.items():
        if name not in s_funcs:
            continue                        # left out for the student to write
        if "TODO(student)" in s_funcs[name]:
            continue                        # the student's to write
        if s_funcs[name] != body:
            problems.append("%s() differs from %s" % (name, reference_path))
    for name in s_funcs:
        if name not in r_funcs and "TODO(student)" not in s_funcs[name]:
            problems.append("%s() is in the starter but not in %s" % (name, reference_path))
    missing = set(includes(reference)) - set(includes(starter))
    for inc in sorted(missing):
        problems.append("%s is in %s but not in the starter" % (inc, reference_path))
    if not any("TODO(student)" in b for b in s_funcs.values()):
        problems.append("no function is left for the student (no TODO(student))")
    for p in problems:
        print("  drift: %s: %s" % (starter_path, p))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
