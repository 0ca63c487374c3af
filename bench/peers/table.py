"""bench/peers/table.py OUT — peers.md (to stdout) and the chart's data files
(OUT/data/*.dat) from OUT/runs.jsonl (loadgen, label "server/scenario", one
object per run; a point repeated N times has N objects) and OUT/wrk.jsonl.

Each technique's servers stand side by side: ours, Nchan, and the others that
speak it. Every figure is the median of the point's runs, with the min-max
spread beside it when there were several. Ratios are ours against Nchan (the
issue's targets) and against the best peer."""
import json
import os
import statistics
import sys

out = sys.argv[1]
SERVERS = ["ours", "nchan", "nginx", "lws", "node"]
TECHS = ["polling", "longpoll", "sse", "websocket"]


def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def group(rows):
    """{scenario: {server: [run, ...]}}"""
    by = {}
    for r in rows:
        server, scen = r["label"].split("/", 1)
        by.setdefault(scen, {}).setdefault(server, []).append(r)
    return by


runs = group(load("runs.jsonl"))
wrk = group(load("wrk.jsonl"))


def per_cpu(count, cpu_us):
    return count / (cpu_us / 1e6) if cpu_us and cpu_us > 0 else 0


class Fig:
    """A figure over a point's repeats: median, min, max."""

    def __init__(self, values):
        values = [v for v in values if v is not None]
        self.n = len(values)
        self.med = statistics.median(values) if values else None
        self.lo = min(values) if values else None
        self.hi = max(values) if values else None

    def cell(self, fmt="{:.0f}", scale=1.0):
        if self.med is None:
            return "–"
        text = fmt.format(self.med / scale)
        if self.n > 1 and self.lo != self.hi:
            text += " <sub>" + fmt.format(self.lo / scale) + "–" + fmt.format(self.hi / scale) + "</sub>"
        return text

    def dat(self, scale=1.0):
        if self.med is None:
            return "NaN NaN NaN"
        return f"{self.med / scale:.3f} {self.lo / scale:.3f} {self.hi / scale:.3f}"


def fig(rs, f):
    return Fig([f(r) for r in rs] if rs else [])


def ratio(ours, other, higher_is_better=True):
    if ours is None or other is None or not ours or not other:
        return "–"
    x = ours / other if higher_is_better else other / ours
    return f"{x:.2f}×"


lines = []
say = lines.append
with open(os.path.join(out, "env.txt")) as f:
    env = f.read().strip().splitlines()
say("# rtlab beside Nchan and the servers people deploy")
say("")
for e in env:
    say(f"- {e}")
say("")
say("Every figure is the median of the point's runs (min–max below it when there were")
say("several). Ratios: ours ÷ peer for a rate (above 1: we do more with a CPU-second),")
say("peer ÷ ours for latency and memory (above 1: ours is lower, better).")
noisy = sum(1 for s in runs.values() for rs in s.values() for r in rs if r.get("noisy"))
total = sum(len(rs) for s in runs.values() for rs in s.values())
limit = next((r.get("noise_limit") for s in runs.values() for rs in s.values() for r in rs), 0.25)
say(f"Runs kept: {total}, of them marked noisy (other programs took ≥ {limit:.2f} of a CPU): {noisy}.")
if os.path.exists(os.path.join(out, "discarded.txt")):
    with open(os.path.join(out, "discarded.txt")) as f:
        disc = [l.strip() for l in f if l.strip()]
    say(f"Runs discarded as noisy and re-run: {len(disc)}.")
    for d in disc:
        say(f"- {d}")

