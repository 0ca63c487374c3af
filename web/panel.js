// web/panel.js — one technique's panel: its counters, its list of events and
// its one-line explanation of what the technique is doing right now.
//
// A Panel knows nothing about HTTP, streams or sockets; the technique client
// (polling.js, longpoll.js, sse.js, websocket.js) tells it what happened:
// a request went out, bytes came in, an event arrived. The panel turns that
// into numbers a class can read from the back of the room, and checks the
// one promise every server makes: each event exactly once, in order, and
// nothing lost without being told.

import { formatBytes, formatMs, publishTimeIn } from './common.js';

const LIST_LIMIT = 60;   // rows kept on screen; older ones scroll away for good

// The badge beside the title, for each state a technique client reports.
const STATE_NAMES = {
    starting: 'starting', asking: 'asking', waiting: 'waiting', parked: 'parked',
    connecting: 'connecting', open: 'open', reconnecting: 'reconnecting',
    dropped: 'dropped', closed: 'closed', error: 'error', unreachable: 'no server',
};

export class Panel {
    // root: the panel's <section>; its children are found by data-role.
    constructor(root, name) {
        this.root = root;
        this.name = name;
        this.el = {};
        for (const node of root.querySelectorAll('[data-role]')) this.el[node.dataset.role] = node;

        this.counts = {
            requests: 0,    // HTTP requests this panel made (WebSocket: handshakes)
            bytesIn: 0,     // ≈ bytes received, heads estimated
            bytesOut: 0,    // ≈ bytes sent, heads estimated
            events: 0,      // events received (repeats included, so they show)
            empty: 0,       // answers that carried no event: wasted polls
            missing: 0,     // ids that never arrived
            repeats: 0,     // ids that arrived twice
            reconnects: 0,  // connections opened again after a drop or an error
        };
        this.startId = null;      // the cursor the panel started from
        this.ids = [];            // every id received, in order (the tests read it)
        this.recent = [];         // the last 200 events as [id, data]
        this.rows = [];           // the last 200 rows of the list, as text
        this.lastId = null;       // the newest id seen: our cursor
        this.delays = [];         // recent publish→arrival delays, ms
        this.pending = [];        // messages this page sent: {text, sentAt}
        this.lastDelay = null;
        this.state('starting');
        this.render();
    }

    // ---- what the technique client reports ----

    request(bytesOut) { this.counts.requests++; this.counts.bytesOut += bytesOut; this.render(); }
    bytesIn(n) { this.counts.bytesIn += n; this.render(); }
    bytesOut(n) { this.counts.bytesOut += n; this.render(); }
    emptyAnswer() { this.counts.empty++; this.render(); }
    reconnected() { this.counts.reconnects++; this.render(); }
    // Behind nginx (make cluster): the instance that answered, as nginx's
    // X-Rtlab-Upstream header names it ("127.0.0.1:PORT"; after a failover
    // "A, B": the last one answered). web/cluster.js listens; else unused.
    servedBy(upstream) { if (upstream && this.onServedBy) this.onServedBy(upstream); }

    // The page is about to publish `text`; remember when, to time its arrival.
    // A message that never comes back (its publish failed) is forgotten after
    // a minute, so it cannot be matched with a later one of the same text.
    expect(text) {
        const now = performance.now();
        this.pending = this.pending.filter((p) => now - p.sentAt < 60000);
        this.pending.push({ text, sentAt: now });
    }

