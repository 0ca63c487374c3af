"""bench/net/summary.py OUT — summary.md (to stdout) and OUT/data/latency.dat
from OUT/runs.jsonl; beside bench/results/net-clean/ when that exists, so each
row also says what the impaired network added."""
import json
import os
import sys

out = sys.argv[1]
profile = os.path.basename(out.rstrip("/"))[len("net-"):]


def load(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {r["technique"]: r for r in (json.loads(l) for l in f if l.strip())}


runs = load(os.path.join(out, "runs.jsonl"))
clean = load(os.path.join(os.path.dirname(out.rstrip("/")), "net-clean", "runs.jsonl")) if profile != "clean" else {}
order = ["baseline", "polling", "longpoll", "sse", "websocket"]
ms = lambda us: us / 1000.0

print(f"# Impaired network: {profile}")
print()
with open(os.path.join(out, "env.txt")) as f:
    for line in f.read().strip().splitlines():
        print(f"- {line}")
print()
print("Latency is from the publisher's scheduled send to the subscriber's read (the publisher")
print("crosses unimpaired, so this is one trip across the impaired link plus what the technique adds).")
print()
head = "| technique | p50 ms | p90 ms | p99 ms | max ms | lost | bytes/delivery | requests/delivery | subscribe p50 ms |"
if clean:
    head += " p50 / p99 added vs clean, ms |"
print(head)
print("|" + "---|" + "---:|" * (head.count("|") - 2))
with open(os.path.join(out, "data", "latency.dat"), "w") as dat:
    dat.write("# technique p50_ms p90_ms p99_ms max_ms\n")
    for t in order:
        r = runs.get(t)
        if not r:
            continue
        l = r["latency_us"]
        lost = f"**{r['lost']}**" if r["lost"] else "0"
        row = (f"| {t} | {ms(l['p50']):.1f} | {ms(l['p90']):.1f} | {ms(l['p99']):.1f} | {ms(l['max']):.1f} | {lost} | "
               f"{r['bytes_per_delivery']:.0f} | {r['requests_per_delivery']:.2f} | {ms(r['subscribe_us']['p50']):.1f} |")
        if clean:
            c = clean.get(t)
            row += (f" {ms(l['p50'] - c['latency_us']['p50']):+.1f} / {ms(l['p99'] - c['latency_us']['p99']):+.1f} |"
                    if c else " – |")
        print(row)
        dat.write(f"{t} {ms(l['p50']):.3f} {ms(l['p90']):.3f} {ms(l['p99']):.3f} {ms(l['max']):.3f}\n")
