#!/bin/sh
# tests/e2e/lessons_check.sh — the proof that every lesson grades honestly:
# for each lessons/NN-*/, `make lesson` must FAIL on the starter files as
# committed, and PASS on the reference (the project's own units, and
# tests/e2e/lessons_ref/NN-*/ for files that are no C unit).
#
# The starters are taken from git HEAD (or RTLAB_LESSONS_REV) when they are
# tracked, so a student's work in progress in lessons/ never changes what
# this proves; they are copied to build/lessons-proof/NN-*/ (only when
# changed, so the builds in build/lesson-NN/ stay incremental). Under
# CI=true the starters must build warnings-clean (-Werror), like everything
# else.
#
# A starter that does not build counts as a failure of this proof, not as
# "the starter fails its check": a student must start from code that builds.
# And a starter must still be its unit, but for the functions left to the
# student (tests/e2e/lessons_drift.py): when the unit changes and the starter
# does not, a student who writes every TODO right would still fail.
#
# Everything is built first; then the starters are graded all at once in
# the background (their failing tests mostly wait) while the references run
# one after another, so the timing checks of the integration tests get the
# CPU. The time it took is printed at the end.
set -u
cd "$(dirname "$0")/../.."
if [ -f lessons/HANDOUT ]; then
    echo "a handout tree (lessons/HANDOUT) holds no reference: there is nothing to prove here"
    exit 77
fi
unset MAKEFLAGS MFLAGS MAKELEVEL          # our own make, not the parent's job server
unset RUNS STUDENT_DIR PORT               # lesson 09 grades against its kept sample
export MAKE="make -j2"
PROOF=build/lessons-proof
mkdir -p "$PROOF"
# Two make test at once would build into the same lesson directories: the
# second waits for the first (flock, when the machine has it).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$PROOF.lock"
    flock -w 120 9 || echo "note: another lessons_check.sh still holds $PROOF.lock; going on"
fi

# The revision whose starters are proven: HEAD, unless RTLAB_LESSONS_REV
# names another (a student who committed solutions on a branch runs
# RTLAB_LESSONS_REV=origin/main make test).
REV=${RTLAB_LESSONS_REV:-HEAD}

# Copy lessons/$1 as committed in $REV (or as it is, when not in git) to
# $PROOF/$1.
starter_copy() {
    mkdir -p "$PROOF/$1"
    for f in lessons/"$1"/*; do
        [ -f "$f" ] || continue
        dst=$PROOF/$1/$(basename "$f")
        if git cat-file -e "$REV:$f" 2>/dev/null; then
            git show "$REV:$f" >"$dst.new"
        else
            cp "$f" "$dst.new"
        fi
        if cmp -s "$dst.new" "$dst"; then rm -f "$dst.new"; else mv "$dst.new" "$dst"; fi
    done
}

failed=0 total_start=$(date +%s)
LESSONS=""
for d in lessons/[0-9][0-9]-*/; do
    [ -f "$d/lesson.conf" ] && LESSONS="$LESSONS $(basename "$d")"
done

# Phase 1: build every starter and reference, two lessons at a time (each
# build is make -j2). Build failures are reported in phase 2.
for name in $LESSONS; do
    nn=${name%%-*}
    starter_copy "$name"
    lessons/grade.sh "$nn" --dir "$PROOF/$name" --build-only >/dev/null 2>&1 &
    lessons/grade.sh "$nn" --reference --build-only >/dev/null 2>&1
    wait
done
build_secs=$(( $(date +%s) - total_start ))

# Phase 2: grade. A starter fails most tests fast, but some wait out their
# timeouts (a WebSocket test waiting for a frame that never comes): all
# starters are graded in the background at once, mostly asleep, while the
# references, whose tests measure timing, run one after the other.
for name in $LESSONS; do
    lessons/grade.sh "${name%%-*}" --dir "$PROOF/$name" >"$PROOF/$name.starter.out" 2>&1 &
    echo $! >"$PROOF/$name.starter.pid"
done
for name in $LESSONS; do
    start=$(date +%s)
    lessons/grade.sh "${name%%-*}" --reference >"$PROOF/$name.reference.out" 2>&1
    echo $? >"$PROOF/$name.reference.rc"
    echo $(( $(date +%s) - start )) >"$PROOF/$name.reference.secs"
done

for name in $LESSONS; do
    d=lessons/$name
    wait "$(cat "$PROOF/$name.starter.pid")"
    src=$?
    rrc=$(cat "$PROOF/$name.reference.rc")
    secs=$(cat "$PROOF/$name.reference.secs")
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
    if [ "$rrc" -ne 0 ]; then
        ok=0
        echo "FAIL  $name: the reference does not pass its own check (status $rrc)"
        grep -E 'FAIL|what happened|Lesson|error' "$PROOF/$name.reference.out" | head -25 | sed 's/^/      reference | /'
    fi
    if [ $ok -eq 1 ]; then
        echo "ok    $name: starter fails ($(tail -2 "$PROOF/$name.starter.out" | head -1 | sed 's/^Lesson [0-9]*: //; s/\.$//')), reference passes (${secs}s)"
    else
        failed=$((failed + 1))
    fi
done

echo "result: $failed lesson(s) not proven; ${build_secs}s building, $(( $(date +%s) - total_start ))s in all"
[ $failed -eq 0 ]
