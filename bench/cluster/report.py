#!/usr/bin/python3
"""bench/cluster/report.py OUT — cluster.md from cost.dat, crowd.json and env.txt."""
import json
import os
import sys

out = sys.argv[1]
runs = {}          # (config, tech, load) -> one dict per run (repeat)
for line in open(os.path.join(out, 'cost.dat')):
    if line.startswith('#') or not line.strip():
        continue
    f = line.split()
    runs.setdefault((f[0], f[1], f[2]), []).append({
        'clients': int(f[3]), 'p50': float(f[5]), 'p99': float(f[6]), 'deliveries': int(f[7]),
        'cpu': float(f[8]), 'dps': float(f[9]), 'nginx': float(f[10]), 'lost': int(f[11]), 'dup': int(f[12])})
for rs in runs.values():   # deliveries per CPU-second with nginx's CPU counted too
    for r in rs:
        r['whole'] = r['deliveries'] / (r['cpu'] + r['nginx']) if r['cpu'] + r['nginx'] > 0 else 0


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


# Each point: the median of its runs for every figure (lost and dup: the
# sum), and min/max beside it as NAME_lo / NAME_hi.
rows = {}
for key, rs in runs.items():
    row = {'runs': len(rs), 'lost': sum(r['lost'] for r in rs), 'dup': sum(r['dup'] for r in rs)}
    for name in ('clients', 'p50', 'p99', 'deliveries', 'cpu', 'dps', 'nginx', 'whole'):
        vals = [r[name] for r in rs]
        row[name], row[name + '_lo'], row[name + '_hi'] = median(vals), min(vals), max(vals)
    rows[key] = row

NAMES = {'one': 'one process', 'redis1': 'one behind Redis', 'redis2': 'two behind Redis',
         'nginx2': 'two behind Redis, via nginx'}
CONFIGS = ('one', 'redis1', 'redis2', 'nginx2')
print('# make bench CLUSTER=1\n')
print('```')
print(open(os.path.join(out, 'env.txt')).read().strip())
print('```\n')
print('## What the broker costs\n')
print('Latency from each event\'s scheduled send to its arrival (loadgen), and deliveries per CPU-second '
      'of every server process and redis-server (nginx beside it, not counted in it; the last column '
      'counts it too). Each figure is the median of the point\'s runs; the spread (min–max) of the '
      'deliveries per CPU-second is beside it, lost and dup are summed over the runs.\n')
print('| technique | setup | runs | light p50 / p99 µs | load p50 / p99 µs | load: deliveries per CPU-s (min–max) | '
      'of one process (min–max) | nginx CPU s | of one process, nginx counted | lost / dup |')
print('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
summary = []
for tech in ('sse', 'websocket'):
    base = rows.get(('one', tech, 'load'))
    for cfg in CONFIGS:
        lt, ld = rows.get((cfg, tech, 'light')), rows.get((cfg, tech, 'load'))
        if not lt or not ld:
            continue
        b = base['dps'] if base and base['dps'] else 0
        ratio = f"{ld['dps'] / b:.2f} × ({ld['dps_lo'] / b:.2f}–{ld['dps_hi'] / b:.2f})" if b else '—'
        whole = f"{ld['whole'] / b:.2f} ×" if b else '—'
        print(f"| {tech} | {NAMES[cfg]} | {ld['runs']} | {lt['p50']:.0f} / {lt['p99']:.0f} | "
              f"{ld['p50']:.0f} / {ld['p99']:.0f} | {ld['dps']:.0f} ({ld['dps_lo']:.0f}–{ld['dps_hi']:.0f}) | "
              f"{ratio} | {ld['nginx']:.2f} | {whole} | {lt['lost'] + ld['lost']} / {lt['dup'] + ld['dup']} |")
    one, r1, r2, n2 = (rows.get((c, tech, 'light')) for c in CONFIGS)
    l1, l2, ln = (rows.get((c, tech, 'load')) for c in CONFIGS[1:])
    if one and r1 and r2 and n2 and base and l1 and l2 and ln:
        summary.append(f"- **{tech}**: extra p50 at light load through Redis **{r1['p50'] - one['p50']:+.0f} µs** "
                       f"(one process behind it; target ≤ 150 µs), {r2['p50'] - one['p50']:+.0f} µs for two behind "
                       f"Redis, {n2['p50'] - one['p50']:+.0f} µs through nginx; deliveries per CPU-second of the "
                       f"whole cluster (servers + redis) **{l2['dps'] / base['dps']:.2f} ×** one instance alone "
                       f"(one behind Redis: {l1['dps'] / base['dps']:.2f} ×; target ≥ 0.9 ×); nginx in front "
                       f"took {ln['nginx'] / ln['cpu']:.1f} × the servers' and redis's CPU for the same deliveries")
print()
print('\n'.join(summary))
print()
with open(os.path.join(out, 'cost-median.dat'), 'w') as f:   # for cluster.gp
    cols = ('p50', 'p99', 'dps', 'whole')
    f.write('# config tech load ' + ' '.join(f'{c} {c}_lo {c}_hi' for c in cols) + '\n')
    for tech in ('sse', 'websocket'):
        for cfg in CONFIGS:
            for load in ('light', 'load'):
                r = rows.get((cfg, tech, load))
                if r:
                    f.write(f'{cfg} {tech} {load} ' + ' '.join(
                        f"{r[c]:.1f} {r[c + '_lo']:.1f} {r[c + '_hi']:.1f}" for c in cols) + '\n')
cj = os.path.join(out, 'crowd.json')
if os.path.exists(cj):
    c = json.load(open(cj))
    with open(os.path.join(out, 'crowd.dat'), 'w') as f:   # for cluster.gp
        f.write('# server p50_ms last_ms\n')
        for i, (p50, last) in enumerate(zip(c['p50_ms_per_crowd'], c['max_ms_per_crowd'])):
            f.write(f'{i} {p50} {last}\n')
    print('## What it buys: subscribers held at once\n')
    print(f"{c['subscribed']} SSE subscribers ({c['servers']} server processes × {c['per_server']}, one crowd "
          f"process each, one feed in Redis), subscribed in {c['subscribe_s']} s; **{c['received']}** had the one "
          f"event published on the first instance.\n")
    print('| figure | value |')
    print('|---|---:|')
    print(f"| one event to all: first / last subscriber | {c['first_ms']:.1f} / **{c['one_event_to_all_ms']:.1f} ms** |")
    print(f"| p50 per crowd (ms) | {', '.join('%.0f' % x for x in c['p50_ms_per_crowd'])} |")
    print(f"| last per crowd (ms) | {', '.join('%.0f' % x for x in c['max_ms_per_crowd'])} |")
    print(f"| user memory per connection (servers' RSS) | {c['user_bytes_per_conn']} B |")
    print(f"| kernel slab per connection (both ends) | {c['kernel_slab_bytes_per_conn_both_ends']} B |")
    print(f"| kernel socket buffers per connection | {c['kernel_sockbuf_bytes_per_conn']} B |")
    print(f"| servers' + redis CPU for the one fan-out | {c['fanout_cpu_s']} s |")