# ---- per technique: rate per server CPU-second, latency, lost ----
rate_rows, p99_rows, mem_rows, lost_rows = {}, {}, {}, {}
for tech in TECHS:
    scen = runs.get(tech, {})
    if not scen:
        continue
    any_run = next(iter(scen.values()))[0]
    say("")
    if tech == "polling":
        say(f"## Short polling: requests per server CPU-second ({any_run['clients']} clients back to back, `-i 0`)")
        say("")
        say("nginx answers `/poll` with a static JSON body (no feed behind it); Nchan's interval poll")
        say("answers `304 Not Modified` when there is nothing new (bench/peers/README.md). wrk polls")
        say("the same URL with the same connections, as a second opinion.")
        say("")
        say("| server | loadgen req/s | req per server CPU-s | wrk req/s | wrk req per server CPU-s | server RSS KiB | noisy runs |")
        say("|---|---:|---:|---:|---:|---:|---:|")
    else:
        say(f"## {tech}: fan-out, {any_run['clients']} subscribers × {any_run['rate']:g} events/s × {any_run['duration_s']:g} s")
        say("")
        say("| server | deliveries per server CPU-s | CPU µs per delivery | p50 ms | p99 ms | max ms | lost | memory per conn B | noisy runs |")
        say("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rates = {}
    for server in [s for s in SERVERS if s in scen]:
        rs = scen[server]
        nz = sum(1 for r in rs if r.get("noisy"))
        if tech == "polling":
            lg = fig(rs, lambda r: per_cpu(r["requests"] - 0, r["server_cpu_us_run"]))
            ws = wrk.get("polling", {}).get(server, [])
            wr = fig(ws, lambda w: w["requests_per_s"])
            wc = fig(ws, lambda w: w["requests_per_s"] * w["duration_s"] / w["server_cpu_s"] if w["server_cpu_s"] else None)
            rates[server] = lg
            say(f"| {server} | {fig(rs, lambda r: r['requests_per_s']).cell()} | {lg.cell()} | {wr.cell()} | {wc.cell()} | "
                f"{fig(rs, lambda r: r['server_rss_after_kb']).cell()} | {nz} |")
            p99_rows.setdefault(tech, {})[server] = Fig([])
            lost_rows.setdefault(tech, {})[server] = Fig([])
        else:
            d = fig(rs, lambda r: r["deliveries_per_server_cpu_s"] if r["deliveries_per_server_cpu_s"] > 0 else None)
            rates[server] = d
            p99 = fig(rs, lambda r: r["latency_us"]["p99"])
            lost = fig(rs, lambda r: r["lost"])
            p99_rows.setdefault(tech, {})[server] = p99
            lost_rows.setdefault(tech, {})[server] = lost
            say(f"| {server} | {d.cell()} | {fig(rs, lambda r: r['server_cpu_us_per_delivery']).cell('{:.2f}')} | "
                f"{fig(rs, lambda r: r['latency_us']['p50']).cell('{:.2f}', 1e3)} | {p99.cell('{:.2f}', 1e3)} | "
                f"{fig(rs, lambda r: r['latency_us']['max']).cell('{:.2f}', 1e3)} | "
                f"{'**' + lost.cell() + '**' if lost.med else lost.cell()} | "
                f"{fig(rs, lambda r: r['server_mem_per_conn_bytes']).cell()} | {nz} |")
    rate_rows[tech] = rates
    if "ours" in rates:
        o = rates["ours"].med
        peers = {k: v.med for k, v in rates.items() if k != "ours" and v.med}
        cells = []
        if "nchan" in peers:
            cells.append(f"ours ÷ Nchan **{ratio(o, peers['nchan'])}**")
        if peers:
            best = max(peers, key=peers.get)
            cells.append(f"ours ÷ best peer ({best}) **{ratio(o, peers[best])}**")
        if tech != "polling" and "nchan" in p99_rows.get(tech, {}):
            cells.append(f"p99 Nchan ÷ ours **{ratio(p99_rows[tech]['ours'].med, p99_rows[tech]['nchan'].med, False)}**")
        say("")
        say("Per server CPU-second: " + "; ".join(cells) + ".")

# ---- idle memory ----
idle = {}
for tech in ("longpoll", "sse", "websocket"):
    for server, rs in runs.get(f"idle-{tech}", {}).items():
        idle.setdefault(server, {})[tech] = fig(rs, lambda r: r["server_mem_per_conn_bytes"])
if idle:
    any_run = next(r for k in runs if k.startswith("idle-") for rs in runs[k].values() for r in rs)
    say("")
    say(f"## Memory per idle subscriber ({any_run['clients']} subscribers, server RSS delta ÷ subscribers)")
    say("")
    say("User-space memory only (the server's RSS); the kernel's socket buffers are in bench/scale/.")
    say("")
    say("| server | long poll B/conn | SSE B/conn | WebSocket B/conn |")
    say("|---|---:|---:|---:|")
    for server in [s for s in SERVERS if s in idle]:
        t = idle[server]
        say(f"| {server} | {t.get('longpoll', Fig([])).cell()} | {t.get('sse', Fig([])).cell()} | {t.get('websocket', Fig([])).cell()} |")
        for tech, v in t.items():
            mem_rows.setdefault(tech, {})[server] = v
    if "ours" in idle and "nchan" in idle:
        say("")
        say("Nchan ÷ ours: " + "; ".join(
            f"{tech} **{ratio(idle['ours'][tech].med, idle['nchan'][tech].med, False)}**"
            for tech in ("longpoll", "sse", "websocket") if tech in idle["ours"] and tech in idle["nchan"]) + ".")

# ---- chart data: one row per technique, three columns (median lo hi) per server ----
os.makedirs(os.path.join(out, "data"), exist_ok=True)


def write(name, rows, scale=1.0):
    path = os.path.join(out, "data", name)
    if not any(v.med is not None for r in rows.values() for v in r.values()):
        if os.path.exists(path):
            os.remove(path)
        return                        # nothing measured: peers.gp says so
    with open(os.path.join(out, "data", name), "w") as f:
        f.write("# technique " + " ".join(f"{s} {s}_lo {s}_hi" for s in SERVERS) + "\n")
        for tech in TECHS:
            r = rows.get(tech, {})
            f.write(tech + " " + " ".join(r.get(s, Fig([])).dat(scale) for s in SERVERS) + "\n")


write("rate.dat", rate_rows)
write("p99.dat", p99_rows, 1e3)
write("memory.dat", mem_rows)
write("lost.dat", lost_rows)
print("\n".join(lines))
