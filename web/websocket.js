// web/websocket.js — WebSocket: one connection, both sides speak freely.
//
// (1) The page asks over HTTP: GET /ws with "Upgrade: websocket" (the
// handshake, RFC 6455 §4). (2) The server answers 101 Switching Protocols and
// the connection stops being HTTP. (3) From then on either side sends a
// message whenever it likes, as a small frame (2 to 14 bytes of header) on
// the one connection that stays open. The server pushes each event as a text
// frame {"id":N,"data":"..."}; the page's messages go up the same socket and
// the server publishes them, as in a chat.
//
// Unlike EventSource, a WebSocket does not reconnect by itself: when it
// closes, this page opens a new one with ?since=N (the last id it saw), and
// the server replays what was missed.

import { REQUEST_HEAD_ESTIMATE, RESPONSE_HEAD_ESTIMATE, WS_REQUEST_HEAD_ESTIMATE, WS_RESPONSE_HEAD_ESTIMATE, formatMs, utf8Length, wsFrameSize } from './common.js';

const RECONNECT_MS = 2000;   // after an unexpected close
const DROP_MS = 3000;        // after "drop connection"

export class WebSocketClient {
    constructor(panel, base, cursor) {
        this.panel = panel;
        this.base = base.replace(/^http/, 'ws');
        this.statsUrl = `${base}/stats`;
        this.cursor = cursor;       // the last id seen
        this.socket = null;
        this.openedAt = 0;
        this.reopenAt = 0;          // while closed: when we open again
        this.lastClose = '';
        this.everOpened = false;
    }

    start() { this.open(); }

    open() {
        const url = `${this.base}/ws?since=${this.cursor}`;
        const ws = new WebSocket(url);
        this.socket = ws;
        this.panel.state('connecting');
        this.panel.request(WS_REQUEST_HEAD_ESTIMATE + utf8Length(url));
        let opened = false;

        ws.onopen = () => {
            opened = true;
            if (this.everOpened) {
                this.panel.reconnected();
                this.panel.note(`socket open again (continuing after #${this.cursor})`);
            }
            this.everOpened = true;
            this.openedAt = performance.now();
            this.panel.bytesIn(WS_RESPONSE_HEAD_ESTIMATE);
            this.panel.state('open');
        };
        ws.onmessage = (msg) => {
            const text = String(msg.data);
            this.panel.bytesIn(wsFrameSize(utf8Length(text), false));
            let obj;
            try { obj = JSON.parse(text); } catch (_) { this.panel.note(`not JSON: ${text}`); return; }
            if (obj.gap || obj.type === 'gap' || obj.event === 'gap') {
                this.panel.serverGap(obj.from !== undefined ? `#${obj.from}–#${obj.to}` : '');
                if (obj.to !== undefined) this.cursor = Math.max(this.cursor, Number(obj.to));
                if (obj.id === undefined || obj.data === undefined) return;
            }
            this.cursor = Math.max(this.cursor, Number(obj.id));
            this.panel.event(obj.id, obj.data);
        };
        ws.onclose = (e) => {
            if (this.socket !== ws) return;          // closed by drop(): it reopens
            this.socket = null;
            this.lastClose = `closed with code ${e.code}${e.reason ? ` (${e.reason})` : ''}`;
            this.panel.state('closed');
            this.panel.note(`socket ${this.lastClose}; reconnecting in ${RECONNECT_MS / 1000} s`);
            if (!opened) this.checkCursor();
            this.reopenIn(RECONNECT_MS);
        };
    }

    // The handshake was refused. A cursor ahead of the server's newest event
    // (the server restarted) is answered 400, which a WebSocket cannot read,
    // so ask /stats for the newest id and start over from there if need be.
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
        } catch (_) { /* server down: the reconnect loop keeps trying */ }
    }

    reopenIn(ms) {
        this.reopenAt = performance.now() + ms;
        setTimeout(() => this.open(), ms);
    }

    drop() {
        const ws = this.socket;
        if (!ws) return;
        this.socket = null;
        ws.close(1000, 'drop button');
        this.panel.bytesOut(wsFrameSize(2 + 11, true));   // our close frame
        this.panel.note(`dropped: socket closed (1000); in 3 s a new one asks ?since=${this.cursor}`);
        this.panel.state('dropped');
        this.reopenIn(DROP_MS);
    }

    // The message goes up the socket as one masked text frame: no new request,
    // no headers. When the socket is closed, fall back to POST /publish.
    async send(text) {
        if (this.socket && this.socket.readyState === WebSocket.OPEN) {
            this.socket.send(text);
            this.panel.bytesOut(wsFrameSize(utf8Length(text), true));
            return;
        }
        const url = `${this.base.replace(/^ws/, 'http')}/publish`;
        this.panel.request(REQUEST_HEAD_ESTIMATE + utf8Length(url) + utf8Length(text));
        const res = await fetch(url, { method: 'POST', body: text });
        this.panel.bytesIn(RESPONSE_HEAD_ESTIMATE + utf8Length(await res.text()));
    }

    describe() {
        const ws = this.socket;
        if (!ws || ws.readyState === WebSocket.CLOSED) {
            const left = formatMs(Math.max(0, this.reopenAt - performance.now()));
            return `no socket${this.lastClose ? ` (${this.lastClose})` : ''}: the page opens a new one with ?since=${this.cursor} in ${left}`;
        }
        if (ws.readyState === WebSocket.CONNECTING) return 'handshake: GET /ws with Upgrade: websocket, waiting for 101';
        return `socket open for ${formatMs(performance.now() - this.openedAt)}: either side may send a frame at any time`;
    }
}
