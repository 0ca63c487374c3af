#!/bin/sh
# lessons/grade.sh — grade one lesson: build the project's own Check tests
# against the student's files, run them, and say in plain words which
# behaviours work and which do not. `make lesson N=NN` calls it.
#
# Usage: lessons/grade.sh NN [--server] [--dir DIR] [--reference] [--build-only]
#                           [--reuse-reference] [--stop-early]
#   NN           the lesson number (1, 01 and 01-http-by-hand all work)
#   --server     build the real server with the student's files in it and
#                start it in the foreground (Ctrl-C stops it)
#   --dir DIR    take the student's files from DIR instead of lessons/NN-*/
#   --reference  grade the project's own files (the proof in make test)
#   --build-only build what the grading needs, and stop
#   --reuse-reference  start a new build directory from a copy of the
#                reference's, so only the student's files are compiled
#                (the mutation proof: tests/e2e/lessons_mutants.sh)
#   --stop-early stop after the first test program with a FAIL (exit 1)
#   --all        run every test program, LATER ones too (make grade: the score
#                counts every behaviour)
#
# The student's code is built with AddressSanitizer and UndefinedBehavior-
# Sanitizer (LESSON_SAN=0 turns them off), so a read one byte past a buffer
# fails the behaviour that did it; a sanitizer report is shown in plain
# words (what went wrong, in which function, at which line). A build
# directory remembers its flags and is built again from nothing when they
# change.
#
# Each lesson folder has a lesson.conf (plain shell, read here) that names:
#   UNITS        "VAR=file ..."  the files the student writes, and the make
#                variable that swaps each into the build (HTTP_SRC, FEED_SRC..)
#   TESTS        Check programs of tests/ that grade them (built with the
#                student's files linked in)
#   SERVERS      servers those tests start (built with the student's files)
#   EXTRA        "checker file": a file that is no C unit (a script, answers)
#                and the script in lessons/tools/ that grades it
#   LATER        test programs run only once every program before them passes
#   WRITE, BLAME the functions the student writes, and which to suspect when
#                a test fails ("callee:text|program:text"): "look first at"
#   SERVER_PROG, SERVER_ARGS, TRY   what --server builds and starts, and how
#                to try it; SERVER_CMD, when set, is a script in lessons/tools/
#                that --server runs instead (given the bin directory)
#
# Builds go to build/lesson-NN/<who>/ and bin/lesson-NN/<who>/, one pair per
# source of files, so switching between two copies never reuses an object
# made from the other. Every test has a time limit; nothing listens beyond
# 127.0.0.1. Exit: 0 all behaviours work, 1 some do not, 2 it did not build.
set -u

cd "$(dirname "$0")/.."
ROOT=$(pwd)
MAKE=${MAKE:-make}

usage() {
    echo "usage: make lesson N=NN [SERVER=1] [STUDENT_DIR=dir]" >&2
    echo "lessons:" >&2
    for d in lessons/[0-9][0-9]-*/; do echo "  $(basename "$d")" >&2; done
    exit 2
}

# ---- arguments ----
[ $# -ge 1 ] && [ -n "$1" ] || usage
want=$1
shift
serve=0 from_dir="" reference=0 build_only=0 reuse=0 stop_early=0 run_all=0
while [ $# -gt 0 ]; do
    case $1 in
        --server) serve=1 ;;
        --reuse-reference) reuse=1 ;;
        --stop-early) stop_early=1 ;;
        --all) run_all=1 ;;
        --dir) [ $# -ge 2 ] || usage; from_dir=$2; shift ;;
        --reference) reference=1 ;;
        --build-only) build_only=1 ;;
        *) usage ;;
    esac
    shift
done

# "1", "01", "01-http-by-hand" -> lessons/01-http-by-hand
num=$(printf '%s' "$want" | sed 's/-.*//; s/^0*//')
case $num in ''|*[!0-9]*) usage ;; esac
NN=$(printf '%02d' "$num")
set -- lessons/"$NN"-*/
[ -d "$1" ] || { echo "There is no lesson $NN." >&2; usage; }
LESSON_DIR=${1%/}
LESSON=$(basename "$LESSON_DIR")

UNITS="" REFERENCE="" WRITE="" BLAME="" LATER="" TESTS="" SERVERS="" EXTRA="" SERVER_PROG="" SERVER_ARGS="" SERVER_CMD="" TRY=""
. "./$LESSON_DIR/lesson.conf"

# ---- where the student's files are, and where this build goes ----
if [ $reference -eq 1 ]; then
    SRC_DIR=tests/e2e/lessons_ref/$LESSON     # only for EXTRA files
    who=reference
