#!/usr/bin/env python3
"""lessons/tools/sanitizer_report.py — AddressSanitizer, LeakSanitizer and
UndefinedBehaviorSanitizer reports in plain words, for lessons/grade.sh.

Usage: sanitizer_report.py REPORT_DIR [STUDENT_FILE ...]

REPORT_DIR holds the files the sanitizers wrote (log_path=REPORT_DIR/report
gives one report.PID per process). Prints one line per distinct finding,
at most four, such as

    a read of 1 byte just past the end of a 27-byte block (heap-buffer-overflow), in parse_method at http.c:137

The place named is the first frame of the stack in one of the student's
files (their basenames are given), else the first frame with a source line
that is not the sanitizer's own. Exits 0; prints nothing when there is no
report.
"""
import os
import re
import sys

FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (\S+) (\S+?):(\d+)(?::\d+)?")
KINDS = {
    "heap-buffer-overflow": "past the end (or before the start) of a block from malloc",
    "stack-buffer-overflow": "past the end of an array on the stack",
    "global-buffer-overflow": "past the end of a global array",
    "heap-use-after-free": "in a block that was already freed",
    "stack-use-after-return": "in a function's local variable after it returned",
    "double-free": "",
    "SEGV": "",
}


def place(lines, students):
    """'func at file:line' of the most telling frame, or ''."""
    frames = []
    for line in lines:
        m = FRAME.match(line)
        if m:
            frames.append((m.group(1), m.group(2), m.group(3)))
    for func, path, line in frames:
        if os.path.basename(path) in students:
            return "in %s at %s:%s" % (func, os.path.basename(path), line)
    for func, path, line in frames:
        if "sanitizer" not in path and not path.startswith("/usr/") and not func.startswith("__"):
            return "in %s at %s:%s" % (func, path, line)
    return ""


def asan(text, students):
    lines = text.split("\n")
    head = next((l for l in lines if "ERROR: AddressSanitizer" in l or "ERROR: LeakSanitizer" in l), None)
    if head is None:
        return None
    if "LeakSanitizer" in head:
        m = re.search(r"(Direct|Indirect) leak of (\d+) byte", text)
        start = next((i for i, l in enumerate(lines) if re.search(r"leak of \d+ byte", l)), 0)
        where = place(lines[start:], students)
        size = m.group(2) if m else "some"
        return "memory was never freed: %s bytes leaked (LeakSanitizer), allocated %s" % (size, where.replace("in ", "by ", 1) if where else "somewhere")
    kind = re.search(r"AddressSanitizer: ([\w-]+)", head).group(1)
    access = re.search(r"^(READ|WRITE) of size (\d+)", text, re.M)
    region = re.search(r"is located (\d+) bytes (after|before|inside of|to the right of|to the left of) (\d+)-byte region", text)
    where = place(lines, students)
    if kind == "SEGV":
        what = "a bad pointer: the code touched memory that is not there (SEGV)"
    elif kind == "double-free":
        what = "a block was freed twice (double-free)"
    elif access:
        verb = "read" if access.group(1) == "READ" else "write"
        n = int(access.group(2))
        what = "a %s of %d byte%s" % (verb, n, "" if n == 1 else "s")
        side = region.group(2) if region else ""
        if side in ("after", "to the right of"):
            off = int(region.group(1))
            what += " %s the end of a %s-byte block" % (
                "just past" if off == 0 else "%d bytes past" % off, region.group(3))
        elif side in ("before", "to the left of"):
            what += " %s bytes before the start of a %s-byte block" % (region.group(1), region.group(3))
        else:
            what += " " + KINDS.get(kind, "where it must not")
        what += " (%s)" % kind
    else:
        what = "a memory error (%s)" % kind
    return what + (", " + where if where else "")


def ubsan(text, students):
    m = re.search(r"^(\S+?):(\d+):\d+: runtime error: (.*)$", text, re.M)
    if not m:
        return None
    path, line, what = m.groups()
    func = ""
    f = place(text.split("\n"), students)
    fm = re.match(r"in (\S+) at", f)
    if fm:
        func = " in " + fm.group(1)
    return "undefined behaviour: %s%s at %s:%s" % (what.strip(), func, os.path.basename(path), line)


def main():
    if len(sys.argv) < 2 or not os.path.isdir(sys.argv[1]):
        return
    students = set(os.path.basename(s) for s in sys.argv[2:])
    seen = []
    for name in sorted(os.listdir(sys.argv[1]), key=lambda n: os.path.getmtime(os.path.join(sys.argv[1], n))):
        with open(os.path.join(sys.argv[1], name), errors="replace") as f:
            text = f.read()
        said = asan(text, students) or ubsan(text, students)
        if said and said not in seen:
            seen.append(said)
    for s in seen[:4]:
        print(s)
    if len(seen) > 4:
        print("and %d more" % (len(seen) - 4))


if __name__ == "__main__":
    main()
