#!/usr/bin/python3
"""cluster/cluster.py — the shape people deploy, on one machine (`make cluster`).

Starts, on private free ports of 127.0.0.1:
  - redis-server, in a temporary directory, keeping nothing on disk
    (--save '' --appendonly no);
  - two instances of each of the four servers (polling, longpoll, sse,
    websocket), each with -R redis://127.0.0.1:PORT when the servers have
    that flag (the shared feed): then an event published on any instance
    reaches the subscribers of every instance, with one sequence of ids;
  - nginx in front, as one origin with TLS and HTTP/2 (a self-signed
    certificate made now with openssl), from a private nginx.conf
    (cluster/nginx.conf.in, filled in) in the temporary directory;
  - a small control endpoint on loopback, reached through nginx at
    /control/, that stops and starts an instance (the demo page's buttons).
Prints the URL, and stops everything and removes the directory on Ctrl-C
or SIGTERM.

Usage: cluster/cluster.py [--bin bin] [--web web] [--tick MS] [--feed auto|redis|own]
                          [--port PORT] [--state FILE] [--break SETTING] [--verbose]
  --feed auto   (default) the shared Redis feed when the servers take -R,
                else each instance keeps its own feed (and says so loudly)
  --port        the HTTPS port (default: a free one)
  --state FILE  once everything is up, write every port and pid there as
                JSON (the tests read it); removed again at the end
  --break SETTING  take one of the settings people get wrong out of the
                nginx.conf (buffering, upgrade, longpoll-timeout, http10,
                connection, next-upstream): cluster/README.md shows what breaks

Control endpoint (all answers JSON; POSTs need the header X-Rtlab-Control: 1,
which a page of another origin cannot send without a preflight we refuse):
  GET  /control/instances              every instance: name, technique, port, pid, state
  POST /control/stop?name=sse-a[&signal=KILL|TERM]   stop one (default KILL: a crash)
  POST /control/start?name=sse-a       start it again on the same port
  POST /control/redis/stop, /control/redis/start     the same for redis-server

Exit status: 0 after Ctrl-C/SIGTERM, 1 when something could not start or
nginx or redis-server stopped on its own.
"""

import argparse
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

TECHNIQUES = ['polling', 'longpoll', 'sse', 'websocket']
COPIES = ['a', 'b']
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def say(msg):
    print(f'cluster: {msg}', file=sys.stderr, flush=True)


