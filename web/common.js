// web/common.js — what the four panels share: where the servers are, how
// bytes are counted, and the small helpers every technique client uses.
//
// The page talks to four servers, one per technique. They run on the host the
// page came from (location.hostname), so the demo works from a phone in the
// classroom as well as on the teacher's laptop. Their ports default to
// 8001..8004 and can be set with ?ports=9001,9002,9003,9004.

export const TECHNIQUES = ['polling', 'longpoll', 'sse', 'websocket'];

const DEFAULT_PORTS = [8001, 8002, 8003, 8004];

// 1 when the page was served by `make cluster` (nginx in front, one origin):
// its URL carries ?cluster, which nginx adds to the bare origin.
export function inCluster(loc = window.location) {
    return new URLSearchParams(loc.search).has('cluster');
}

// Each server's base URL ("http://host:8001"), by technique name.
// Returns { polling: "http://...", ... } or throws with a readable message.
// In the cluster every technique is a path on the page's own origin
// (https://host:port/sse), and nginx picks the instance.
export function serverBases(loc = window.location) {
    const params = new URLSearchParams(loc.search);
    if (inCluster(loc)) {
        const bases = {};
        for (const name of TECHNIQUES) bases[name] = `${loc.origin}/${name}`;
        return bases;
    }
    let ports = DEFAULT_PORTS;
    if (params.has('ports')) {
        ports = params.get('ports').split(',').map((p) => Number(p.trim()));
        if (ports.length !== 4 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
            throw new Error('?ports= wants four port numbers, e.g. ?ports=8001,8002,8003,8004');
    }
    // An IPv6 literal needs its brackets back inside a URL.
    const host = loc.hostname.includes(':') ? `[${loc.hostname}]` : (loc.hostname || '127.0.0.1');
    const bases = {};
    TECHNIQUES.forEach((name, i) => { bases[name] = `http://${host}:${ports[i]}`; });
    return bases;
}

// ---- counting bytes --------------------------------------------------------
//
// A page can read the body of an answer but not its header bytes (for another
// origin the browser hides most headers, and the resource-timing sizes are 0
// without a Timing-Allow-Origin header). So every byte count on the page is
// the exact size of what the page *can* see plus an estimate of what it
// cannot, and the page labels it "≈". The estimates are the sizes of the
// heads these servers and Chromium actually send, measured once with curl
// and with the servers' own /stats byte counters while the page ran; they are
// close, not exact (a Date header or a longer URL moves them a few bytes).

// Bytes of an HTTP response head from our servers (status line, Server,
// Date, Content-Type, Content-Length, CORS, Connection, Cache-Control).
export const RESPONSE_HEAD_ESTIMATE = 200;
// Bytes of a request head Chromium sends cross-origin (Host, User-Agent,
// Accept, Origin, Referer, Accept-Language, sec-ch-ua...), not counting the
// URL, which the page adds itself.
export const REQUEST_HEAD_ESTIMATE = 500;
// The WebSocket opening handshake, each way (RFC 6455 §4): the browser's GET
// with Upgrade and Sec-WebSocket-Key, and the server's 101.
export const WS_REQUEST_HEAD_ESTIMATE = 560;
export const WS_RESPONSE_HEAD_ESTIMATE = 130;

const encoder = new TextEncoder();

// Length of a string once encoded as UTF-8: what travels on the wire.
export function utf8Length(text) {
    return encoder.encode(text).length;
}

// Size of one WebSocket frame carrying `payloadBytes` (RFC 6455 §5.2): 2 bytes
// of header, 2 or 8 more for a long length, 4 more for the mask that every
// client→server frame carries (§5.3).
export function wsFrameSize(payloadBytes, masked) {
    let header = 2;
    if (payloadBytes > 65535) header += 8;
    else if (payloadBytes > 125) header += 2;
    return header + (masked ? 4 : 0) + payloadBytes;
}

// Size of one event as an SSE server writes it (text/event-stream): an
// "id:" line, one "data:" line per line of the data, and a blank line.
export function sseEventSize(id, data) {
    const lines = String(data).split(/\r\n|\r|\n/);
    let size = utf8Length(`id: ${id}\n`) + 1;
    for (const line of lines) size += utf8Length(`data: ${line}\n`);
    return size;
}

// "12.3 KB" style sizes, short enough for a counter on a projector.
export function formatBytes(n) {
    if (n < 1000) return `${n} B`;
    if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} KB`;
    return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;
}

export function formatMs(ms) {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

// ---- when was an event published? -------------------------------------------
//
// The delay from publish to arrival is exact for messages this page sent
// (the page knows when it sent them). For the servers' clock ticks it is
// exact only when the tick's text carries the time it was made, in
// milliseconds; then the server's clock is compared with the browser's, which
// is only right when both run on one machine (or have synchronised clocks).

// Returns the publish time (ms since the epoch) written in a ticker event's
// data, or null when the data carries none the page can read.
export function publishTimeIn(data) {
    if (typeof data !== 'string') return null;
    // JSON with a millisecond field, e.g. {"t":1764000000000}
    if (data.startsWith('{')) {
        try {
            const obj = JSON.parse(data);
            for (const key of ['t', 'ts', 'time', 'ms', 'published']) {
                const v = obj[key];
                if (typeof v === 'number' && v > 1e12) return v;
                if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return Date.parse(v);
            }
        } catch (_) { /* not JSON after all: fall through */ }
    }
    // An epoch time in milliseconds anywhere in the text
    let m = data.match(/\b(1\d{12})\b/);
    if (m) return Number(m[1]);
    // A UTC time of day with milliseconds, as the servers' ticker writes it:
    // "clock 10:04:59.250 UTC". Today's date is assumed (yesterday's just
    // after midnight).
    m = data.match(/\b(\d\d):(\d\d):(\d\d)\.(\d{3}) UTC\b/);
    if (m) {
        const now = new Date();
        let t = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(),
            Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
        if (t - now.getTime() > 12 * 3600e3) t -= 24 * 3600e3;
        return t;
    }
    // An ISO-8601 time with milliseconds and a zone
    m = data.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:?\d\d)/);
    if (m) return Date.parse(m[0]);
    return null;
}
