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
// "Drop connection" closes our EventSource and opens a new one 3 s later.
// A new EventSource starts with no memory of ids, and a page cannot set the
// Last-Event-ID header itself, so we pass the same cursor as ?since=N, which
// the server reads the same way. (A drop from the server's side, e.g. a
// restart, shows the browser's own reconnect: watch the state line.)

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
                this.panel.note(`stream open again (continuing after #${this.cursor})`);
                this.checkCursor();
            }
            this.everOpened = true;
            this.openedAt = performance.now();
            this.panel.bytesIn(RESPONSE_HEAD_ESTIMATE + utf8Length('retry: 3000\n\n'));
            this.panel.state('open');
        };
        es.onmessage = (msg) => {
            this.panel.bytesIn(sseEventSize(msg.lastEventId, msg.data));
            this.cursor = Number(msg.lastEventId) || this.cursor;
            this.panel.event(msg.lastEventId, msg.data);
        };
        // The server's feed has lost events we had not seen yet.
        es.addEventListener('gap', (msg) => {
            this.panel.bytesIn(sseEventSize(msg.lastEventId, msg.data) + 'event: gap\n'.length);
            this.panel.serverGap(msg.data);
        });
        es.onerror = () => {
            if (es.readyState === EventSource.CONNECTING) {
                // The browser reconnects by itself and will send Last-Event-ID.
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
        try {
            const stats = await (await fetch(this.statsUrl, { cache: 'no-store' })).json();
            const newest = Number(stats.newest_id ?? stats.events);
            if (newest < this.cursor) {
                this.cursor = newest;
                this.panel.restart(newest);
            }
        } catch (_) { /* gone again: the browser keeps reconnecting */ }
    }

    drop() {
        if (!this.source) return;
        this.source.close();
        this.source = null;
        this.panel.note(`dropped: the stream is closed; in 3 s a new one asks since=${this.cursor}`);
        this.panel.state('dropped');
        this.reopenAt = performance.now() + 3000;
        setTimeout(() => {
            this.panel.note(`reconnecting with ?since=${this.cursor} (like Last-Event-ID: ${this.cursor})`);
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
                ? `stream broken: the browser reconnects by itself, sending Last-Event-ID: ${this.cursor}`
                : 'opening the stream: GET /events';
        default:
            return 'the browser gave up on the stream (the server answered with an error)';
        }
    }
}
