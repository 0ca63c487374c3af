"""tests/e2e/readme_blocks.py — run the READMEs' hand-run blocks as written.

Run by tests/e2e/readme_blocks.sh (which checks the tools first), from the
repository root: python3 tests/e2e/readme_blocks.py BIN README...

The block of README.md is the first fenced block after "## Try one by
hand"; the block of a server's README is its first fenced block. Each line
is what a reader types, and its comment is what the reader is told to see.
A line is run like this:

  make ...             skipped (the binaries are built); "make X && REST"
                       runs REST
  bin/NAME ARGS        the server, started with -p 0 -a 127.0.0.1 in front
                       of ARGS (a free port, loopback only); every
                       localhost:800N or 127.0.0.1:800N after it means that
                       port, and python3 means Debian's /usr/bin/python3;
                       the next line waits until /stats says uptime_s
                       >= 1.2, a reader's pace: the default ticker (an
                       event a second) has published by then, as it
                       would have for a reader
  a client that stays  a line ending in "&", curl -N, python3 -m websockets:
                       started in the background, and the test waits (at
                       most 5 s) until /stats counts one more subscriber,
                       the moment a reader would see it waiting
  anything else        run to its end, at most 5 s (curl gets -sS
                       --max-time 10)

and its comment is checked (a comment-only line continues the one above):

  {JSON} first         a command that ends prints exactly this
  {JSON} later, "a / b"  these texts appear within 3 s: in the line's own
                       output when it is a client, else in its own or any
                       client's ("in every client": in each client's)
  waits                the client has printed nothing yet
  type WORD            WORD and a newline are typed into the client

Prints one "ok" line per README; exits 1 at the first README that does
not behave as it says, with the block and everything each line printed.
"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = sys.argv[1]
READMES = sys.argv[2:]
TMP = tempfile.mkdtemp(prefix="rtlab-readme-")


class Failure(Exception):
    pass


def block_of(path):
    """The hand-run block of one README: a list of (command, comment)."""
    lines = open(path, encoding="utf-8").read().split("\n")
    start = 0
    if os.path.dirname(path) == "":
        marks = [i for i, l in enumerate(lines) if l.startswith("## Try one by hand")]
        if not marks:
            raise Failure(f"{path}: no '## Try one by hand' section")
        start = marks[0]
    fences = [i for i in range(start, len(lines)) if lines[i].startswith("```")]
    if len(fences) < 2:
        raise Failure(f"{path}: no fenced block")
    out = []
    for raw in lines[fences[0] + 1:fences[1]]:
        command, comment = split_comment(raw)
        if not command and comment and out:
            out[-1] = (out[-1][0], out[-1][1] + " " + comment)
        elif command:
            out.append((command, comment))
    return out


def split_comment(line):
    """Split at the first '#' outside quotes that follows a blank."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].strip(), line[i + 1:].strip()
    return line.strip(), ""


def json_spans(text):
    """Every {JSON} object written in a comment: (start, end) slices."""
    spans, i = [], 0
    decoder = json.JSONDecoder()
    while True:
        i = text.find("{", i)
        if i < 0:
            return spans
        try:
            _, end = decoder.raw_decode(text, i)
            spans.append((i, end))
            i = end
        except ValueError:
            i += 1


def expectations(comment):
    """What a comment promises: (leading JSON or None, texts that appear)."""
    spans = json_spans(comment)
    leading = None
    if spans and comment[:spans[0][0]].strip() == "":
        leading = comment[spans[0][0]:spans[0][1]]
    appear = [comment[a:b] for a, b in spans if comment[a:b] != leading]
    rest = comment
    for a, b in reversed(spans):
        rest = rest[:a] + rest[b:]
    for quoted in re.findall(r'"([^"]*)"', rest):
        appear += [part.strip() for part in quoted.split(" / ") if part.strip()]
    return leading, appear, rest


DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # loopback: never a proxy


def stats(port, name):
    try:
        with DIRECT.open(f"http://127.0.0.1:{port}/stats", timeout=2) as r:
            return json.loads(r.read())[name]
    except OSError:
        return -1


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


