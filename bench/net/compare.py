"""bench/net/compare.py RESULTS — compare.md (to stdout) and RESULTS/net/p99.dat,
p50.dat: each technique's latency under every profile that has been run
(RESULTS/net-PROFILE/runs.jsonl)."""
import json
import os
import sys

results = sys.argv[1]
profiles = [p for p in ("clean", "rtt50", "loss1", "jitter") if os.path.exists(os.path.join(results, f"net-{p}", "runs.jsonl"))]
techs = ["baseline", "polling", "longpoll", "sse", "websocket"]
data = {}
for p in profiles:
    with open(os.path.join(results, f"net-{p}", "runs.jsonl")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                data[(p, r["technique"])] = r

print("# The four techniques across impaired networks")
print()
print("Delivery latency, ms, p50 / p99 (max), per profile; see each bench/results/net-PROFILE/summary.md.")
print()
print("| technique | " + " | ".join(profiles) + " |")
print("|---|" + "---:|" * len(profiles))
for t in techs:
    cells = []
    for p in profiles:
        r = data.get((p, t))
        if r:
            l = r["latency_us"]
            cells.append(f"{l['p50'] / 1e3:.1f} / {l['p99'] / 1e3:.1f} ({l['max'] / 1e3:.0f})")
        else:
            cells.append("–")
    print(f"| {t} | " + " | ".join(cells) + " |")
for key in ("p50", "p99"):
    with open(os.path.join(results, "net", f"{key}.dat"), "w") as f:
        f.write("# technique " + " ".join(profiles) + "\n")
        for t in techs:
            f.write(t + " " + " ".join(f"{data[(p, t)]['latency_us'][key] / 1e3:.3f}" if (p, t) in data else "NaN"
                                       for p in profiles) + "\n")
with open(os.path.join(results, "net", "profiles.txt"), "w") as f:
    f.write(" ".join(profiles) + "\n")
