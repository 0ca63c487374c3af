#!/bin/sh
# tests/e2e/handout_check.sh — `make handout` writes a tree a student can be
# given: no reference solution in it, and it builds and grades.
#
# 1. lessons/tools/handout.sh writes build/handout-check/rtlab-handout/.
# 2. No solution: for every lesson, the body of every function its starter
#    leaves to the student (stubbed with TODO(student), or left out) is
#    looked for, whitespace ignored, in every text file of the tree; the
#    reference answers (tests/e2e/lessons_ref) and the wrong variants
#    (lessons/*/mutants, which quote the reference) are not there.
# 3. It grades: `make lesson N=01` in the tree runs and reports failures
#    (exit 1), not build errors (exit 2); and lesson 02 graded with the
#    project's own core/feed.c as the student's file passes whole (exit 0),
#    which proves the other lessons' prebuilt units work in its servers.
set -u
cd "$(dirname "$0")/../.."
unset MAKEFLAGS MFLAGS MAKELEVEL
OUT=build/handout-check
TREE=$OUT/rtlab-handout
failed=0
fail() { echo "FAIL  $*"; failed=$((failed + 1)); }

if ! MAKE="make -j2" lessons/tools/handout.sh "$OUT" >"$OUT.log" 2>&1; then
    echo "FAIL  make handout failed:"; tail -20 "$OUT.log"; exit 1
fi
[ -f "$TREE.tar.gz" ] || fail "no tarball $TREE.tar.gz"
[ -d "$TREE/tests/e2e/lessons_ref" ] && fail "the reference answers (tests/e2e/lessons_ref) are in the handout"
ls -d "$TREE"/lessons/*/mutants >/dev/null 2>&1 && fail "the wrong variants (lessons/*/mutants) are in the handout"

python3 - "$TREE" <<'PY' || failed=$((failed + 1))
import os, re, sys
sys.path.insert(0, "tests/e2e")
from lessons_drift import functions

tree = sys.argv[1]
def norm(s):
    return re.sub(r"\s+", "", s)

bodies = []          # (lesson, function, normalized body)
for lesson in sorted(os.listdir("lessons")):
    conf = os.path.join("lessons", lesson, "lesson.conf")
    if not os.path.isfile(conf):
        continue
    vals = dict(re.findall(r'^(UNITS|REFERENCE)="([^"]*)"', open(conf).read(), re.M))
    units = [u.split("=", 1)[1] for u in vals.get("UNITS", "").split()]
    for unit, ref in zip(units, vals.get("REFERENCE", "").split()):
        starter = functions(open(os.path.join("lessons", lesson, unit)).read())
        for name, text in functions(open(ref).read()).items():
            if name in starter and "TODO(student)" not in starter[name]:
                continue                    # the project's part, in the starter too
            body = text[text.index("{"):]
            if len(norm(body)) > 12:        # "{return 0;}" proves nothing
                bodies.append((lesson, name, norm(body)))

texts = {}
for root, _, files in os.walk(tree):
    for f in files:
        p = os.path.join(root, f)
        try:
            texts[p] = norm(open(p, encoding="utf-8").read())
        except (UnicodeDecodeError, OSError):
            pass                            # binary: objects, images, the tarball
# A test may hold its own oracle that happens to read like a solution; each
# one allowed here says why.
ALLOWED = {
    # the fuzzer's has_break(): three lines that find CR, LF or NUL
    ("breaks_line", "tests/fuzz/fuzz_sse.c"),
}
bad = 0
for lesson, name, body in bodies:
    for p, t in texts.items():
        if body in t and (name, os.path.relpath(p, tree)) not in ALLOWED:
            print("FAIL  %s: the solution of %s() is in %s" % (lesson, name, os.path.relpath(p, tree)))
            bad += 1
print("ok    no solution body of %d functions in %d files of the handout" % (len(bodies), len(texts))
      if not bad else "FAIL  %d solution bodies found" % bad)
sys.exit(1 if bad else 0)
PY

# It grades out of the box.
(cd "$TREE" && MAKE="make -j2" lessons/grade.sh 01) >"$OUT.lesson01" 2>&1
rc=$?
if [ $rc -eq 1 ]; then
    echo "ok    make lesson N=01 in the handout reports failures: $(tail -2 "$OUT.lesson01" | head -1)"
else
    fail "make lesson N=01 in the handout exited $rc (want 1: failures, not build errors)"
    tail -15 "$OUT.lesson01" | sed 's/^/      /'
fi
mkdir -p "$OUT/feed"
cp core/feed.c "$OUT/feed/feed.c"
(cd "$TREE" && MAKE="make -j2" lessons/grade.sh 02 --dir "$(cd "../feed" && pwd)") >"$OUT.lesson02" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
    echo "ok    lesson 02 in the handout passes with a right feed.c: its servers run the prebuilt units"
else
    fail "lesson 02 in the handout, graded with the project's feed.c, exited $rc (want 0)"
    grep -E 'FAIL|what happened|error' "$OUT.lesson02" | head -10 | sed 's/^/      /'
fi

echo "result: $failed problem(s) in the handout"
[ $failed -eq 0 ]