class Run:
    """One README's block being run."""

    def __init__(self, readme):
        self.readme = readme
        self.server = None
        self.port = None
        self.clients = []          # (name, process, stdout path)
        self.transcript = []       # what each line printed, for a failure
        self.n = 0

    def fail(self, message):
        raise Failure(f"{self.readme}: {message}")

    def start_server(self, command):
        words = shlex.split(command.rstrip("&").strip())
        name = words[0][len("bin/"):]
        out = os.path.join(TMP, f"{name}.out")
        err = open(os.path.join(TMP, f"{name}.err"), "wb")
        self.server = subprocess.Popen([os.path.join(BIN, name), "-p", "0", "-a", "127.0.0.1"] + words[1:],
                                       stdout=open(out, "wb"), stderr=err, stdin=subprocess.DEVNULL)
        until = time.monotonic() + 5
        while time.monotonic() < until:
            m = re.match(r"listening on http://127\.0\.0\.1:(\d+)/", read(out))
            if m:
                self.port = int(m.group(1))
                break
            if self.server.poll() is not None:
                break
            time.sleep(0.05)
        if self.port is None:
            self.fail(f"{command!r} did not start: {read(out)}{read(err.name)}")
        while stats(self.port, "uptime_s") < 1.2 and time.monotonic() < until:
            time.sleep(0.05)

    def localize(self, command):
        command = re.sub(r"(localhost|127\.0\.0\.1):800\d", f"127.0.0.1:{self.port}", command)
        command = re.sub(r"^python3 ", "/usr/bin/python3 ", command)
        command = re.sub(r"^curl ", "curl -sS --max-time 10 ", command)
        return command

    def wait_appear(self, texts, outputs, every=False):
        """Each text shows in one of outputs (each of them when every)."""
        until = time.monotonic() + 3
        while True:
            seen = [read(p) for p in outputs]
            if every:
                missing = [t for t in texts if not all(t in s for s in seen)]
            else:
                missing = [t for t in texts if not any(t in s for s in seen)]
            if not missing or time.monotonic() > until:
                break
            time.sleep(0.05)
        if missing:
            self.fail(f"not seen within 3 s: {missing}")

    def line(self, command, comment):
        self.n += 1
        leading, appear, words = expectations(comment)
        if command.startswith("make "):
            if "&&" not in command:
                return
            command = command.split("&&", 1)[1].strip()
        if command.startswith("bin/"):
            self.start_server(command)
            self.transcript.append((command, f"(server on port {self.port})"))
            return
        if self.port is None:
            self.fail(f"{command!r} comes before any server")
        local = self.localize(command)
        out = os.path.join(TMP, f"line{self.n}.out")
        stays = local.endswith("&") or " -N " in local or " -m websockets " in local
        if stays:
            before = stats(self.port, "subscribers")
            p = subprocess.Popen(["/bin/sh", "-c", local.rstrip("&").strip()], stdin=subprocess.PIPE,
                                 stdout=open(out, "wb"), stderr=subprocess.STDOUT,
                                 start_new_session=True)
            self.clients.append((command, p, out))
            self.transcript.append((command, out))
            until = time.monotonic() + 5
            while stats(self.port, "subscribers") < before + 1 and time.monotonic() < until:
                time.sleep(0.05)
            now = stats(self.port, "subscribers")
            if now < before + 1:
                self.fail(f"{command!r}: /stats subscribers stayed {now}: it is not waiting")
            if re.search(r"\bwaits\b", words) and read(out) != "":
                self.fail(f"{command!r} should wait, but printed {read(out)!r}")
            typed = re.search(r"\btype (\w+)", words)
            if typed:
                p.stdin.write(typed.group(1).encode() + b"\n")
                p.stdin.flush()
            self.wait_appear(([leading] if leading else []) + appear, [out])
            return
        try:
            r = subprocess.run(["/bin/sh", "-c", local], stdout=open(out, "wb"),
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=5)
        except subprocess.TimeoutExpired:
            self.fail(f"{command!r} did not end within 5 s")
        self.transcript.append((command, out))
        if r.returncode != 0:
            self.fail(f"{command!r} exited {r.returncode}: {r.stderr.decode(errors='replace')}")
        if leading is not None and read(out).strip() != leading:
            self.fail(f"{command!r} printed {read(out).strip()!r}, the README says {leading}")
        if appear:
            every = "every client" in words
            outputs = [c[2] for c in self.clients] if every else [out] + [c[2] for c in self.clients]
            self.wait_appear(appear, outputs, every)

    def stop(self):
        for _, p, _ in self.clients:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if self.server:
            self.server.terminate()
            try:
                self.server.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def show(self, block):
        print(f"--- the block of {self.readme}:")
        for command, comment in block:
            print(f"    {command}    # {comment}")
        print("--- what each line printed:")
        for command, out in self.transcript:
            text = read(out) if os.path.exists(out) else out
            text = re.sub(r"\x1b(\[[0-9;]*[A-Za-z]|[78])", "", text)
            print(f"    {command}\n        " + "\n        ".join(text.strip().split("\n")))


def main():
    for readme in READMES:
        run = Run(readme)
        block = []
        try:
            block = block_of(readme)
            for command, comment in block:
                run.line(command, comment)
        except Failure as e:
            run.stop()
            print(f"FAIL: {e}")
            run.show(block)
            return 1
        run.stop()
        print(f"ok: {readme}: {len(block)} lines run as written, each did what its comment says")
    print(f"result: {len(READMES)} READMEs' hand-run blocks behave as written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
