#!/bin/sh
# tests/e2e/lessons_mutants.sh — the proof that the graders reject wrong
# answers: every realistic wrong variant of a lesson's reference
# (lessons/NN-*/mutants/*.mut: an off-by-one, a missed partial write, a lost
# CR, a check done too late, an unchecked length) must FAIL `make lesson`.
#
# Each mutant is a small text substitution applied to the reference as it
# is today (lessons/tools/mutate.py), so the proof follows the units when
# they change; a substitution that no longer applies fails here loudly, and
# names the mutant to rewrite. A mutant that passes its lesson is a hole in
# the grader: strengthen the project's tests (tests/unit, tests/integration)
# until it fails.
#
# Cost: a mutant's build starts from a copy of the reference's lesson build
# (grade.sh --reuse-reference), so only the mutated file is compiled and the
# test programs linked again; grading stops at the first test program with
# a FAIL (--stop-early); two mutants are built, then graded, at a time. Built
# with the sanitizers, like every lesson grade.
#
# Usage: tests/e2e/lessons_mutants.sh [NN ...]   (default: every lesson)
set -u
cd "$(dirname "$0")/../.."
if [ -f lessons/HANDOUT ]; then
    echo "a handout tree (lessons/HANDOUT) holds no reference: there is nothing to prove here"
    exit 77
fi
unset MAKEFLAGS MFLAGS MAKELEVEL          # our own make, not the parent's job server
unset RUNS STUDENT_DIR PORT
export MAKE="make -j2"
M=build/lessons-mutants
mkdir -p "$M"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$M.lock"
    flock -w 300 9 || echo "note: another lessons_mutants.sh still holds $M.lock; going on"
fi
start=$(date +%s)
failed=0

want=""
for a in "$@"; do want="$want $(printf '%02d' "$(printf '%s' "$a" | sed 's/^0*//')")"; done

# ---- apply every mutant to today's reference ----
list=$M/list
: >"$list"
for d in lessons/[0-9][0-9]-*/; do
    name=$(basename "$d") nn=${name%%-*}
    [ -z "$want" ] || case " $want " in *" $nn "*) ;; *) continue ;; esac
    set -- "$d"mutants/*.mut
    [ -f "$1" ] || continue
    count=0
    for mut in "$@"; do
        m=$(basename "$mut" .mut)
        if python3 lessons/tools/mutate.py "$d" "$mut" "$M/$name/$m" >"$M/$name.$m.why" 2>&1; then
            printf '%s %s %s\n' "$nn" "$name" "$m" >>"$list"
            count=$((count + 1))
        else
            echo "FAIL  $name/$m: $(cat "$M/$name.$m.why")"
            failed=$((failed + 1))
        fi
    done
    # a lesson with C to write needs at least three wrong variants
    if [ "$count" -lt 3 ]; then
        echo "FAIL  $name: only $count mutant(s) apply; a lesson needs at least three"
        failed=$((failed + 1))
    fi
done

# ---- build: the references first, then each mutant (one compile each) ----
for nn in $(cut -d' ' -f1 "$list" | sort -u); do
    lessons/grade.sh "$nn" --reference --build-only >"$M/$nn.reference.build" 2>&1 ||
        { echo "FAIL  lesson $nn: the reference does not build"; failed=$((failed + 1)); }
done
# two mutants at a time, each make on one job: mostly links, one compile each
export M
# shellcheck disable=SC2016  # expanded by the inner shell
MAKE=make xargs -P 2 -L 1 sh -c '
    lessons/grade.sh "$0" --dir "$M/$1/$2" --reuse-reference --build-only >"$M/$1.$2.build" 2>&1' <"$list"
build_secs=$(( $(date +%s) - start ))

# ---- grade, two at a time ----
# shellcheck disable=SC2016  # expanded by the inner shell
xargs -P 2 -L 1 sh -c '
    lessons/grade.sh "$0" --dir "$M/$1/$2" --stop-early >"$M/$1.$2.out" 2>&1
    echo $? >"$M/$1.$2.rc"' <"$list"

killed=0 total=0
while read -r nn name m; do
    total=$((total + 1))
    rc=$(cat "$M/$name.$m.rc" 2>/dev/null || echo 9)
    why=$(cat "$M/$name.$m.why")
    case $rc in
        1)  killed=$((killed + 1))
            first=$(grep -m1 '^  FAIL' "$M/$name.$m.out" | sed 's/^  FAIL  //' | cut -c1-90)
            printf 'ok    %s/%s fails: %s\n' "$name" "$m" "$first" ;;
        0)  failed=$((failed + 1))
            echo "FAIL  $name/$m PASSES its lesson: the grader accepts a wrong answer"
            echo "      the mistake: $why" ;;
        2)  failed=$((failed + 1))
            echo "FAIL  $name/$m does not build (rewrite the mutant for today's reference)"
            grep -E 'error' "$M/$name.$m.out" | head -5 | sed 's/^/      /' ;;
        *)  failed=$((failed + 1))
            echo "FAIL  $name/$m: the grader stopped with status $rc"
            tail -5 "$M/$name.$m.out" | sed 's/^/      /' ;;
    esac
done <"$list"

echo "result: $killed of $total wrong variants fail their lesson; $failed problem(s); ${build_secs}s building, $(( $(date +%s) - start ))s in all"
[ $failed -eq 0 ]
