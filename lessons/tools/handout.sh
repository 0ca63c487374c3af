#!/bin/sh
# lessons/tools/handout.sh — write the tree a teacher hands to students:
# the project as committed, with every lesson's reference units replaced by
# that lesson's starter, the graders intact, and no reference solution in it.
# `make handout` calls it.
#
# Usage: lessons/tools/handout.sh [OUT_DIR]     (default build/handout)
# Writes OUT_DIR/rtlab-handout/ and OUT_DIR/rtlab-handout.tar.gz.
#
# What changes against the project:
#   - each REFERENCE file of each lessons/NN-*/lesson.conf (core/http.c,
#     core/feed.c, ...) becomes the lesson's starter, so the servers built
#     in the handout run the student's code once the student writes it;
#   - what only proves the lessons is left out: the reference answers of
#     tests/e2e/lessons_ref/, the wrong variants of lessons/*/mutants/ (they
#     quote the reference), and lessons/TEACHER.md (the answer key);
#   - lessons/HANDOUT marks the tree: the lesson proofs of `make test`
#     (tests/e2e/lessons_check.sh, lessons_mutants.sh) say there is nothing
#     to prove here, and lessons/tools/check-request.sh sends lesson 01's
#     bytes to a server running the student's own parser.
# The files are taken from git HEAD (a teacher's uncommitted edits never leak
# in), or from the working tree when this is not a git checkout.
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-build/handout}
TREE=$OUT/rtlab-handout
rm -rf "$TREE" "$TREE.tar.gz"
mkdir -p "$TREE"

# ---- the project as committed ----
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
    git archive --format=tar HEAD | tar -x -C "$TREE"
else
    tar -c --exclude=./build --exclude=./bin --exclude=./node_modules --exclude=./tests/out . |
        tar -x -C "$TREE"
fi

# ---- what proves the lessons, and would give them away ----
rm -rf "$TREE/tests/e2e/lessons_ref" "$TREE"/lessons/*/mutants "$TREE/lessons/TEACHER.md"

# ---- every reference unit becomes its lesson's starter ----
for conf in "$TREE"/lessons/[0-9][0-9]-*/lesson.conf; do
    dir=$(dirname "$conf")
    units=$(. "$conf"; echo "${UNITS:-}")
    refs=$(. "$conf"; echo "${REFERENCE:-}")
    set -- $refs
    for u in $units; do
        [ $# -gt 0 ] || { echo "handout: $conf names more UNITS than REFERENCE" >&2; exit 1; }
        case $1 in
            tests/e2e/lessons_ref/*) ;;   # a reference no server runs: gone (the build takes the starter)
            *) cp "$dir/${u#*=}" "$TREE/$1" ;;
        esac
        shift
    done
done

# ---- the other lessons' units, compiled: a lesson's servers need them ----
# (lesson 02's bin/polling needs a working HTTP parser and buffers). Objects
# only, no source and no debug information, with and without the sanitizers
# make lesson builds with; lessons/grade.sh puts them in place.
objs=""
for conf in lessons/[0-9][0-9]-*/lesson.conf; do
    for r in $(. "./$conf"; echo "${REFERENCE:-}"); do
        case $r in tests/e2e/lessons_ref/*) continue ;; esac   # no other lesson needs it
        objs="$objs ${r%.c}.o"
    done
done
for kind in release san; do
    b=build/handout-objs/$kind
    if [ $kind = san ]; then
        opt="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
    else
        opt="-O2"
    fi
    targets=""
    for o in $objs; do targets="$targets $b/$o"; done
    # shellcheck disable=SC2086
    env -u MAKEFLAGS -u MAKELEVEL ${MAKE:-make} --no-print-directory LESSON_BUILD=1 B=$b \
        BIN=build/handout-objs/bin OPT="$opt" $targets >/dev/null
    for o in $objs; do
        mkdir -p "$TREE/lessons/prebuilt/$kind/$(dirname "$o")"
        cp "$b/$o" "$TREE/lessons/prebuilt/$kind/$o"
    done
done

cat >"$TREE/lessons/HANDOUT" <<'EOF'
This tree is a handout (make handout). Each lesson's units in core/, sse/,
websocket/, longpoll/ and bench/ are that lesson's starter, not a solution:
write your code in lessons/NN-*/ and grade it with make lesson N=NN. Its
servers (make lesson N=NN SERVER=1) run your file, with the other lessons'
units taken from lessons/prebuilt/ (compiled, no source). A plain make builds
the servers from the starters: they do not work until every lesson is done.
EOF

tar -C "$OUT" -czf "$TREE.tar.gz" rtlab-handout
echo "handout: $TREE/ and $TREE.tar.gz"