elif [ -n "$from_dir" ]; then
    [ -d "$from_dir" ] || { echo "No such directory: $from_dir" >&2; exit 2; }
    SRC_DIR=$(cd "$from_dir" && pwd)
    who=dir-$(printf '%s' "$SRC_DIR" | cksum | cut -d' ' -f1)
else
    SRC_DIR=$LESSON_DIR
    who=student
fi
B=build/lesson-$NN/$who
BIN=bin/lesson-$NN/$who
OUT=$B/results

# The flags a build directory was made with: when they change (sanitizers
# on or off, another compiler, CFLAGS), everything in it is built again.
LESSON_SAN=${LESSON_SAN:-1}
san_var=""
[ "$LESSON_SAN" = 1 ] && san_var="SAN=1"
flags="$san_var CC=${CC:-cc} CFLAGS=${CFLAGS:-} CI=${CI:-}"
if [ -d "$B" ] && [ "$(cat "$B/.flags" 2>/dev/null)" != "$flags" ]; then
    rm -rf "$B" "$BIN"
fi
REF_B=build/lesson-$NN/reference REF_BIN=bin/lesson-$NN/reference
if [ $reuse -eq 1 ] && [ ! -d "$B" ] && [ "$(cat "$REF_B/.flags" 2>/dev/null)" = "$flags" ]; then
    # Only the student's objects differ: make sees their sources newer than
    # the copied objects and compiles just those, then links again.
    mkdir -p "$(dirname "$B")" "$(dirname "$BIN")"
    cp -a "$REF_B" "$B" && cp -a "$REF_BIN" "$BIN" && rm -rf "$B/results"
    for r in $REFERENCE; do rm -f "$B/${r%.c}.o" "$B/${r%.c}.d"; done   # never the reference's object
    # the copied dependency lists name the reference's objects: name ours
    find "$B" -name '*.d' -exec sed -i "s|$REF_B/|$B/|g" {} +
fi
mkdir -p "$OUT" "$BIN"
printf '%s\n' "$flags" >"$B/.flags"

# A handout tree (lessons/tools/handout.sh) has no source for the other
# lessons' units, only their starters: their compiled objects come from
# lessons/prebuilt/, newer than the starters, so make takes them as built.
PREBUILT=lessons/prebuilt/$([ "$LESSON_SAN" = 1 ] && echo san || echo release)
if [ -d "$PREBUILT" ]; then
    (cd "$PREBUILT" && find . -name '*.o') | while read -r o; do
        mine=0
        for r in $REFERENCE; do [ "./${r%.c}.o" = "$o" ] && mine=1; done
        [ $mine -eq 1 ] && continue                  # this lesson's: built from the student's file
        mkdir -p "$(dirname "$B/$o")"
        [ -f "$B/$o" ] || cp "$PREBUILT/$o" "$B/$o"
        touch "$B/$o"
    done
fi