def free_port():
    """A port free now, for redis-server, nginx or the control server to bind
    a moment later. Not the kernel's pick for port 0: that comes from the
    ephemeral range (ip_local_port_range), where any process's next outgoing
    connection can take it in between, and nginx then fails to bind. So pick
    below that range, where only listeners live, and check it binds."""
    low = 32768
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(500):
        port = random.randint(min(10000, low // 2), low - 1)
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    with socket.socket() as s:                # every pick taken: the kernel's
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(what, seconds, pred):
    """Poll pred() every 50 ms for at most `seconds`; raise when it never holds."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError(f'{what} (waited {seconds} s)')


def port_answers(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.5):
            return True
    except OSError:
        return False


def redis_pings(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.5) as s:
            s.sendall(b'PING\r\n')
            return s.recv(64).startswith(b'+PONG')
    except OSError:
        return False


def takes_redis(binary):
    """1 when the server's usage lists -R (the shared feed has landed)."""
    try:
        out = subprocess.run([binary, '-h'], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return re.search(r'^\s*-R\b', out.stdout + out.stderr, re.M) is not None


# --break NAME: start nginx with one of the settings people get wrong taken
# out, to see what breaks (cluster/README.md shows each). Each is a
# (text in nginx.conf.in, what to put instead) pair.
BREAKS = {
    'buffering': ('                proxy_buffering off;\n',
                  '                proxy_buffering on;                  # --break buffering\n'
                  '                proxy_ignore_headers X-Accel-Buffering;\n'),
    'upgrade': ('            proxy_set_header Upgrade $http_upgrade;\n'
                '            proxy_set_header Connection $connection_upgrade;\n',
                '            # --break upgrade: no Upgrade, no Connection: upgrade\n'),
    'longpoll-timeout': ('            proxy_pass http://longpoll/;\n',
                         '            proxy_pass http://longpoll/;\n'
                         '            proxy_read_timeout 10s;              # --break longpoll-timeout\n'),
    'http10': ('        proxy_http_version 1.1;\n', '        # --break http10: nginx speaks HTTP/1.0\n'),
    'connection': ('        proxy_set_header Connection "";\n',
                   '        # --break connection: nginx sends Connection: close\n'),
    'next-upstream': ('        proxy_next_upstream error timeout http_502 http_503;\n',
                      '        proxy_next_upstream off;                 # --break next-upstream\n'),
}


class Instance:
    """One server process: started with -p 0 once, then always on that port."""

    def __init__(self, cluster, technique, copy):
        self.cluster = cluster
        self.technique = technique
        self.name = f'{technique}-{copy}'
        self.port = 0
        self.proc = None
        self.stopped_on_purpose = False

    def argv(self):
        c = self.cluster
        argv = [os.path.join(c.bin, self.technique), '-p', str(self.port), '-a', '127.0.0.1',
                '-w', c.web, '-t', str(c.tick)]
        if not c.verbose:
            argv.append('-q')
        if c.feed == 'redis':
            # One feed per technique, as in `make run` (where each server has
            # its own): the key prefix in Redis is the technique's name.
            argv += ['-R', f'redis://127.0.0.1:{c.redis_port}/rtlab-{self.technique}']
        return argv

    def start(self):
        out = os.path.join(self.cluster.tmp, f'{self.name}.out')
        err = open(os.path.join(self.cluster.tmp, f'{self.name}.log'), 'a')
        with open(out, 'w') as o:
            self.proc = subprocess.Popen(self.argv(), stdout=o, stderr=err, stdin=subprocess.DEVNULL)
        err.close()
        self.stopped_on_purpose = False

        def listening():
            if self.proc.poll() is not None:
                raise RuntimeError(f'{self.name} exited at start: {tail(err.name)}')
            with open(out) as f:
                m = re.match(r'listening on http://[^:]+:(\d+)/', f.readline())
            if m:
                self.port = int(m.group(1))
            return bool(m)
        wait_for(f'{self.name} did not say "listening on"', 5, listening)

    def feed_ready(self):
        """1 when the instance can publish: no Redis, or Redis live and settled."""
        if self.cluster.feed != 'redis':
            return True
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{self.port}/stats', timeout=1) as res:
                r = json.load(res).get('redis', {})
        except (OSError, ValueError):
            return False
        return r.get('state') == 'live' and not r.get('settling')

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, wait=5.0):
        if not self.alive():
            return
        self.stopped_on_purpose = True
        self.proc.send_signal(sig)
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def describe(self):
        return {'name': self.name, 'technique': self.technique, 'port': self.port,
                'pid': self.proc.pid if self.proc else None,
                'state': 'running' if self.alive() else 'stopped'}


def tail(path, n=3):
    try:
        with open(path) as f:
            return ' | '.join(f.read().strip().splitlines()[-n:])
    except OSError:
        return ''


class Cluster:
    def __init__(self, args):
        self.bin = os.path.abspath(args.bin)
        self.web = os.path.abspath(args.web)
        self.tick = args.tick
        self.verbose = args.verbose
        self.feed = args.feed
        self.breaks = args.breaks or []
        self.https_port = args.port or free_port()
        self.tmp = tempfile.mkdtemp(prefix='rtlab-cluster.')
        self.redis = None
        self.redis_port = free_port()
        self.nginx = None
        self.instances = [Instance(self, t, c) for t in TECHNIQUES for c in COPIES]
        self.lock = threading.Lock()
        self.control = None

    # ---- redis-server ----
    def start_redis(self):
        # Nothing on disk: no RDB snapshots, no append-only file, the working
        # directory is ours, and it listens on loopback only.
        argv = ['redis-server', '--port', str(self.redis_port), '--bind', '127.0.0.1',
                '--save', '', '--appendonly', 'no', '--dir', self.tmp,
                '--logfile', os.path.join(self.tmp, 'redis.log'), '--daemonize', 'no']
        self.redis = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        wait_for('redis-server did not answer PING', 5,
                 lambda: self.redis.poll() is None and redis_pings(self.redis_port))

    def stop_redis(self):
        if self.redis and self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(5)
            except subprocess.TimeoutExpired:
                self.redis.kill()
                self.redis.wait()

    # ---- nginx ----
    def make_certificate(self):
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                        '-nodes', '-days', '2', '-subj', '/CN=rtlab cluster',
                        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
                        '-keyout', os.path.join(self.tmp, 'key.pem'),
                        '-out', os.path.join(self.tmp, 'cert.pem')],
                       check=True, capture_output=True)

    def nginx_conf(self):
        with open(os.path.join(HERE, 'nginx.conf.in')) as f:
            conf = f.read()
        for name in self.breaks:
            text, instead = BREAKS[name]
            assert text in conf, f'--break {name}: its setting is no longer in nginx.conf.in'
            conf = conf.replace(text, instead)
            if name == 'longpoll-timeout':
                conf = conf.replace('            proxy_read_timeout 75s;\n', '', 1)
        upstreams, door_map, door_listens = [], [], []
        for t in TECHNIQUES:
            lines = [f'    upstream {t} {{', '        hash $route_key consistent;']
            for i in self.instances:
                if i.technique == t:
                    lines.append(f'        server 127.0.0.1:{i.port} max_fails=1 fail_timeout=5s;  # {i.name}')
            lines += ['        keepalive 16;', '        keepalive_timeout 25s;', '    }']
            upstreams.append('\n'.join(lines))
            door_map.append(f'        {self.doors[t]} /{t};')
            door_listens.append(f'        listen 127.0.0.1:{self.doors[t]};              # door: {t}')
        # As root, nginx's workers would run as "nobody", who may not write
        # our temporary directory: keep them as the user who started us.
        user = 'user root root;' if os.geteuid() == 0 else '# (not root: nginx runs as us)'
        subst = {'TMP': self.tmp, 'WEB': self.web, 'HTTPS_PORT': str(self.https_port),
                 'HTTP_PORT': str(self.http_port), 'CONTROL_PORT': str(self.control_port),
                 'UPSTREAMS': '\n'.join(upstreams), 'DOOR_MAP': '\n'.join(door_map),
                 'DOOR_LISTENS': '\n'.join(door_listens), 'USER_LINE': user}
        return re.sub(r'@([A-Z_]+)@', lambda m: subst[m.group(1)], conf)

    def start_nginx(self):
        self.http_port = free_port()
        self.doors = {t: free_port() for t in TECHNIQUES}
        self.make_certificate()
        conf = os.path.join(self.tmp, 'nginx.conf')
        with open(conf, 'w') as f:
            f.write(self.nginx_conf())
        base = ['nginx', '-p', self.tmp, '-c', conf, '-e', os.path.join(self.tmp, 'error.log')]
        check = subprocess.run(base + ['-t', '-q'], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f'nginx -t refused the configuration: {check.stderr.strip()}')
        self.nginx = subprocess.Popen(base, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=open(os.path.join(self.tmp, 'nginx.stderr'), 'w'))
        wait_for('nginx did not start listening', 5,
                 lambda: self.nginx.poll() is None and port_answers(self.https_port)
                 and all(port_answers(p) for p in self.doors.values()))

    def stop_nginx(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)     # graceful: finish what is in flight
            try:
                self.nginx.wait(3)
            except subprocess.TimeoutExpired:
                self.nginx.terminate()                 # fast: close everything
                try:
                    self.nginx.wait(3)
                except subprocess.TimeoutExpired:
                    self.nginx.kill()
                    self.nginx.wait()

    # ---- everything ----
    def start(self):
        if self.feed == 'auto':
            self.feed = 'redis' if takes_redis(os.path.join(self.bin, 'sse')) else 'own'
        self.control_port = free_port()
        self.start_redis()
        for i in self.instances:
            i.start()
        # With the feed in Redis a new stream settles for a moment (every
        # instance must see the same epoch) and publishing answers 503 till
        # then: ready means every instance can publish.
        wait_for('the instances did not get their feed ready in Redis', 10,
                 lambda: all(i.feed_ready() for i in self.instances))
        self.start_control()
        self.start_nginx()

    def stop(self):
        if self.control:
            self.control.shutdown()
            self.control.server_close()
            self.control = None
        self.stop_nginx()
        for i in self.instances:
            i.stop()
        self.stop_redis()
        # A sanitized build (make SAN=1) reports into each instance's log:
        # say so on our stderr, where the tests look.
        for i in self.instances:
            log = os.path.join(self.tmp, f'{i.name}.log')
            try:
                with open(log, errors='replace') as f:
                    bad = [l.strip() for l in f if 'Sanitizer' in l or 'runtime error:' in l]
            except OSError:
                continue
            for line in bad[:5]:
                say(f'SANITIZER {i.name}: {line}')

    def state(self):
        return {
            'feed': self.feed, 'tmp': self.tmp,
            'url': f'https://127.0.0.1:{self.https_port}/',
            'https_port': self.https_port, 'http_port': self.http_port,
            'doors': self.doors, 'control_port': self.control_port,
            'redis': {'port': self.redis_port, 'pid': self.redis.pid,
                      'state': 'running' if self.redis.poll() is None else 'stopped'},
            'nginx_pid': self.nginx.pid if self.nginx else None,
            'instances': [i.describe() for i in self.instances],
        }

    # ---- the control endpoint ----
    def start_control(self):
        cluster = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, fmt, *a):
                if cluster.verbose:
                    say('control: ' + fmt % a)

            def answer(self, status, obj):
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.send_header('Cache-Control', 'no-store')
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                if path == '/control/instances':
                    with cluster.lock:
                        self.answer(200, cluster.state())
                else:
                    self.answer(404, {'error': 'no such control'})

            def do_POST(self):
                if self.headers.get('X-Rtlab-Control') != '1':
                    self.answer(403, {'error': 'send the header X-Rtlab-Control: 1'})
                    return
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                with cluster.lock:
                    status, obj = cluster.control_post(url.path, q)
                self.answer(status, obj)

        self.control = http.server.ThreadingHTTPServer(('127.0.0.1', self.control_port), Handler)
        threading.Thread(target=self.control.serve_forever, daemon=True).start()

    def control_post(self, path, q):
        if path in ('/control/redis/stop', '/control/redis/start'):
            if path.endswith('stop'):
                self.stop_redis()
            elif self.redis.poll() is not None:
                self.start_redis()
            say(f'redis-server {"stopped" if path.endswith("stop") else "running"} (control)')
            return 200, self.state()['redis']
        inst = next((i for i in self.instances if i.name == q.get('name')), None)
        if inst is None:
            return 404, {'error': f'no instance named {q.get("name")!r}'}
        if path == '/control/stop':
            sig = signal.SIGTERM if q.get('signal', 'KILL').upper() == 'TERM' else signal.SIGKILL
            inst.stop(sig)
            say(f'{inst.name} stopped with {sig.name} (control)')
            return 200, inst.describe()
        if path == '/control/start':
            if not inst.alive():
                try:
                    inst.start()
                except RuntimeError as e:
                    return 500, {'error': str(e)}
                say(f'{inst.name} started again on port {inst.port} (control)')
            return 200, inst.describe()
        return 404, {'error': 'no such control'}


