"""bench/peers/table.py OUT — peers.md (to stdout) and the chart's data files
(OUT/data/*.dat) from OUT/runs.jsonl (loadgen, label "server/scenario") and
OUT/wrk.jsonl. Each row says how ours compares with the best peer."""
import json
import os
import sys

out = sys.argv[1]


def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


runs = load("runs.jsonl")
wrk = {w["label"]: w for w in load("wrk.jsonl")}
by = {}
for r in runs:
    server, scen = r["label"].split("/", 1)
    by.setdefault(scen, {})[server] = r


def per_cpu(count, cpu_us):
    return count / (cpu_us / 1e6) if cpu_us and cpu_us > 0 else 0


def ratio(ours, best, higher_is_better=True):
    if not ours or not best:
        return "–"
    x = ours / best if higher_is_better else best / ours
    return f"{x:.2f}×"


lines = []
say = lines.append
with open(os.path.join(out, "env.txt")) as f:
    env = f.read().strip().splitlines()
say("# rtlab beside the servers people deploy")
say("")
for e in env:
    say(f"- {e}")
say("")
say("Ratios are ours ÷ best peer for a rate (above 1: we do more with a CPU-second) and")
say("best peer ÷ ours for latency and memory (above 1: ours is lower, better).")

# ---- short polling ----
polls = by.get("polling", {})
if polls:
    say("")
    say("## Short polling: requests per server CPU-second")
    say("")
    say("nginx answers `/poll` with a static JSON body of the right shape (no feed behind it):")
    say("the comparison is the HTTP work per request. Clients poll back to back (`-i 0`).")
    say("")
    say("| server | loadgen req/s | req per server CPU-s | wrk req/s | wrk req per server CPU-s | server RSS KiB |")
    say("|---|---:|---:|---:|---:|---:|")
    rows = {}
    for server, r in polls.items():
        lg = per_cpu(r["requests"], r["server_cpu_us_run"])
        w = wrk.get(f"{server}/polling", {})
        wr = w.get("requests_per_s", 0)
        wcpu = wr * w.get("duration_s", 0) / w["server_cpu_s"] if w.get("server_cpu_s") else 0
        rows[server] = (r["requests_per_s"], lg, wr, wcpu)
        say(f"| {server} | {r['requests_per_s']:.0f} | {lg:.0f} | {wr:.0f} | {wcpu:.0f} | {r['server_rss_after_kb']} |")
    peers = [v for k, v in rows.items() if k != "ours"]
    if "ours" in rows and peers:
        best = max(p[1] for p in peers)
        bestw = max(p[3] for p in peers)
        say(f"| **ours ÷ best peer** | | {ratio(rows['ours'][1], best)} | | {ratio(rows['ours'][3], bestw)} | |")
    with open(os.path.join(out, "data", "polling.dat"), "w") as f:
        f.write("# server loadgen_req_per_cpu_s wrk_req_per_cpu_s wrk_req_per_s\n")
        for server, (rps, lg, wr, wcpu) in rows.items():
            f.write(f"{server} {lg:.0f} {wcpu:.0f} {wr:.0f}\n")

# ---- fan-out ----
fan = {}
for tech in ("sse", "websocket"):
    runs_t = by.get(tech, {})
    if not runs_t:
        continue
    any_run = next(iter(runs_t.values()))
    say("")
    say(f"## {tech}: fan-out, {any_run['clients']} subscribers × {any_run['rate']:g} events/s × {any_run['duration_s']:g} s")
    say("")
    say("| server | deliveries per server CPU-s | CPU µs per delivery | p50 ms | p99 ms | max ms | lost | memory per conn B |")
    say("|---|---:|---:|---:|---:|---:|---:|---:|")
    for server, r in runs_t.items():
        l = r["latency_us"]
        fan.setdefault(server, {})[tech] = r
        lost = f"**{r['lost']}**" if r["lost"] else "0"
        say(f"| {server} | {r['deliveries_per_server_cpu_s']:.0f} | {r['server_cpu_us_per_delivery']:.2f} | "
            f"{l['p50'] / 1e3:.2f} | {l['p99'] / 1e3:.2f} | {l['max'] / 1e3:.2f} | {lost} | {r['server_mem_per_conn_bytes']:.0f} |")
    peers = {k: v for k, v in runs_t.items() if k != "ours"}
    if "ours" in runs_t and peers:
        o = runs_t["ours"]
        best_rate = max(p["deliveries_per_server_cpu_s"] for p in peers.values())
        best_p99 = min(p["latency_us"]["p99"] for p in peers.values())
        say(f"| **ours vs best peer** | {ratio(o['deliveries_per_server_cpu_s'], best_rate)} | | | "
            f"{ratio(o['latency_us']['p99'], best_p99, False)} | | | |")

# ---- idle memory ----
idle = {}
for tech in ("sse", "websocket"):
    for server, r in by.get(f"idle-{tech}", {}).items():
        idle.setdefault(server, {})[tech] = r
if idle:
    any_run = next(iter(next(iter(idle.values())).values()))
    say("")
    say(f"## Memory per idle subscriber ({any_run['clients']} subscribers, server RSS delta ÷ subscribers)")
    say("")
    say("User-space memory only (the server's RSS); the kernel's socket buffers are in bench/scale/.")
    say("")
    say("| server | SSE B/conn | WebSocket B/conn | SSE connect p99 ms | WebSocket connect p99 ms |")
    say("|---|---:|---:|---:|---:|")
    for server, t in idle.items():
        s, w = t.get("sse"), t.get("websocket")
        cell = lambda r, k: f"{r[k]:.0f}" if r else "–"
        sub = lambda r: f"{r['subscribe_us']['p99'] / 1e3:.2f}" if r else "–"
        say(f"| {server} | {cell(s, 'server_mem_per_conn_bytes')} | {cell(w, 'server_mem_per_conn_bytes')} | {sub(s)} | {sub(w)} |")

# ---- chart data: one row per server ----
with open(os.path.join(out, "data", "fanout.dat"), "w") as f:
    f.write("# server sse_deliv_per_cpu_s ws_deliv_per_cpu_s sse_p99_ms ws_p99_ms sse_idle_B ws_idle_B\n")
    for server in sorted(set(fan) | set(idle), key=lambda s: (s != "ours", s)):
        g = lambda d, t, k, scale=1: (d.get(server, {}).get(t, {}).get(k, 0) or 0) / scale
        p99 = lambda t: (fan.get(server, {}).get(t, {}).get("latency_us", {}).get("p99", 0) or 0) / 1e3
        f.write(f"{server} {g(fan, 'sse', 'deliveries_per_server_cpu_s'):.0f} "
                f"{g(fan, 'websocket', 'deliveries_per_server_cpu_s'):.0f} {p99('sse'):.3f} {p99('websocket'):.3f} "
                f"{g(idle, 'sse', 'server_mem_per_conn_bytes'):.0f} {g(idle, 'websocket', 'server_mem_per_conn_bytes'):.0f}\n")

print("\n".join(lines))
