#!/usr/bin/env python3
"""lessons/tools/cut.py — make one failure message short enough to read.

Usage: cut.py MESSAGE

lessons/grade.sh hands it a test's message (control characters already
shown as \\r, \\n, \\t). When the message compares two quoted strings and
one is long, both are cut to the few bytes around their first difference,
which is marked [HERE]; a lone long string is cut after its first bytes.
Prints the message, changed or not.
"""
import re
import sys

QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
AROUND = 24     # characters kept on each side of the first difference
LONG = 64


TOKEN = re.compile(r"\\x[0-9a-fA-F]{2}|\\.|.", re.S)


def first_difference(a, b):
    """The first differing character, never inside an escape such as \\r."""
    at = 0
    for x, y in zip(TOKEN.findall(a), TOKEN.findall(b)):
        if x != y:
            return at
        at += len(x)
    return at


def around(s, at):
    tokens = TOKEN.findall(s)
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t)
    i = next((k for k, p in enumerate(starts) if p >= at), len(tokens))
    lo, hi = max(0, i - AROUND), min(len(tokens), i + AROUND)
    return (("..." if lo > 0 else "") + "".join(tokens[lo:i]) + "[HERE]" +
            "".join(tokens[i:hi]) + ("..." if hi < len(tokens) else ""))


def main():
    msg = " ".join(sys.argv[1:])
    found = list(QUOTED.finditer(msg))
    if len(found) >= 2 and max(len(found[0].group(1)), len(found[1].group(1))) > LONG:
        a, b = found[0].group(1), found[1].group(1)
        d = first_difference(a, b)
        pieces = [(found[0], around(a, d)), (found[1], around(b, d))]
    else:
        pieces = [(m, m.group(1)[:LONG] + "...(%d characters)" % len(m.group(1)))
                  for m in found if len(m.group(1)) > 2 * LONG]
    for m, text in reversed(pieces):
        msg = msg[:m.start()] + '"' + text + '"' + msg[m.end():]
    print(msg)


if __name__ == "__main__":
    main()
