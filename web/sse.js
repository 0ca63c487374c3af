// web/sse.js — Server-Sent Events: one request, and an answer that never ends.
//
// The browser's EventSource opens GET /events once. The server answers with
// Content-Type: text/event-stream and then keeps the response open, writing
// each event into it as it happens ("id: 7", "data: ...", a blank line).
// One-way, server → client, over plain HTTP. When the stream breaks, the
// browser reconnects by itself after the server's `retry:` delay and sends
// the last id it saw as the Last-Event-ID header, so the server can replay
// what was missed: nothing lost, nothing twice.
//
// "Drop connection" asks the server to cut every open stream
// (POST /events/drop, as a restart or a proxy would). The browser notices,
// waits the server's `retry:` delay and reconnects on its own with
// Last-Event-ID: the panel shows the badge turn *reconnecting*, then the
// missed events arrive in order. (A server without /events/drop: the page
// closes its EventSource and opens a new one with ?since=N instead, since a
// page cannot set Last-Event-ID itself.)

import { REQUEST_HEAD_ESTIMATE, RESPONSE_HEAD_ESTIMATE, formatMs, sseEventSize, utf8Length } from './common.js';

export class SseClient {
    constructor(panel, base, cursor) {
        this.panel = panel;
        this.base = base;
        this.statsUrl = `${base}/stats`;
        this.cursor = cursor;       // the last id seen
        this.source = null;         // the EventSource
        this.openedAt = 0;
        this.reopenAt = 0;          // after a drop: when we open again
        this.everOpened = false;
        this.autoReconnects = 0;    // reconnects the browser made by itself
        this.lostAt = 0;            // when the stream broke (performance.now())
    }

    start() { this.open(); }

    open() {
        const url = `${this.base}/events?since=${this.cursor}`;
        const es = new EventSource(url);
        this.source = es;
        this.panel.state('connecting');
        this.panel.request(REQUEST_HEAD_ESTIMATE + utf8Length(url));

        es.onopen = () => {
            // Fires for the first connection and for each automatic reconnect.
            if (this.everOpened) {
                this.panel.reconnected();
                if (this.lostAt) {
                    this.autoReconnects++;
                    this.panel.note(`the browser reconnected by itself after ${formatMs(performance.now() - this.lostAt)}, sending Last-Event-ID: ${this.cursor}`);
                } else {
                    this.panel.note(`stream open again (continuing after #${this.cursor})`);
                }
                this.checkCursor();
            }
            this.lostAt = 0;
            this.everOpened = true;
            this.openedAt = performance.now();
            this.panel.bytesIn(RESPONSE_HEAD_ESTIMATE + utf8Length(`retry: 3000\nid: ${this.cursor}\n\n`));
            this.panel.state('open');
        };
        es.onmessage = (msg) => {
            this.panel.bytesIn(sseEventSize(msg.lastEventId, msg.data));
            this.cursor = Number(msg.lastEventId) || this.cursor;
            this.panel.event(msg.lastEventId, msg.data);
        };
        // The server's feed has lost events we had not seen yet:
        // data {"from":A,"to":B}, and an id that moves our cursor past them.
        es.addEventListener('gap', (msg) => {
            this.panel.bytesIn(sseEventSize(msg.lastEventId, msg.data) + 'event: gap\n'.length);
            let detail = msg.data;
            try { const g = JSON.parse(msg.data); detail = `#${g.from}–#${g.to}`; } catch (_) { /* show it raw */ }
            this.panel.serverGap(detail);
            this.cursor = Number(msg.lastEventId) || this.cursor;
        });
        es.onerror = () => {
            if (es.readyState === EventSource.CONNECTING) {
                // The browser reconnects by itself and will send Last-Event-ID.
                if (!this.lostAt) {
                    this.lostAt = performance.now();
                    if (this.everOpened) this.panel.note(`the stream broke after #${this.cursor}; the browser will reconnect by itself`);
                }
                this.panel.state('reconnecting');
                this.panel.request(REQUEST_HEAD_ESTIMATE + utf8Length(url) + 20);
            } else {
                this.panel.state('error');   // CLOSED: the browser gave up (HTTP error)
            }
        };
    }

    // After a reconnect: if the server restarted, its ids began again at 1
    // and our Last-Event-ID is ahead of them. The server then streams from
    // its newest event on (an error would stop the browser for good); the
    // page starts its count over from there too, instead of calling every
    // new id a repeat.
    async checkCursor() {
        // Compare with the cursor as it was when we asked: events that arrive
        // while the answer is on its way move the cursor past the answer's
        // newest id without any restart.
        const asked = this.cursor;
        try {
            const stats = await (await fetch(this.statsUrl, { cache: 'no-store' })).json();
            const newest = Number(stats.newest_id ?? stats.events);
            if (newest < asked) {
                this.cursor = newest;
                this.panel.restart(newest);
            }
        } catch (_) { /* gone again: the browser keeps reconnecting */ }
    }

    // Ask the server to cut the stream; if it cannot, cut it here.
    async drop() {
        if (!this.source) return;
        const url = `${this.base}/events/drop`;
        this.panel.request(REQUEST_HEAD_ESTIMATE + utf8Length(url));
        try {
            const res = await fetch(url, { method: 'POST', cache: 'no-store' });
            const text = await res.text();
            this.panel.bytesIn(RESPONSE_HEAD_ESTIMATE + utf8Length(text));
            if (res.ok) {
                this.panel.note('asked the server to drop every stream (POST /events/drop)');
                return;
            }
        } catch (_) { /* fall through: drop it from our side */ }
        this.closeAndReopen();
    }

    closeAndReopen() {
        if (!this.source) return;
        this.source.close();
        this.source = null;
        this.panel.note(`dropped: the stream is closed; in 3 s a new one asks since=${this.cursor}`);
        this.panel.state('dropped');
        this.reopenAt = performance.now() + 3000;
        setTimeout(() => {
            this.panel.note(`reconnecting with ?since=${this.cursor} (a page cannot set Last-Event-ID)`);
            this.open();
        }, 3000);
    }

    // SSE is one-way: the page publishes with an ordinary POST.
    async send(text) {
        const url = `${this.base}/publish`;
        this.panel.request(REQUEST_HEAD_ESTIMATE + utf8Length(url) + utf8Length(text));
        const res = await fetch(url, { method: 'POST', body: text });
        this.panel.bytesIn(RESPONSE_HEAD_ESTIMATE + utf8Length(await res.text()));
    }

    describe() {
        const es = this.source;
        if (!es) return `no stream: opening a new one in ${formatMs(Math.max(0, this.reopenAt - performance.now()))}`;
        switch (es.readyState) {
        case EventSource.OPEN:
            return `stream open for ${formatMs(performance.now() - this.openedAt)}: one response, events written into it as they happen`;
        case EventSource.CONNECTING:
            return this.everOpened
                ? `stream broken ${formatMs(performance.now() - this.lostAt)} ago: the browser reconnects by itself (after the server's retry: delay), sending Last-Event-ID: ${this.cursor}`
                : 'opening the stream: GET /events';
        default:
            return 'the browser gave up on the stream (the server answered with an error)';
        }
    }
}
