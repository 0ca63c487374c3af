#!/bin/sh
# lessons/tools/grade-all.sh — `make grade`: grade every lesson, print the
# score the way a lab driver does, and write a Gradescope results.json.
#
# Usage: grade-all.sh [--dir SUBMISSION] [--out results.json] [NN ...]
#   --dir SUBMISSION  a folder holding the student's lesson folders by name
#                     (SUBMISSION/01-http-by-hand/http.c, ...): how a teacher
#                     grades a submission; default the lessons/ folders
#   --out FILE        where results.json goes (default build/grade/results.json)
#   NN ...            only these lessons (default all)
#
# Points: each lesson is worth POINTS (lesson.conf; lessons/TEACHER.md lists
# them), shared equally by its behaviours: one behaviour is one ok/FAIL line
# of `make lesson`, so a lesson of 20 behaviours and 10 points gives half a
# point each. Every test program runs (lessons/grade.sh --all), so the count
# does not depend on how far the student got.
#
# results.json follows Gradescope's autograder format: "score", and "tests"
# with name, score, max_score and output per behaviour.
set -u
cd "$(dirname "$0")/../.."
sub="" out=build/grade/results.json want=""
while [ $# -gt 0 ]; do
    case $1 in
        --dir) sub=$2; shift ;;
        --out) out=$2; shift ;;
        *) want="$want $1" ;;
    esac
    shift
done
mkdir -p "$(dirname "$out")"
work=build/grade
mkdir -p "$work"
: >"$work/all.tsv"

for d in lessons/[0-9][0-9]-*/; do
    name=$(basename "$d") nn=${name%%-*}
    [ -f "$d/lesson.conf" ] || continue
    if [ -n "$want" ]; then
        hit=0
        for w in $want; do [ "$(printf '%02d' "$(echo "$w" | sed 's/^0*//')")" = "$nn" ] && hit=1; done
        [ $hit -eq 1 ] || continue
    fi
    points=$(. "./$d/lesson.conf"; echo "${POINTS:-10}")
    if [ -n "$sub" ]; then
        if [ ! -d "$sub/$name" ]; then
            printf '%s\t%s\t%s\tFAIL\t%s\t%s\n' "$nn" "$name" "$points" "no folder $sub/$name in the submission" "" >>"$work/all.tsv"
            continue
        fi
        lessons/grade.sh "$nn" --all --dir "$sub/$name" >"$work/$name.out" 2>&1
    else
        lessons/grade.sh "$nn" --all >"$work/$name.out" 2>&1
    fi
    rc=$?
    if [ $rc -eq 2 ]; then                   # it does not build: every behaviour fails
        printf '%s\t%s\t%s\tFAIL\t%s\t%s\n' "$nn" "$name" "$points" "the code builds" \
            "$(grep -E 'error' "$work/$name.out" | head -5 | tr '\n' ' ')" >>"$work/all.tsv"
        continue
    fi
    # one behaviour per "  ok"/"  FAIL" line; its indented lines are its output
    awk -F'\n' -v nn="$nn" -v name="$name" -v points="$points" '
        function flush() { if (have) printf "%s\t%s\t%s\t%s\t%s\t%s\n", nn, name, points, st, what, detail; have = 0 }
        /^  (ok|FAIL)  / {
            flush()
            st = ($0 ~ /^  ok/) ? "ok" : "FAIL"
            what = substr($0, 9); detail = ""; have = 1; next
        }
        /^        / && have { line = $0; sub(/^ +/, "", line); detail = detail (detail == "" ? "" : " | ") line; next }
        { flush() }
        END { flush() }' "$work/$name.out" >>"$work/all.tsv"
done

python3 - "$work/all.tsv" "$out" <<'PY'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
lessons, tests = {}, []
for nn, name, points, st, what, detail in rows:
    lessons.setdefault((nn, name), {"points": float(points), "rows": []})["rows"].append((st, what, detail))
total = total_max = 0.0
print("%-28s %8s %8s" % ("lesson", "score", "of"))
for (nn, name), l in sorted(lessons.items()):
    each = l["points"] / len(l["rows"])
    got = sum(each for st, _, _ in l["rows"] if st == "ok")
    total += got
    total_max += l["points"]
    print("%-28s %8.1f %8.1f" % (name, got, l["points"]))
    for st, what, detail in l["rows"]:
        tests.append({
            "name": "%s: %s" % (name, what),
            "score": round(each if st == "ok" else 0.0, 6),
            "max_score": round(each, 6),
            "output": detail if st != "ok" else "ok",
        })
print("%-28s %8.1f %8.1f" % ("Total", total, total_max))
json.dump({"score": round(total, 2), "tests": tests,
           "output": "rtlab lessons: %.1f of %.1f points" % (total, total_max)},
          open(sys.argv[2], "w"), indent=1)
print("results: %s (%d behaviours)" % (sys.argv[2], len(tests)))
PY
