#!/bin/sh
# tests/e2e/lessons_check.sh — the proof that every lesson grades honestly:
# for each lessons/NN-*/, `make lesson` must FAIL on the starter files as
# committed, and PASS on the reference (the project's own units, and
# tests/e2e/lessons_ref/NN-*/ for files that are no C unit).
#
# The starters are taken from git HEAD when they are tracked, so a student's
# work in progress in lessons/ never changes what this proves; they are
# copied to build/lessons-proof/NN-*/ (only when changed, so the builds in
# build/lesson-NN/ stay incremental). Under CI=true the starters must build
# warnings-clean (-Werror), like everything else.
#
# A starter that does not build counts as a failure of this proof, not as
# "the starter fails its check": a student must start from code that builds.
# And a starter must still be its unit, but for the functions left to the
# student (tests/e2e/lessons_drift.py): when the unit changes and the starter
# does not, a student who writes every TODO right would still fail.
# The starter and the reference of one lesson are graded side by side. On
# the 2-core machine the whole proof took 69 s from nothing (load 6) and
# 131 s with the machine shared (load 13); most of it is the integration
# tests of lessons 02-05, not the builds.
set -u
cd "$(dirname "$0")/../.."
unset MAKEFLAGS MFLAGS MAKELEVEL          # our own make, not the parent's job server
unset RUNS STUDENT_DIR PORT               # lesson 09 grades against its kept sample
export MAKE="make -j2"
PROOF=build/lessons-proof
mkdir -p "$PROOF"
# Two make test at once would build into the same lesson directories: the
# second waits for the first (flock, when the machine has it).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$PROOF.lock"
    flock -w 240 9 || echo "note: another lessons_check.sh still holds $PROOF.lock; going on"
fi

# Copy lessons/$1 as committed (or as it is, when untracked) to $PROOF/$1.
starter_copy() {
    mkdir -p "$PROOF/$1"
    for f in lessons/"$1"/*; do
        [ -f "$f" ] || continue
        dst=$PROOF/$1/$(basename "$f")
        if git ls-files --error-unmatch "$f" >/dev/null 2>&1; then
            git show "HEAD:$f" >"$dst.new"
        else
            cp "$f" "$dst.new"
        fi
        if cmp -s "$dst.new" "$dst"; then rm -f "$dst.new"; else mv "$dst.new" "$dst"; fi
    done
}

failed=0 total_start=$(date +%s)
for d in lessons/[0-9][0-9]-*/; do
    [ -f "$d/lesson.conf" ] || continue
    name=$(basename "$d")
    nn=${name%%-*}
    start=$(date +%s)
    starter_copy "$name"
    lessons/grade.sh "$nn" --dir "$PROOF/$name" >"$PROOF/$name.starter.out" 2>&1 &
    spid=$!
    lessons/grade.sh "$nn" --reference >"$PROOF/$name.reference.out" 2>&1
    rrc=$?
    wait $spid
    src=$?
    secs=$(( $(date +%s) - start ))
    ok=1
    if [ $src -ne 1 ]; then
        ok=0
        if [ $src -eq 0 ]; then why="the starter PASSES its check: it grades nothing"
        elif [ $src -eq 2 ]; then why="the starter does not build"
        else why="the grader stopped with status $src on the starter"; fi
        echo "FAIL  $name: $why"
        sed 's/^/      starter | /' "$PROOF/$name.starter.out" | tail -25
    fi
    # The starter is still the unit, but for what the student writes.
    refs=$(. "./$d/lesson.conf"; echo "$REFERENCE")
    units=$(. "./$d/lesson.conf"; echo "$UNITS")
    set -- $refs
    for u in $units; do
        if ! python3 tests/e2e/lessons_drift.py "$PROOF/$name/${u#*=}" "$1" >"$PROOF/$name.drift.out"; then
            ok=0
            echo "FAIL  $name: the starter ${u#*=} is out of step with $1 (cut it again from $1)"
            sed 's/^/      /' "$PROOF/$name.drift.out"
        fi
        shift
    done
    if [ $rrc -ne 0 ]; then
        ok=0
        echo "FAIL  $name: the reference does not pass its own check (status $rrc)"
        grep -E 'FAIL|what happened|Lesson|error' "$PROOF/$name.reference.out" | head -25 | sed 's/^/      reference | /'
    fi
    if [ $ok -eq 1 ]; then
        echo "ok    $name: starter fails ($(tail -2 "$PROOF/$name.starter.out" | head -1 | sed 's/^Lesson [0-9]*: //')), reference passes (${secs}s)"
    else
        failed=$((failed + 1))
    fi
done

echo "result: $failed lesson(s) not proven; $(( $(date +%s) - total_start ))s in all"
[ $failed -eq 0 ]
