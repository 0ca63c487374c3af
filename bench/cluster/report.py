#!/usr/bin/python3
"""bench/cluster/report.py OUT — cluster.md from cost.dat, crowd.json and env.txt."""
import json
import os
import sys

out = sys.argv[1]
rows = {}
for line in open(os.path.join(out, 'cost.dat')):
    if line.startswith('#') or not line.strip():
        continue
    f = line.split()
    rows[(f[0], f[1], f[2])] = {
        'clients': int(f[3]), 'p50': float(f[5]), 'p99': float(f[6]), 'deliveries': int(f[7]),
        'cpu': float(f[8]), 'dps': float(f[9]), 'nginx': float(f[10]), 'lost': int(f[11]), 'dup': int(f[12])}

NAMES = {'one': 'one process', 'redis1': 'one behind Redis', 'redis2': 'two behind Redis (via nginx)'}
print('# make bench CLUSTER=1\n')
print('```')
print(open(os.path.join(out, 'env.txt')).read().strip())
print('```\n')
print('## What the broker costs\n')
print('Latency from each event\'s scheduled send to its arrival (loadgen), and deliveries per CPU-second '
      'of every server process and redis-server (nginx beside it, not counted in it).\n')
print('| technique | setup | light p50 / p99 µs | load p50 / p99 µs | load: deliveries per CPU-s | '
      'of one process | nginx CPU s | lost / dup |')
print('|---|---|---:|---:|---:|---:|---:|---:|')
summary = []
for tech in ('sse', 'websocket'):
    base = rows.get(('one', tech, 'load'))
    for cfg in ('one', 'redis1', 'redis2'):
        lt, ld = rows.get((cfg, tech, 'light')), rows.get((cfg, tech, 'load'))
        if not lt or not ld:
            continue
        ratio = ld['dps'] / base['dps'] if base and base['dps'] else 0
        print(f"| {tech} | {NAMES[cfg]} | {lt['p50']:.0f} / {lt['p99']:.0f} | {ld['p50']:.0f} / {ld['p99']:.0f} | "
              f"{ld['dps']:.0f} | {ratio:.2f} × | {ld['nginx']:.2f} | {lt['lost'] + ld['lost']} / {lt['dup'] + ld['dup']} |")
    one, r1, r2 = (rows.get((c, tech, 'light')) for c in ('one', 'redis1', 'redis2'))
    l1, l2 = rows.get(('redis1', tech, 'load')), rows.get(('redis2', tech, 'load'))
    if one and r1 and r2 and base and l1 and l2:
        summary.append(f"- **{tech}**: extra p50 at light load through Redis **{r1['p50'] - one['p50']:+.0f} µs** "
                       f"(one process behind it; target ≤ 150 µs), {r2['p50'] - one['p50']:+.0f} µs for two behind "
                       f"Redis and nginx; deliveries per CPU-second of the whole cluster "
                       f"**{l2['dps'] / base['dps']:.2f} ×** one instance alone (one behind Redis: "
                       f"{l1['dps'] / base['dps']:.2f} ×; target ≥ 0.9 ×)")
print()
print('\n'.join(summary))
print()
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
