// web/longpoll.js — long polling: ask, and the server holds the question
// until it has an answer.
//
// GET /poll?since=N&timeout=S looks like a short poll, but when nothing newer
// than N exists the server parks the request instead of answering "nothing".
// The first event published wakes it and it is answered at once; the page
// asks again straight away, so there is almost always one request waiting on
// the server. News arrives as fast as with a push technique, yet each event
// still costs a whole request and response, and with no news the request is
// answered empty after S seconds (a wasted poll, but a rare one).

import { REQUEST_HEAD_ESTIMATE, RESPONSE_HEAD_ESTIMATE, formatMs, utf8Length } from './common.js';

const HOLD_SECONDS = 25;   // how long the server may hold one request

export class LongPollClient {
    constructor(panel, base, cursor) {
        this.panel = panel;
        this.base = base;
        this.cursor = cursor;       // the last id seen: "since"
        this.inFlight = null;       // the AbortController of the parked request
        this.sentAt = 0;            // when it was sent (performance.now())
        this.retryAt = 0;           // after an error or a drop: when to ask again
        this.lastAnswer = '';
    }

    start() { this.poll(); }

    async poll() {
        const url = `${this.base}/poll?since=${this.cursor}&timeout=${HOLD_SECONDS}`;
        this.inFlight = new AbortController();
        this.sentAt = performance.now();
        this.panel.state('parked');
        this.panel.request(REQUEST_HEAD_ESTIMATE + utf8Length(url));
        let wait = 0;               // asking again at once is the technique
        try {
            const res = await fetch(url, { signal: this.inFlight.signal, cache: 'no-store' });
            const text = await res.text();
            this.panel.bytesIn(RESPONSE_HEAD_ESTIMATE + utf8Length(text));
            this.panel.servedBy(res.headers.get('X-Rtlab-Upstream'));   // behind nginx: which instance
            this.answer(res.status, JSON.parse(text));
        } catch (err) {
            if (err.name === 'AbortError') return;   // drop() asks again itself
            this.lastAnswer = `failed: ${err.message}; trying again in 2 s`;
            this.panel.state('error');
            wait = 2000;             // do not hammer a server that is down
        } finally {
            this.inFlight = null;
        }
        this.again(wait);
    }

    answer(status, body) {
        if (status === 400 && body.newest !== undefined) {
            this.cursor = body.newest;
            this.panel.restart(body.newest);
            return;
        }
        if (status !== 200) throw new Error(`HTTP ${status}`);
        if (body.gap) this.panel.serverGap();
        for (const ev of body.events) this.panel.event(ev.id, ev.data);
        const held = formatMs(performance.now() - this.sentAt);
        if (body.events.length === 0) {
            this.panel.emptyAnswer();
            this.lastAnswer = `held ${held}, answered empty (timeout)`;
        } else {
            const n = body.events.length;
            this.lastAnswer = `held ${held}, woken by ${n} event${n > 1 ? 's' : ''}`;
        }
        this.cursor = body.next ?? this.cursor;
    }

    again(ms) {
        this.retryAt = performance.now() + ms;
        setTimeout(() => this.poll(), ms);
    }

    // Abort the parked request and stay away 3 s; the next poll's since=
    // brings every event published meanwhile, in one answer.
    drop() {
        if (!this.inFlight) return;
        this.inFlight.abort();
        this.inFlight = null;
        this.panel.note(`dropped: the parked request is gone; in 3 s we ask since=${this.cursor}`);
        this.panel.state('dropped');
        this.again(3000);
    }

    async send(text) {
        const url = `${this.base}/publish`;
        this.panel.request(REQUEST_HEAD_ESTIMATE + utf8Length(url) + utf8Length(text));
        const res = await fetch(url, { method: 'POST', body: text });
        this.panel.bytesIn(RESPONSE_HEAD_ESTIMATE + utf8Length(await res.text()));
    }

    describe() {
        if (this.inFlight) {
            const held = formatMs(performance.now() - this.sentAt);
            return `request parked on the server for ${held}: it answers at the next event (or after ${HOLD_SECONDS} s)`;
        }
        const left = Math.max(0, this.retryAt - performance.now());
        return `no request open; asking again in ${formatMs(left)} (${this.lastAnswer || '…'})`;
    }
}
