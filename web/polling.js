// web/polling.js — short polling: ask, get an answer at once, wait, ask again.
//
// The oldest way to get fresh data over HTTP, and the baseline the other three
// improve on. The server speaks only when asked, so the page asks every
// `interval` ms: GET /poll?since=N, where N is the last id it has seen. The
// answer comes at once, {"next":M,"events":[...]}, usually with nothing in it
// when the interval is shorter than the time between events: a wasted poll,
// a whole request and response for no news. When the interval is longer, the
// news waits on the server until the next poll: half an interval on average.

import { REQUEST_HEAD_ESTIMATE, RESPONSE_HEAD_ESTIMATE, formatMs, utf8Length } from './common.js';

export class PollingClient {
    constructor(panel, base, cursor) {
        this.panel = panel;
        this.base = base;
        this.cursor = cursor;       // the last id seen: "since"
        this.interval = 1000;       // ms between the end of one poll and the next
        this.timer = null;          // the wait before the next poll
        this.nextAt = 0;            // when that wait ends (performance.now())
        this.inFlight = null;       // the AbortController of the request on the wire
        this.pausedUntil = 0;       // "drop connection": no poll before this time
        this.lastAnswer = '';
    }

    start() { this.poll(); }

    setInterval(ms) {
        this.interval = ms;
        // A shorter interval applies now, not after the wait already started.
        if (this.timer && this.nextAt - performance.now() > ms) this.schedule(ms);
    }

    // One poll: ask for everything after the cursor, count what it cost.
    async poll() {
        this.timer = null;
        const url = `${this.base}/poll?since=${this.cursor}`;
        this.inFlight = new AbortController();
        this.panel.state('asking');
        this.panel.request(REQUEST_HEAD_ESTIMATE + utf8Length(url));
        try {
            const res = await fetch(url, { signal: this.inFlight.signal, cache: 'no-store' });
            const text = await res.text();
            this.panel.bytesIn(RESPONSE_HEAD_ESTIMATE + utf8Length(text));
            this.panel.servedBy(res.headers.get('X-Rtlab-Upstream'));   // behind nginx: which instance
            this.answer(res.status, JSON.parse(text));
        } catch (err) {
            if (err.name === 'AbortError') return;   // drop(): it schedules the next poll
            this.lastAnswer = `failed: ${err.message}`;
            this.panel.state('error');
        } finally {
            this.inFlight = null;
        }
        this.schedule(this.interval);
    }

    answer(status, body) {
        if (status === 400 && body.newest !== undefined) {
            // Our cursor is ahead of the server (it restarted): start over.
            this.cursor = body.newest;
            this.panel.restart(body.newest);
            this.lastAnswer = 'cursor ahead of the server';
            return;
        }
        if (status !== 200) throw new Error(`HTTP ${status}`);
        if (body.gap) this.panel.serverGap();
        for (const ev of body.events) this.panel.event(ev.id, ev.data);
        if (body.events.length === 0) this.panel.emptyAnswer();
        this.cursor = body.next ?? this.cursor;
        const n = body.events.length;
        this.lastAnswer = n === 0 ? 'nothing new — a wasted poll' : `${n} new event${n > 1 ? 's' : ''}`;
        this.panel.state('waiting');
    }

    schedule(ms) {
        clearTimeout(this.timer);
        const wait = Math.max(ms, this.pausedUntil - performance.now());
        this.nextAt = performance.now() + wait;
        this.timer = setTimeout(() => this.poll(), wait);
    }

    // Short polling holds no request between polls, so "dropping" means:
    // abort the one on the wire, if any, and stop asking for 3 s. The next
    // poll's since= brings everything published meanwhile.
    drop() {
        this.inFlight?.abort();
        this.pausedUntil = performance.now() + 3000;
        this.panel.note(`dropped: no polls for 3 s; the next asks since=${this.cursor}`);
        this.panel.state('dropped');
        this.schedule(0);
    }

    // Publish with an ordinary POST; the message comes back in a later poll.
    async send(text) {
        const url = `${this.base}/publish`;
        this.panel.request(REQUEST_HEAD_ESTIMATE + utf8Length(url) + utf8Length(text));
        const res = await fetch(url, { method: 'POST', body: text });
        this.panel.bytesIn(RESPONSE_HEAD_ESTIMATE + utf8Length(await res.text()));
    }

    // The one line under the panel's title, refreshed ten times a second.
    describe() {
        if (this.inFlight) return `asking the server: GET /poll?since=${this.cursor}`;
        const left = Math.max(0, this.nextAt - performance.now());
        const paused = this.pausedUntil > performance.now() ? 'dropped — ' : '';
        return `${paused}next poll in ${formatMs(left)}; last answer: ${this.lastAnswer || '…'}`;
    }
}
