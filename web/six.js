// web/six.js — the six-connection limit, shown: eight EventSource streams
// opened at once.
//
// Over HTTP/1.1 a response that never ends (an SSE stream) holds its TCP
// connection for as long as it lasts, and a browser opens at most six
// connections to one host:port (Chromium's per-group socket limit; HTML's
// EventSource section warns about it). So the 7th and 8th stream are not
// refused: they wait, in state CONNECTING, until an earlier one closes. This
// demo closes streams #1 and #2 after HOLD_MS; #7 and #8 open at that very
// moment, and the table shows how long the browser held them back.
// Over HTTP/2 (through nginx in `make cluster`) every stream is a stream of
// one shared connection, and all eight open at once.
//
// A stream already open to the same server counts too: in `make run` the
// SSE panel holds one of the six, so there only five of the eight open.

const STREAMS = 8;
const HOLD_MS = 3000;      // then #1 and #2 close
const GIVE_UP_MS = 10000;  // a stream not open by then is reported as never opened

export class SixStreams {
    // root: the demo's <section>; targets: [{ id, label, url }], url a string
    // or a function called at each click
    constructor(root, targets) {
        this.root = root;
        this.targets = targets;
        this.results = {};                       // id → the last run (window.rtlab.six)
        this.running = false;
        const buttons = root.querySelector('[data-role=sixButtons]');
        for (const t of targets) {
            const b = document.createElement('button');
            b.type = 'button';
            b.dataset.target = t.id;
            b.textContent = `open ${STREAMS} streams: ${t.label}`;
            b.addEventListener('click', () => this.run(t));
            buttons.append(b);
        }
    }

    // Open STREAMS EventSources at once on target.url; close #1 and #2 after
    // HOLD_MS; record when each opened. Resolves with the run's result.
    async run(target) {
        if (this.running) return null;
        this.running = true;
        for (const b of this.root.querySelectorAll('button')) b.disabled = true;
        const row = this.row(target);
        const t0 = performance.now();
        const streams = [];
        const url = typeof target.url === 'function' ? target.url() : target.url;
        const result = { target: target.id, url, holdMs: HOLD_MS, openedAfterMs: [], done: false };
        this.results[target.id] = result;
        let opened = 0;
        await new Promise((resolve) => {
            for (let i = 0; i < STREAMS; i++) {
                const es = new EventSource(`${url}${url.includes('?') ? '&' : '?'}six=${i + 1}`);
                streams.push(es);
                result.openedAfterMs.push(null);
                es.onopen = () => {
                    if (result.openedAfterMs[i] !== null) return;   // a reconnect: not ours to count
                    result.openedAfterMs[i] = Math.round(performance.now() - t0);
                    this.cell(row, i, result.openedAfterMs[i]);
                    if (++opened === STREAMS) resolve();
                };
            }
            setTimeout(() => {
                // The first two to open make room (if any opened at all).
                const first = result.openedAfterMs.map((ms, i) => [ms, i]).filter(([ms]) => ms !== null)
                    .sort((a, b) => a[0] - b[0]).slice(0, 2).map(([, i]) => i).sort((a, b) => a - b);
                for (const i of first) { streams[i].close(); this.cell(row, i, result.openedAfterMs[i], 'closed'); }
                result.closedAtMs = Math.round(performance.now() - t0);
                result.closed = first.map((i) => i + 1);
            }, HOLD_MS);
            setTimeout(resolve, GIVE_UP_MS);
        });
        for (const es of streams) es.close();
        result.atOnce = result.openedAfterMs.filter((ms) => ms !== null && ms < HOLD_MS).length;
        result.heldBack = result.openedAfterMs.filter((ms) => ms === null || ms >= HOLD_MS).length;
        result.done = true;
        for (let i = 0; i < STREAMS; i++) if (result.openedAfterMs[i] === null) this.cell(row, i, null);
        row.querySelector('.summary').textContent = this.summary(result);
        for (const b of this.root.querySelectorAll('button')) b.disabled = false;
        this.running = false;
        return result;
    }

    summary(r) {
        if (r.heldBack === 0) return `all ${STREAMS} opened at once (the slowest after ${Math.max(...r.openedAfterMs)} ms)`;
        const late = r.openedAfterMs.map((ms, i) => [ms, i + 1]).filter(([ms]) => ms === null || ms >= HOLD_MS);
        const list = late.map(([ms, n]) => `#${n} ${ms === null ? 'never' : `after ${(ms / 1000).toFixed(2)} s`}`).join(', ');
        return `${r.atOnce} opened at once; ${r.heldBack} held back by the browser until #${r.closed.join(' and #')} closed at ${(r.closedAtMs / 1000).toFixed(2)} s: ${list}`;
    }

    row(target) {
        const table = this.root.querySelector('[data-role=sixResults]');
        const tr = document.createElement('tr');
        tr.dataset.target = target.id;
        const th = document.createElement('th');
        th.textContent = target.label;
        tr.append(th);
        for (let i = 0; i < STREAMS; i++) {
            const td = document.createElement('td');
            td.textContent = 'waiting';
            td.className = 'waiting';
            tr.append(td);
        }
        const sum = document.createElement('td');
        sum.className = 'summary';
        sum.textContent = '…';
        tr.append(sum);
        table.querySelector(`tr[data-target="${target.id}"]`)?.remove();
        table.append(tr);
        return tr;
    }

    cell(row, i, ms, extra) {
        const td = row.children[i + 1];
        if (ms === null) { td.textContent = 'never'; td.className = 'never'; return; }
        td.textContent = `${ms} ms${extra ? ` (${extra})` : ''}`;
        td.className = ms >= HOLD_MS ? 'late' : 'open';
    }
}