# The make variables that swap the student's files in. The reference build
# leaves them at their defaults: the project's own files.
make_vars="LESSON_BUILD=1 $san_var B=$B BIN=$BIN"
for u in $UNITS; do
    var=${u%%=*} file=${u#*=}
    if [ $reference -eq 0 ]; then
        [ -f "$SRC_DIR/$file" ] || { echo "Missing file: $SRC_DIR/$file" >&2; exit 2; }
        make_vars="$make_vars $var=$SRC_DIR/$file"
    fi
done

say() { printf '%s\n' "$*"; }

# ---- build ----
build() {
    log=$OUT/build.log
    # shellcheck disable=SC2086  # the lists are words on purpose
    if ! $MAKE --no-print-directory $make_vars "$@" >"$log" 2>&1; then
        say ""
        say "Lesson $LESSON does not build yet. What the compiler said:"
        say ""
        grep -E 'error|warning|undefined reference|note:' "$log" | head -30 | sed 's/^/    /'
        say ""
        say "(the whole build log: $log)"
        if grep -qE 'check\.h|ev\.h|-lcheck|-lev' "$log"; then
            say "A library is missing, not your code: run make deps-test (or just make) first."
        fi
        exit 2
    fi
    if grep -q 'warning:' "$log"; then
        say "The compiler warns (under CI=true a warning is an error):"
        grep 'warning:' "$log" | head -10 | sed 's/^/    /'
    fi
}

targets=""
for t in $TESTS; do targets="$targets $BIN/tests/$t"; done
for s in $SERVERS; do targets="$targets $BIN/$s"; done

# ---- --server: the real server with the student's files in it ----
if [ $serve -eq 1 ]; then
    if [ -z "$SERVER_PROG" ]; then
        say "Lesson $LESSON has no server of its own to start. $TRY"
        exit 0
    fi
    say "Building $SERVER_PROG with your files from $SRC_DIR ..."
    # shellcheck disable=SC2086
    build $BIN/$SERVER_PROG
    if [ -n "$SERVER_CMD" ]; then
        exec sh "lessons/tools/$SERVER_CMD" "$BIN"
    fi
    say ""
    say "Starting $BIN/$SERVER_PROG (Ctrl-C stops it). Try, in another terminal:"
    say ""
    # With PORT, the demo page served from that port must talk to it: the
    # page takes its four servers' ports from ?ports= (web/common.js).
    page=""
    if [ -n "${PORT:-}" ]; then
        case $SERVER_PROG in
            polling) ports="$PORT,8002,8003,8004" ;;
            longpoll) ports="8001,$PORT,8003,8004" ;;
            sse) ports="8001,8002,$PORT,8004" ;;
            websocket) ports="8001,8002,8003,$PORT" ;;
            *) ports="" ;;
        esac
        [ -n "$ports" ] && page="s|http://localhost:800[0-9]/ |http://localhost:$PORT/?ports=$ports |g;"
    fi
    printf '%s\n' "$TRY" | sed "s/^/    /; $page ${PORT:+s/localhost:800[0-9]/localhost:$PORT/g}"
    say ""
    # shellcheck disable=SC2086
    exec "$BIN/$SERVER_PROG" $SERVER_ARGS ${PORT:+-p "$PORT"}
fi

# ---- grading ----
if [ $build_only -eq 1 ]; then
    [ -n "$targets" ] && build $targets
    exit 0
fi
say "Grading lesson $LESSON: your files in $SRC_DIR"
[ -n "$targets" ] && build $targets

# The comment above START_TEST(name) in a test file: what that test checks,
# in the words of whoever wrote the test, as one line.
describe() {
    awk -v name="$2" '
        /^[ \t]*\/\*/ { text = ""; incomment = 1 }
        incomment {
            line = $0
            sub(/^[ \t]*\/\*+[ \t]*/, "", line); sub(/^[ \t]*\*+[ \t]?/, "", line)
            done = sub(/[ \t]*\*\/.*$/, "", line)
            if (line != "") text = text (text == "" ? "" : " ") line
            if (done) { incomment = 0; have = 1 }
            next
        }
        $0 ~ "^START_TEST\\(" name "\\)" { if (have) print text; found = 1; exit }
        /^[ \t]*$/ { next }
        { have = 0; text = "" }
    ' "$1"
}

# One Check log (CK_LOG_FILE_NAME: every test, passed or not) -> one line per
# test: result, the number of cases, the first failure's message.
# Lines look like  tests/unit/test_feed.c:59:F:tcase:cursor_after_wraparound:2: message
summarise() {
    awk -F: '
        /^[^:]+:[0-9]+:[PFE]:/ {
            key = $1 SUBSEP $5
            if (!(key in total)) { order[++n] = key; file[key] = $1; name[key] = $5 }
            total[key]++
            if ($3 != "P") {
                bad[key]++
                if (!(key in first)) {
                    msg = $7; for (i = 8; i <= NF; i++) msg = msg ":" $i
                    sub(/^ /, "", msg)
                    first[key] = msg; where[key] = $1 ":" $2; kind[key] = $3
                    more = 20; continuing = key   # a message may run over lines
                    next
                }
            }
            continuing = ""
            next
        }
        continuing != "" && more > 0 && $0 !~ /^[ \t]*$/ && $0 !~ /^([0-9]+%: Checks:|Results for all suites run:|Running suite)/ {
            first[continuing] = first[continuing] "\\n" $0   # the line break it printed
            more--
        }
        END {
            for (i = 1; i <= n; i++) {
                k = order[i]
                # A raw CR would send the cursor back over the line; a tab
                # would split the fields below: both shown as escapes.
                gsub(/\r/, "\\r", first[k]); gsub(/\t/, "\\t", first[k]); gsub(/\033/, "\\e", first[k])
                printf "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", file[k], name[k], total[k], bad[k] + 0,
                       kind[k], where[k], first[k]
            }
        }' "$1"
}

