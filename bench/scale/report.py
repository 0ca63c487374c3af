"""bench/scale/report.py OUT — scale.md (to stdout) and OUT/data/memory.dat
from OUT/runs.jsonl, the sockstat/meminfo samples (data/conns-T.dat: ms,
connections, socket-buffer pages, slab KiB) and data/base-T.txt."""
import json
import os
import sys

out = sys.argv[1]
page = os.sysconf("SC_PAGESIZE")
runs = {}
if os.path.exists(os.path.join(out, "runs.jsonl")):
    with open(os.path.join(out, "runs.jsonl")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                runs[r["technique"]] = r

print("# Many idle subscribers at once")
print()
with open(os.path.join(out, "env.txt")) as f:
    for line in f.read().strip().splitlines():
        print(f"- {line}")
print()
print("User space is the server's RSS delta ÷ subscribers. Kernel is for BOTH ends of each")
print("connection (loadgen's socket and the server's, one kernel): socket-buffer pages from")
print("/proc/net/sockstat and all slab objects (sockets, files, epoll items) from /proc/meminfo;")
print("the slab figure also moves with whatever else runs on the machine.")
print()
print("| technique | subscribed | user B/conn | kernel socket buffers B/conn | kernel slab B/conn (2 sockets) "
      "| connections/s | subscribe p50 / p99 ms | server CPU µs per connect | one event to all: p50 / max ms | lost |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
with open(os.path.join(out, "data", "memory.dat"), "w") as dat:
    dat.write("# technique user_B kernel_buffers_B kernel_slab_B\n")
    for t, r in runs.items():
        n = r["subscribed"] or 1
        samples = []
        path = os.path.join(out, "data", f"conns-{t}.dat")
        if os.path.exists(path):
            with open(path) as f:
                samples = [tuple(int(x) for x in line.split()) for line in f if len(line.split()) == 4]
        base = [0, 0, 0]
        bpath = os.path.join(out, "data", f"base-{t}.txt")
        if os.path.exists(bpath):
            with open(bpath) as f:
                base = [int(x) for x in f.read().split()]
        buf_b = slab_b = rate = 0.0
        if samples:
            peak = max(samples, key=lambda s: s[1])
            buf_b = (peak[2] - base[1]) * page / n
            slab_b = (peak[3] - base[2]) * 1024 / n
            first = next((s[0] for s in samples if s[1] > 0), None)
            full = next((s for s in samples if s[1] >= 0.99 * n), peak)
            if first is not None and full[0] > first:
                rate = full[1] / ((full[0] - first) / 1000)
        connect_cpu = r["server_cpu_us_connect"] / n if r["server_cpu_us_connect"] > 0 else 0
        l = r["latency_us"]
        s = r["subscribe_us"]
        lost = f"**{r['lost']}**" if r["lost"] else "0"
        print(f"| {t} | {r['subscribed']} | {r['server_mem_per_conn_bytes']:.0f} | {buf_b:.0f} | {slab_b:.0f} | "
              f"{rate:.0f} | {s['p50'] / 1e3:.1f} / {s['p99'] / 1e3:.1f} | {connect_cpu:.1f} | "
              f"{l['p50'] / 1e3:.1f} / {l['max'] / 1e3:.1f} | {lost} |")
        dat.write(f"{t} {r['server_mem_per_conn_bytes']:.0f} {buf_b:.0f} {slab_b:.0f}\n")
