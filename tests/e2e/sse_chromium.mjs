// tests/e2e/sse_chromium.mjs — a real browser's EventSource against bin/sse,
// through dropped connections. Driven by tests/e2e/sse_chromium.sh, which
// starts the server with a temporary web root holding the page below.
//
// What it proves, in the browser's own terms:
//   1. EventSource opens GET /events and fires one message per event, ids
//      1, 2, 3 in order;
//   2. the server drops the stream (POST /events/drop: a clean close, as a
//      restart or a proxy timeout would do); events are published while the
//      browser is away (the server has no subscriber then); the browser
//      reconnects by itself after retry: and receives exactly the events it
//      missed — nothing lost, nothing twice — because it sent Last-Event-ID;
//   3. that again, twice more; the first drop comes before any event
//      arrived, which only works because the stream's first block gives the
//      browser its starting Last-Event-ID.
// The server's log must show each reconnect resuming after the right id.
//
// Environment: SSE_PORT (the server), SSE_LOG (its stderr).
// Prints "ok: ..." per check; exits 1 at the first failure. Every wait is bounded.

import fs from 'node:fs';
import { launchChromium, fail, waitFor } from './browser.mjs';

const base = `http://127.0.0.1:${process.env.SSE_PORT}`;
const serverLog = process.env.SSE_LOG;
const ok = (message) => console.log(`ok: ${message}`);


async function post(pathname, body) {
    const res = await fetch(base + pathname, { method: 'POST', body, signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) fail(`POST ${pathname} answered ${res.status}`);
    return res.json();
}

async function stats() {
    const res = await fetch(`${base}/stats`, { signal: AbortSignal.timeout(5000) });
    return res.json();
}


async function main() {
    const browser = await launchChromium();
    try {
        await run(browser.page);
    } finally {
        await browser.close();
    }
}

async function run(page) {
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    // Every request the page makes for the stream, with the headers Chromium sent.
    const streamRequests = [];
    page.on('request', async (req) => {
        if (new URL(req.url()).pathname === '/events')
            streamRequests.push((await req.allHeaders())['last-event-id'] ?? null);
    });

    await page.goto(`${base}/sse_test.html`, { timeout: 10000 });
    const state = () => page.evaluate(() => window.sseTest);
    await waitFor('the EventSource opens', 5000, async () => (await state()).opens === 1, state);
    ok('EventSource open');

    let published = 0;
    async function publishSome(n) {
        for (let i = 0; i < n; i++) {
            const { id } = await post('/publish', `event ${published + 1}`);
            if (id !== published + 1) fail(`publish gave id ${id}, expected ${published + 1}`);
            published = id;
        }
    }
    const hasAll = async () => (await state()).ids.length >= published;

    // One round: the server drops the stream; `away` events are published
    // while the browser has no stream (only a replay can deliver them); the
    // browser reconnects by itself and must get exactly those.
    async function dropRound(round, away) {
        const before = published;
        const { dropped } = await post('/events/drop', '');
        if (dropped !== 1) fail(`the server dropped ${dropped} streams, expected 1`);
        await waitFor('the browser notices the drop', 5000, async () => (await state()).errors === round, state);
        await publishSome(away);
        const st = await stats();
        if (st.subscribers !== 0) fail('the browser reconnected before the events were published: the test proves nothing', st);
        await waitFor(`round ${round}: the browser reconnects and catches up`, 10000,
            async () => (await state()).opens === round + 1 && await hasAll(), state);
        const logText = fs.readFileSync(serverLog, 'utf8');
        if (!logText.includes(`resumes after Last-Event-ID ${before}\n`))
            fail(`round ${round}: the server's log does not show a resume after ${before}`, logText.split('\n').slice(-10));
        ok(`round ${round}: dropped after #${before}, reconnected with Last-Event-ID: ${before}, got #${before + 1}..#${published}`);
    }

    // Dropped before any event arrived: the stream's first block ("id: 0")
    // already gave the browser a Last-Event-ID, so even this loses nothing.
    await dropRound(1, 2);
    await publishSome(1);
    await waitFor('event 3 arrives live', 5000, hasAll, state);
    ok('live event 3');
    await dropRound(2, 3);
    await dropRound(3, 3);

    // Exactly 1..N, in order, each once; no event of another type; no errors.
    const final = await state();
    const want = Array.from({ length: published }, (_, i) => i + 1);
    if (JSON.stringify(final.ids) !== JSON.stringify(want)) fail('ids are not 1..N exactly once in order', final.ids);
    if (final.data.some((d, i) => d !== `event ${i + 1}`)) fail('data does not match what was published', final.data);
    if (final.gaps.length) fail('unexpected gap events', final.gaps);
    if (pageErrors.length) fail('errors on the page', pageErrors);
    ok(`all ${published} events, each once, in order, across three drops`);

    // What Chromium itself sent: no Last-Event-ID the first time, then the ids.
    await waitFor('request log', 2000, async () => streamRequests.length >= 4);
    const sent = streamRequests.slice(0, 4);
    if (JSON.stringify(sent) !== JSON.stringify([null, '0', '3', '6'])) fail('Last-Event-ID headers Chromium sent', sent);
    ok(`Chromium sent Last-Event-ID: ${sent.slice(1).join(', then ')}`);
}

main().then(() => process.exit(0), (e) => {
    if (!String(e.message).length) console.log(e);
    console.log(String(e.stack || e).split('\n').slice(0, 3).join('\n'));
    process.exit(1);
});
