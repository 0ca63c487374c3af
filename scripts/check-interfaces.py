#!/usr/bin/env python3
"""scripts/check-interfaces.py — every name in a header's "Interface:" list
must be declared in that header.

A header opens with prose and an "Interface:" list (STYLE.md, the xv6
habit): the names a reader may use. A list that names a function the header
no longer declares (renamed, removed, never written) sends the reader
looking for nothing, so this fails the build instead. Two shapes are read:

    * Interface: feed_init, feed_free, feed_publish,      names, comma-
    *            feed_since, feed_get.                    separated, to a "."

    * Interface (for the technique files):                one entry a line:
    *   struct technique      what it is                  names (comma-
    *   conn_send, conn_send_chunk  queue bytes           separated) first,
    *                         a wrapped description        then the words

A parenthesis after a name ("static_resolve (pure)") is a note, not a
name. A name counts as declared when the header, comments stripped, holds
a prototype or definition of it (a line that begins with a type and then
`name(`), `#define name`, an enum constant `name =`, or `struct name {`.

Headers are found everywhere in the repository but node_modules, build,
bin, .git. Prints one line per missing name and exits 1 when there is any;
exit 0 and a count when all hold. scripts/check-anchors.sh runs it.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SKIP = {"node_modules", "build", "bin", ".git"}
NAME = r"(?:(?:struct|enum)\s+)?[A-Za-z_]\w*"
HEAD = re.compile(r"^\s*\*\s*Interface\b[^:\n]*:(.*)$")


def headers():
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.startswith("."))
        for f in sorted(files):
            if f.endswith(".h"):
                yield os.path.relpath(os.path.join(top, f), ROOT)


def comment_lines(text):
    """The lines of the header's opening comment, without the " * " lead."""
    end = text.find("*/")
    return text[:end].split("\n") if text.lstrip().startswith("/*") and end > 0 else []


def interface_names(text):
    """The names of the Interface list, or None when the header has none."""
    lines = comment_lines(text)
    for i, line in enumerate(lines):
        m = HEAD.match(line)
        if m:
            break
    else:
        return None
    rest = m.group(1).strip()
    names = []
    if rest:                                     # inline: names to the first "."
        listed = rest
        j = i + 1
        while not re.search(r"\.(\s|$)", listed) and j < len(lines):
            listed += " " + lines[j].lstrip(" *")
            j += 1
        listed = re.split(r"\.(\s|$)", listed)[0]
        listed = re.sub(r"\([^)]*\)", "", listed)
        for part in listed.split(","):
            part = part.strip()
            if part:
                names.append(part)
        return names
    indent = None                                # one entry a line
    for line in lines[i + 1:]:
        body = re.sub(r"^\s*\*", "", line)
        if not body.strip():
            break
        lead = len(body) - len(body.lstrip())
        if indent is None:
            indent = lead
        if lead > indent:                        # a wrapped description
            continue
        m = re.match(r"\s*(%s(?:\s*,\s*%s)*)" % (NAME, NAME), body)
        if m:
            names += [n.strip() for n in m.group(1).split(",")]
    return names


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def declared(name, code):
    kind = re.match(r"(struct|enum)\s+(\w+)$", name)
    if kind:
        return re.search(r"\b%s\s+%s\s*\{" % (kind.group(1), kind.group(2)), code) is not None
    n = re.escape(name)
    patterns = [
        r"^[A-Za-z_][\w \t\*]*?\b%s\s*\(" % n,   # a prototype or an inline definition
        r"^\s*#\s*define\s+%s\b" % n,             # a macro
        r"\b%s\s*=" % n,                          # an enum constant
        r"\btypedef\b[^;]*\b%s\s*;" % n,          # a type
    ]
    return any(re.search(p, code, re.M) for p in patterns)


def main():
    checked = missing = 0
    for h in headers():
        text = open(os.path.join(ROOT, h), encoding="utf-8", errors="replace").read()
        names = interface_names(text)
        if names is None:
            continue
        code = strip_comments(text)
        if not names:
            print("BROKEN  %s: an Interface list that names nothing" % h)
            missing += 1
        for name in names:
            checked += 1
            if not re.fullmatch(NAME, name):
                print("BROKEN  %s: Interface lists '%s', which is not a C name" % (h, name))
                missing += 1
            elif not declared(name, code):
                print("BROKEN  %s: Interface lists %s, which the header does not declare" % (h, name))
                missing += 1
    print("result: %d Interface names checked, %d not declared" % (checked, missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