def main():
    ap = argparse.ArgumentParser(description='redis-server + 2 × 4 servers + nginx (TLS, HTTP/2)')
    ap.add_argument('--bin', default=os.environ.get('RTLAB_BIN', os.path.join(ROOT, 'bin')))
    ap.add_argument('--web', default=os.path.join(ROOT, 'web'))
    ap.add_argument('--tick', type=int, default=int(os.environ.get('RTLAB_TICK_MS', '1000')))
    ap.add_argument('--feed', choices=['auto', 'redis', 'own'], default=os.environ.get('RTLAB_FEED', 'auto'))
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--state')
    ap.add_argument('--break', dest='breaks', action='append', choices=sorted(BREAKS),
                    help='take one of the settings people get wrong out of nginx.conf (to see what breaks)')
    ap.add_argument('--verbose', action='store_true', default=os.environ.get('RTLAB_VERBOSE') == '1')
    args = ap.parse_args()

    for tool in ('redis-server', 'nginx', 'openssl'):
        if shutil.which(tool) is None:
            say(f'{tool} is missing: scripts/deps.sh cluster installs it')
            return 1
    for t in TECHNIQUES:
        if not os.access(os.path.join(args.bin, t), os.X_OK):
            say(f'{args.bin}/{t} is missing: make all builds it')
            return 1

    stopping = threading.Event()

    def on_signal(sig, _frame):
        say(f'{signal.Signals(sig).name}: stopping')
        stopping.set()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    c = Cluster(args)
    status = 0
    try:
        c.start()
        st = c.state()
        if args.state:
            with open(args.state + '.tmp', 'w') as f:
                json.dump(st, f, indent=1)
            os.rename(args.state + '.tmp', args.state)
        print_banner(c, st)
        while not stopping.wait(0.2):
            if c.nginx.poll() is not None and not stopping.wait(0.3):
                say(f'nginx stopped on its own: {tail(os.path.join(c.tmp, "error.log"))}')
                status = 1
                break
            dead = [i for i in c.instances if i.proc.poll() is not None and not i.stopped_on_purpose]
            # Ctrl-C in a terminal reaches the servers too, a moment before
            # our own handler runs: that is not "on its own".
            if dead and stopping.wait(0.3):
                break
            for i in dead:
                i.stopped_on_purpose = True         # say it once
                say(f'{i.name} stopped on its own (exit {i.proc.returncode}): {tail(os.path.join(c.tmp, i.name + ".log"))}')
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        say(f'could not start: {e}')
        status = 1
    finally:
        print(file=sys.stderr)
        say('stopping nginx, the eight servers and redis-server')
        c.stop()
        if args.state and os.path.exists(args.state):
            os.remove(args.state)
        shutil.rmtree(c.tmp, ignore_errors=True)
    return status


def print_banner(c, st):
    shared = ('one feed in Redis (-R): every instance has every event, ids are shared'
              if c.feed == 'redis' else
              'EACH INSTANCE HAS ITS OWN FEED (the servers have no -R yet): '
              'a panel that moves to the other instance sees other ids')
    print(f'rtlab cluster: redis-server :{c.redis_port}, nginx :{c.https_port} (TLS, HTTP/2)', flush=True)
    for t in TECHNIQUES:
        ports = ', '.join(f'{i.name} :{i.port}' for i in c.instances if i.technique == t)
        print(f'  {t:<9} {ports}   door :{c.doors[t]}', flush=True)
    print(f'  feed: {shared}', flush=True)
    print(f'  files: {c.tmp} (nginx.conf, access.log, error.log, redis.log, *.log)', flush=True)
    print(flush=True)
    print(f'    open  {st["url"]}   (a self-signed certificate: accept it once)', flush=True)
    print(f'    plain http://127.0.0.1:{c.http_port}/  (HTTP/1.1, for curl)', flush=True)
    print(flush=True)
    print('Ctrl-C stops everything.', flush=True)


if __name__ == '__main__':
    sys.exit(main())