    // An event arrived. Checks it against the last id: a jump is a gap the
    // page noticed itself, an old id is a repeat. Both are shown, never hidden.
    event(id, data) {
        id = Number(id);
        const now = performance.now();
        this.counts.events++;
        this.ids.push(id);
        if (this.ids.length > 100000) this.ids.splice(0, 50000);   // a whole day in class
        this.recent.push([id, String(data)]);
        if (this.recent.length > 200) this.recent.shift();
        if (this.lastId !== null && id > this.lastId + 1) {
            const n = id - this.lastId - 1;
            this.counts.missing += n;
            this.row('gap', `missing ${n === 1 ? `#${this.lastId + 1}` : `#${this.lastId + 1}–#${id - 1}`}`);
        }
        let kind = 'event';
        if (this.lastId !== null && id <= this.lastId) {
            this.counts.repeats++;
            kind = 'repeat';
        } else {
            this.lastId = id;
        }
        const delay = this.delayOf(String(data), now);
        this.row(kind, String(data), id, delay);
        this.render();
    }

    // The server said events were lost before we could get them (they left its
    // ring buffer): the feed's gap signal.
    serverGap(detail) {
        this.row('gap', `server: events${detail ? ` ${detail}` : ''} left its buffer before we got them`);
    }

    // A line in the list that is not an event: "dropped", "reconnected"...
    note(text) { this.row('note', text); }

    // Start over from `newest`: the server restarted and our cursor is ahead.
    restart(newest) {
        this.note(`the server's newest event is #${newest}: starting over from there`);
        this.lastId = newest;
    }

    // The one-line, plain-words explanation under the title.
    explain(text) {
        if (this.el.explain.textContent !== text) this.el.explain.textContent = text;
    }

    // The technique's state, for the badge beside the title (and the tests).
    state(s) {
        this.root.dataset.state = s;
        this.el.stateName.textContent = STATE_NAMES[s] ?? s;
        if (this.onState) this.onState(s);
    }

    // ---- inside ----

    // Publish→arrival delay in ms, or null when the publish time is unknown:
    // our own message (matched by its text), or a tick that carries its time.
    delayOf(data, now) {
        let delay = null;
        const i = this.pending.findIndex((p) => p.text === data);
        if (i >= 0) {
            delay = now - this.pending[i].sentAt;
            this.pending.splice(i, 1);
        } else {
            const t = publishTimeIn(data);
            if (t !== null) {
                const d = Date.now() - t;
                if (d >= 0 && d < 120000) delay = d;   // else the clocks disagree
            }
        }
        if (delay !== null) {
            this.lastDelay = delay;
            this.delays.push(delay);
            if (this.delays.length > 50) this.delays.shift();
        }
        return delay;
    }

    row(kind, text, id, delay) {
        this.rows.push(`${kind} ${id === undefined ? '' : `#${id} `}${text}`);
        if (this.rows.length > 200) this.rows.shift();
        const li = document.createElement('li');
        li.className = kind;
        if (id !== undefined) {
            li.dataset.id = id;
            const badge = document.createElement('span');
            badge.className = 'id';
            badge.textContent = `#${id}`;
            li.append(badge);
        }
        const body = document.createElement('span');
        body.className = 'data';
        body.textContent = kind === 'repeat' ? `repeat: ${text}` : text;
        body.title = text;
        li.append(body);
        if (delay !== undefined && delay !== null) {
            const d = document.createElement('span');
            d.className = 'delay';
            d.textContent = `+${formatMs(delay)}`;
            li.append(d);
        }
        const list = this.el.list;
        list.prepend(li);
        while (list.children.length > LIST_LIMIT) list.lastElementChild.remove();
    }

    // Write the counters into the page, at most once per animation frame.
    render() {
        if (this.renderQueued) return;
        this.renderQueued = true;
        requestAnimationFrame(() => {
            this.renderQueued = false;
            const c = this.counts;
            const set = (role, text) => { if (this.el[role]) this.el[role].textContent = text; };
            set('requests', String(c.requests));
            set('bytesIn', formatBytes(c.bytesIn));
            set('bytesOut', formatBytes(c.bytesOut));
            set('events', String(c.events));
            set('empty', String(c.empty));
            set('reconnects', String(c.reconnects));
            const avg = this.delays.length ? this.delays.reduce((a, b) => a + b, 0) / this.delays.length : null;
            set('delay', this.lastDelay === null ? '—' : formatMs(this.lastDelay));
            set('delayAvg', avg === null ? 'no timed event yet' : `avg ${formatMs(avg)} of last ${this.delays.length}`);
            set('health', c.missing || c.repeats
                ? `${c.missing} missing · ${c.repeats} repeated`
                : 'no id missing, none repeated');
            this.el.health?.classList.toggle('bad', c.missing + c.repeats > 0);
            for (const [k, v] of Object.entries(c)) this.root.dataset[k] = v;
        });
    }
}
