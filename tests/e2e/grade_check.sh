#!/bin/sh
# tests/e2e/grade_check.sh — `make grade` prints a score and writes a
# Gradescope results.json: on the starters of lessons 08 and 09 it scores
# less than full, on a submission holding their reference answers it scores
# full, and results.json has name, score, max_score and output per test.
set -u
cd "$(dirname "$0")/../.."
unset MAKEFLAGS MFLAGS MAKELEVEL RUNS STUDENT_DIR
W=build/grade-check
rm -rf "$W"
mkdir -p "$W/sub/08-measuring" "$W/sub/09-choosing"
failed=0
check() {   # results.json, want "full" or "partial"
    python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
tests = r["tests"]
assert tests, "no tests"
for t in tests:
    assert set(("name", "score", "max_score", "output")) <= set(t), t
full = sum(t["max_score"] for t in tests)
assert abs(full - 18) < 0.01, "max %s, want 18 (08: 10 points, 09: 8)" % full
if sys.argv[2] == "full":
    assert abs(r["score"] - full) < 0.01, "score %s of %s" % (r["score"], full)
else:
    assert r["score"] < full, "a starter scored %s of %s" % (r["score"], full)
print("ok    %s: %s of %s points in %d tests" % (sys.argv[1], r["score"], full, len(tests)))
PY
}
MAKE="make -j2" lessons/tools/grade-all.sh --out "$W/starter.json" 08 09 >"$W/starter.out" 2>&1
check "$W/starter.json" partial || { failed=1; cat "$W/starter.out"; }
grep -q '^Total' "$W/starter.out" || { echo "FAIL  no Total line"; failed=1; }
cp bench/histogram.c "$W/sub/08-measuring/"
cp tests/e2e/lessons_ref/09-choosing/answers.txt "$W/sub/09-choosing/"
MAKE="make -j2" lessons/tools/grade-all.sh --dir "$W/sub" --out "$W/full.json" 08 09 >"$W/full.out" 2>&1
check "$W/full.json" full || { failed=1; cat "$W/full.out"; }
echo "result: make grade $( [ $failed -eq 0 ] && echo works || echo FAILS )"
[ $failed -eq 0 ]
