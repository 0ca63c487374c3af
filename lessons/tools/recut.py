#!/usr/bin/env python3
"""lessons/tools/recut.py — cut a lesson's starter again from its unit.

Usage: lessons/tools/recut.py STARTER.c REFERENCE.c      (rewrites STARTER.c)
   or: lessons/tools/recut.py --all                      (every lesson)

When a unit changes (core/feed.c gets a fix, say), its starter must follow,
or tests/e2e/lessons_check.sh reports drift. This takes the new unit and
keeps from the old starter only what makes it a starter:
  - its opening comment (the one addressed to the student);
  - every function holding "TODO(student)", as the starter has it;
  - the absence of every function the starter leaves out (a helper the
    student writes), together with the comment above it.
Everything else comes from the unit, so the starter is again a copy of it
but for the TODOs. Check the result: it must still build warnings-clean
(a helper the unit now calls from a kept function may need to stay), and
`tests/e2e/lessons_check.sh` must pass.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
from lessons_drift import functions  # noqa: E402  (the same parser as the check)


def spans(text):
    """name -> (start, end) character offsets of each function definition,
    the comment block right above it included."""
    out = {}
    for name, body in functions(text).items():
        start = text.index(body)
        before = text[:start]
        m = re.search(r"(/\*(?:(?!\*/).)*\*/\n)$", before, re.S)
        if m:
            start = m.start()
        end = text.index(body) + len(body)
        while end < len(text) and text[end] == "\n" and text[end + 1:end + 2] == "\n":
            end += 1
        out[name] = (start, end + 1)
    return out


def opening_comment(text):
    return text[:text.index("*/") + 3] if text.startswith("/*") else ""


def recut(starter_path, reference_path):
    starter, reference = open(starter_path).read(), open(reference_path).read()
    s_funcs, r_funcs = functions(starter), functions(reference)
    new = reference
    # Work from the end so earlier offsets stay valid.
    for name, (start, end) in sorted(spans(reference).items(), key=lambda kv: -kv[1][0]):
        if name not in s_funcs:
            new = new[:start] + new[end:]                     # the student writes it
        elif "TODO(student)" in s_funcs[name]:
            body = r_funcs[name]
            at = new.index(body, start)
            new = new[:at] + s_funcs[name] + new[at + len(body):]
    head = opening_comment(starter)
    if head:
        new = head + new[len(opening_comment(new)):]
    with open(starter_path, "w") as f:
        f.write(new)


def main():
    if sys.argv[1:] == ["--all"]:
        root = os.path.join(HERE, "..")
        for lesson in sorted(os.listdir(root)):
            conf = os.path.join(root, lesson, "lesson.conf")
            if not os.path.isfile(conf):
                continue
            text = open(conf).read()
            units = re.search(r'^UNITS="([^"]*)"', text, re.M).group(1).split()
            refs = re.search(r'^REFERENCE="([^"]*)"', text, re.M).group(1).split()
            for unit, ref in zip(units, refs):
                starter = os.path.join("lessons", lesson, unit.split("=", 1)[1])
                recut(starter, ref)
                print("recut", starter, "from", ref)
        return 0
    if len(sys.argv) != 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    recut(sys.argv[1], sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
