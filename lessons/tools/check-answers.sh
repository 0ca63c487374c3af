#!/bin/sh
# lessons/tools/check-answers.sh — grade lesson 09's answers.txt.
#
# Usage: [RUNS=path/to/runs.jsonl] check-answers.sh path/to/answers.txt
# The questions about numbers are checked against a real bench run: by
# default the one kept in lessons/09-choosing/sample/ (taken with `make bench
# QUICK=1` on the project's 2-core machine), or your own with
# RUNS=bench/results/latest/runs.jsonl. The right answer is computed from
# that file each time, never stored: a different run has different numbers.
# The questions about choosing have one answer each, the one the lesson
# argues for. One "  ok"/"  FAIL" line per question; exit 1 on any FAIL.
set -u
cd "$(dirname "$0")/../.."
runs=${RUNS:-lessons/09-choosing/sample/runs.jsonl}
[ -f "$runs" ] || { echo "  FAIL  no bench results at $runs (make bench QUICK=1 first)"; exit 1; }
command -v python3 >/dev/null || { echo "  FAIL  python3 is needed to read runs.jsonl (scripts/deps.sh test)"; exit 2; }
python3 - "$runs" "$1" <<'PY'
import json, sys

runs_path, answers_path = sys.argv[1], sys.argv[2]
runs = [json.loads(line) for line in open(runs_path) if line.strip()]

def run(tech, clients, rate):
    """The last run of tech with these clients and rate, or None."""
    found = [r for r in runs if r["technique"] == tech and r["clients"] == clients
             and abs(r["rate"] - rate) < 1e-9]
    return found[-1] if found else None

def techniques(clients, rate):
    return [r["technique"] for r in runs if r["clients"] == clients
            and abs(r["rate"] - rate) < 1e-9 and r["technique"] != "baseline"]

def best(clients, rate, value, pick):
    names = techniques(clients, rate)
    if not names:
        return None
    return pick(names, key=lambda t: value(run(t, clients, rate)))

def field(tech, clients, rate, get):
    r = run(tech, clients, rate)
    return None if r is None else get(r)

def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b

# name -> (what it asks, the right answer, kind): kind "name" or a relative tolerance
QUESTIONS = [
    ("fewest_bytes_per_delivery", "the technique (not baseline) that moved the fewest bytes per delivery, 1000 clients x 200 events/s",
     best(1000, 200, lambda r: r["bytes_per_delivery"], min), "name"),
    ("lowest_p99", "the technique (not baseline) with the lowest p99 latency, 1000 clients x 200 events/s",
     best(1000, 200, lambda r: r["latency_us"]["p99"], min), "name"),
    ("most_requests_per_delivery", "the technique that made the most requests per delivery, 1000 clients x 10 events/s",
     best(1000, 10, lambda r: r["requests_per_delivery"], max), "name"),
    ("sse_p99_ms", "SSE's p99 latency in milliseconds, 1000 clients x 200 events/s",
     field("sse", 1000, 200, lambda r: r["latency_us"]["p99"] / 1000.0), 0.02),
    ("polling_empty_polls", "how many polls came back empty for short polling, 1000 clients x 10 events/s",
     field("polling", 1000, 10, lambda r: r["empty_polls"]), 0.01),
    ("polling_cpu_vs_baseline", "short polling's server CPU per delivery divided by the baseline's, 1000 clients x 200 events/s",
     ratio(field("polling", 1000, 200, lambda r: r["server_cpu_us_per_delivery"]),
           field("baseline", 1000, 200, lambda r: r["server_cpu_us_per_delivery"])), 0.05),
    # Choosing: the answers the lesson argues for (docs/DESIGN.md's study note).
    ("chat", "a chat room where everyone types", "websocket", "name"),
    ("prices", "live prices pushed to 10 000 browsers that never send anything back", "sse", "name"),
    ("strict_proxy", "news within a second, through a proxy that lets only plain, short HTTP requests through", "longpoll", "name"),
    ("daily_report", "a dashboard tile showing a report that changes once a day", "polling", "name"),
    ("game", "a multiplayer game: every player sends moves and sees everyone's", "websocket", "name"),
]

given = {}
for line in open(answers_path, encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if ":" in line:
        key, _, value = line.partition(":")
        given[key.strip()] = value.strip()

ok_all = True
for key, what, right, kind in QUESTIONS:
    answer = given.get(key, "")
    if right is None:
        ok, why = False, "the bench run %s has no run this question needs" % runs_path
    elif answer == "":
        ok, why = False, "no answer yet"
    elif kind == "name":
        ok = answer.lower() == str(right)
        why = "%r is not it" % answer
        if ok is False and key in ("chat", "prices", "strict_proxy", "daily_report", "game"):
            why += " (think: who talks, how often, and what the network lets through)"
        elif ok is False:
            why += " (read it again in %s)" % runs_path
    else:
        try:
            value = float(answer)
            ok = abs(value - right) <= kind * abs(right) + 1e-9
            why = "%s is not within %g%% of the run's value" % (answer, kind * 100)
        except ValueError:
            ok, why = False, "%r is not a number" % answer
    ok_all = ok_all and ok
    print(("  ok    " if ok else "  FAIL  ") + key + ": " + what)
    if not ok:
        print("        " + why)
sys.exit(0 if ok_all else 1)
PY