# Check's own assertion messages, "Assertion 'a == b' failed: a == 1, b == 2",
# as "expected a == b; a was 1, b was 2" (dropping "b was b" for a constant).
plain_assertion() {
    printf '%s\n' "$1" | sed -E \
        -e "s/^Assertion '(.+) (==|!=|<=|>=|<|>) (.+)' failed: \1 == (.*), \3 == (.*)\$/expected \1 \2 \3; \1 was \4, \3 was \5/" \
        -e 's/, (.+) was \1$//' \
        -e "s/^Assertion '(.+)' failed\$/expected \1, and it was not/"
}

# A Check message in plain words.
explain() {
    case $2 in
        *"Test timeout expired"*) say "your code did not finish in time (an endless loop, or waiting for something that never comes)" ;;
        *"Received signal"*|*"Early exit"*)
            if [ -n "$san" ]; then say "the sanitizer stopped your code: $(printf '%s\n' "$san" | head -1)"
            elif [ "${2#*Received}" != "$2" ]; then say "your code crashed: ${2#*Received }"
            else say "your code made the test program exit early: $2"; fi ;;
        Assertion*) plain_assertion "$2" ;;
        *) say "$2" ;;
    esac
}

# The student's file names: a sanitizer report is placed at the first frame
# in one of them.
unit_files=""
for u in $UNITS; do unit_files="$unit_files ${u#*=}"; done

# What the sanitizers reported while one test program ran (its own forked
# tests and the servers it started), one plain line per distinct report.
san_lines() {
    [ -n "$(ls "$1" 2>/dev/null)" ] || return 0
    python3 lessons/tools/sanitizer_report.py "$1" $unit_files 2>/dev/null ||
        cat "$1"/* | grep -E 'SUMMARY|runtime error' | head -3
}

# Long compared strings cut around their first difference (lessons/tools/cut.py).
shorten() {
    python3 lessons/tools/cut.py "$1" 2>/dev/null || printf '%s\n' "$1"
}

# What a server that did not start printed (it shares the test's stderr):
# the lines that are not Check's own.
server_said() {
    grep -vE '^([0-9]+%: Checks|Running suite|[^ ]+:[0-9]+:[PFE]:)' "$1" 2>/dev/null |
        grep -v 'did not start' | awk '!seen[$0]++' | head -3 | tr '\n' ' ' | cut -c1-300
}

# The function most likely at fault for a failing test: the one the
# sanitizer stopped in, else those of the student's (WRITE in lesson.conf)
# that the test's body calls, else what BLAME says for a function the body
# calls or for the whole test program ("key:text|key:text").
suspects() {
    f=$(printf '%s\n' "$san" | sed -n 's/.*, in \([A-Za-z_0-9]*\) at .*/\1/p' | head -1)
    if [ -n "$f" ]; then echo "$f"; return; fi
    body=$(awk -v name="$2" '$0 ~ "^START_TEST\\(" name "\\)" {on = 1} on {print} on && /^END_TEST/ {exit}' "$1" 2>/dev/null)
    found=""
    for w in $WRITE; do
        printf '%s\n' "$body" | grep -qw "$w" && found="${found:+$found, }$w"
    done
    if [ -n "$found" ]; then echo "$found"; return; fi
    printf '%s\n' "$BLAME" | tr '|' '\n' | while IFS=: read -r key text; do
        [ -n "$key" ] || continue
        if [ "$key" = "$3" ] || printf '%s\n' "$body" | grep -qw "$key"; then echo "$text"; break; fi
    done
}

# A file that is no C unit: its own checker (lessons/tools/) prints one
# "  ok ..." or "  FAIL ..." line per behaviour and exits non-zero on any FAIL.
run_extra() {
    [ -n "$EXTRA" ] || return 0
    set -- $EXTRA
    checker=$1 file=$2
    if [ ! -f "$SRC_DIR/$file" ]; then
        say "  FAIL  missing file: $SRC_DIR/$file"
        behaviours=$((behaviours + 1)) broken=$((broken + 1))
    else
        BIN=$BIN sh "lessons/tools/$checker" "$SRC_DIR/$file" >"$OUT/extra.out" 2>&1
        rc=$?
        cat "$OUT/extra.out"
        oks=$(grep -c '^  ok ' "$OUT/extra.out")
        fails=$(grep -c '^  FAIL ' "$OUT/extra.out")
        if [ $rc -ne 0 ] && [ "$fails" -eq 0 ]; then fails=1; fi
        behaviours=$((behaviours + oks + fails)) broken=$((broken + fails))
    fi
}
behaviours=0 broken=0
# --stop-early (the mutation proof): the file that is no C unit first, its
# checker takes a second where the test programs may take half a minute.
if [ $stop_early -eq 1 ]; then
    run_extra
    if [ $broken -gt 0 ]; then
        say ""
        say "Lesson $NN: stopped after the check of $EXTRA (--stop-early)."
        exit 1
    fi
