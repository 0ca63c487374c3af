#!/usr/bin/env python3
"""lessons/tools/mutate.py — make one wrong variant of a lesson's reference.

Usage: mutate.py LESSON_DIR MUTANT.mut OUT_DIR

A mutant is a realistic mistake a student makes (an off-by-one, a missed
partial write, a lost CR), written as a small text substitution applied to
the reference unit as it is today, so that it follows the unit when the
unit changes. A .mut file reads:

    why: the one sentence a teacher reads: what this variant gets wrong
    unit: buf.c                 (the lesson's file it changes; optional when
                                 the lesson has one unit)
    --- the exact lines of today's reference to replace
        if (left < rest) { s->off += left; break; }
    +++ what a student wrote instead
        if (left < rest) break;
    ===

A file may hold several such hunks. The old text must occur exactly once
in the reference: when a unit changes so that it no longer does, this
exits 1 and says which mutant to rewrite (it fails loudly rather than
proving nothing). OUT_DIR receives every unit file of the lesson (the
mutated one and the others as they are), ready for
`lessons/grade.sh NN --dir OUT_DIR`; a file is only rewritten when it
changes, so the builds stay incremental.
"""
import os
import re
import shlex
import sys


def conf(lesson_dir):
    """UNITS and REFERENCE of lesson.conf, as lists (it is plain shell)."""
    values = {}
    with open(os.path.join(lesson_dir, "lesson.conf")) as f:
        for line in f:
            m = re.match(r'^(UNITS|REFERENCE|EXTRA)="([^"]*)"', line)
            if m:
                values[m.group(1)] = m.group(2).split()
    units = [u.split("=", 1)[1] for u in values.get("UNITS", [])]
    pairs = list(zip(units, values.get("REFERENCE", [])))
    extra = values.get("EXTRA", [])
    if len(extra) == 2:     # a file that is no C unit: its reference is kept aside
        ref = os.path.join("tests/e2e/lessons_ref", os.path.basename(lesson_dir.rstrip("/")), extra[1])
        pairs.append((extra[1], ref))
    return pairs


def parse(path):
    """(why, unit, [(old, new)]) of a .mut file."""
    why, unit, hunks = "", None, []
    mode, old, new = None, [], []
    with open(path) as f:
        for line in f.read().split("\n"):
            if mode is None:
                if line.startswith("why:"):
                    why = line[4:].strip()
                elif line.startswith("unit:"):
                    unit = line[5:].strip()
                elif line.startswith("---"):
                    mode, old, new = "old", [], []
                elif line.strip() and not line.startswith("#"):
                    sys.exit("%s: unexpected line %r" % (path, line))
            elif mode == "old":
                if line.startswith("+++"):
                    mode = "new"
                else:
                    old.append(line)
            elif mode == "new":
                if line.startswith("==="):
                    hunks.append(("\n".join(old), "\n".join(new)))
                    mode = None
                else:
                    new.append(line)
    if mode is not None:
        sys.exit("%s: a hunk does not end with ===" % path)
    if not why or not hunks:
        sys.exit("%s: needs a why: line and at least one --- +++ === hunk" % path)
    return why, unit, hunks


def write_if_changed(path, text):
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    lesson_dir, mut, out = sys.argv[1:]
    pairs = conf(lesson_dir)
    if not pairs:
        sys.exit("%s: the lesson has no file to mutate" % lesson_dir)
    why, unit, hunks = parse(mut)
    names = [u for u, _ in pairs]
    if unit is None:
        if len(pairs) != 1:
            sys.exit("%s: say which unit (one of %s)" % (mut, " ".join(names)))
        unit = names[0]
    if unit not in names:
        sys.exit("%s: unit %s is not one of %s" % (mut, unit, " ".join(names)))
    os.makedirs(out, exist_ok=True)
    for name, ref in pairs:
        with open(ref) as f:
            text = f.read()
        if name == unit:
            for old, new in hunks:
                n = text.count(old)
                if n != 1:
                    sys.exit("%s no longer applies: its text %s %s in %s; rewrite the "
                             "mutant for today's %s" % (
                                 mut, "occurs %d times" % n if n else "is not",
                                 "" if n else "found", ref, ref))
                text = text.replace(old, new)
        write_if_changed(os.path.join(out, name), text)
    print(why)


if __name__ == "__main__":
    main()