fi
for t in $TESTS; do
    # A program named in LATER runs only once every program before it
    # passes: the real server would only repeat their failures, slowly
    # (each failing WebSocket test waits out its read timeout).
    case " $LATER " in *" $t "*)
        if [ $broken -gt 0 ] && [ $run_all -eq 0 ]; then
            say "  FAIL  $t has not run yet: it starts the real server with your code, once everything above works"
            behaviours=$((behaviours + 1)) broken=$((broken + 1))
            continue
        fi ;;
    esac
    log=$OUT/$t.log
    san_dir=$OUT/san-$t
    rm -rf "$log" "$san_dir"
    mkdir -p "$san_dir"
    # Reports go to files (one per process), so that the test's and the
    # servers' are both kept and none is lost in a forked child's stderr.
    RTLAB_BIN=$BIN CK_LOG_FILE_NAME=$log \
        ASAN_OPTIONS="log_path=$ROOT/$san_dir/report:${ASAN_OPTIONS:-}" \
        UBSAN_OPTIONS="log_path=$ROOT/$san_dir/report:print_stacktrace=1:${UBSAN_OPTIONS:-}" \
        timeout -k 5 300 "$BIN/tests/$t" >"$OUT/$t.out" 2>&1 </dev/null
    rc=$?
    san=$(san_lines "$san_dir")
    broken_before=$broken
    if [ ! -s "$log" ] || ! grep -qE '^[^:]+:[0-9]+:[PFE]:' "$log"; then
        say "  FAIL  $t did not run at all (exit $rc); it said: $(server_said "$OUT/$t.out")"
        say "        (its whole output: $OUT/$t.out)"
        behaviours=$((behaviours + 1)) broken=$((broken + 1))
        continue
    fi
    summarise "$log" >"$OUT/$t.summary"
    while IFS='	' read -r file name total bad kind where msg; do
        behaviours=$((behaviours + 1))
        what=$(describe "$file" "$name")
        [ -n "$what" ] || what=$(echo "$name" | tr '_' ' ')
        cases=""
        [ "$total" -gt 1 ] && cases=" [$total cases]"
        if [ "$bad" -eq 0 ]; then
            say "  ok    $what$cases"
        else
            broken=$((broken + 1))
            [ "$total" -gt 1 ] && cases=" [$bad of $total cases fail]"
            say "  FAIL  $what$cases"
            happened=$(explain "$kind" "$msg")
            case $msg in *"did not start"*)
                happened="$happened; it said: $(server_said "$OUT/$t.out")" ;;
            esac
            say "        what happened: $(shorten "$happened")"
            suspect=$(suspects "$file" "$name" "$t")
            [ -n "$suspect" ] && say "        look first at: $suspect"
            say "        (test $name, $where)"
        fi
    done <"$OUT/$t.summary"
    # Check reports a test that ran but logged nothing it recognised here.
    if [ $rc -ne 0 ] && ! grep -qE '^[^:]+:[0-9]+:[FE]:' "$log"; then
        say "  FAIL  $t exited with status $rc; its output: $OUT/$t.out"
        behaviours=$((behaviours + 1)) broken=$((broken + 1))
    fi
    # A sanitizer report is a failure even when every assertion held (a
    # server that overflowed a buffer and went on, a leak at exit).
    if [ -n "$san" ]; then
        if [ $broken -eq $broken_before ]; then
            say "  FAIL  The sanitizers found no memory error and no undefined behaviour while $t ran."
            behaviours=$((behaviours + 1)) broken=$((broken + 1))
        fi
        printf '%s\n' "$san" | sed 's/^/        sanitizer: /'
        say "        (every report: $san_dir/)"
    fi
    if [ $stop_early -eq 1 ] && [ $broken -gt 0 ]; then
        say ""
        say "Lesson $NN: stopped after $t, the first program with a FAIL (--stop-early)."
        exit 1
    fi
done

if [ $stop_early -eq 0 ]; then run_extra; fi

say ""
if [ $broken -eq 0 ]; then
    say "Lesson $NN: all $behaviours behaviours work."
    [ -n "$SERVER_PROG" ] && say "Now see it for real: make lesson N=$NN SERVER=1"
    exit 0
fi
say "Lesson $NN: $((behaviours - broken)) of $behaviours behaviours work; $broken to go."
say "Each FAIL says what was expected and what happened. Mend one, then run make lesson N=$NN again."
exit 1
