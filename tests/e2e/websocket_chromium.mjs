// tests/e2e/websocket_chromium.mjs — a real browser's WebSocket against
// bin/websocket. Driven by tests/e2e/websocket_chromium.sh, which starts the
// server (-i 0.3 -t 0) with a temporary web root holding ws_test.html.
//
// What it proves, in the browser's own terms:
//   1. Chromium accepts our handshake (it checks the accept key and refuses
//      a 101 without one), agrees to permessage-deflate (RFC 7692), which
//      it offers on every socket, with server_no_context_takeover, and
//      ?since=0 replays events 1..3;
//   2. a text message (non-ASCII) from one socket arrives at both sockets as
//      the next event {"id":N,"data":"..."};
//   3. a 100 kB message (64-bit length form both ways) arrives whole, and
//      compressed both ways: /stats counts fewer than 10 kB in and out
//      where plain frames would be 100 kB in and 200 kB out;
//   4. sockets left idle for five ping intervals stay open: Chromium answers
//      the server's pings;
//   5. a handshake the server refuses (?since ahead of the feed: 400) ends
//      in the browser's error event, never an open;
//   6. ws.close(1000) ends cleanly: code 1000, wasClean;
//   7. SIGTERM: the other socket is told 1001, cleanly.
//
// Environment: WS_PORT (the server), WS_PID (its pid, for the SIGTERM).
// Prints "ok: ..." per check; exits 1 at the first failure. Every wait is bounded.

import { launchChromium, fail, waitFor } from './browser.mjs';

const base = `http://127.0.0.1:${process.env.WS_PORT}`;
const serverPid = Number(process.env.WS_PID);
const ok = (message) => console.log(`ok: ${message}`);


async function publish(body) {
    const res = await fetch(`${base}/publish`, { method: 'POST', body, signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) fail(`POST /publish answered ${res.status}`);
    return (await res.json()).id;
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
    await page.goto(`${base}/ws_test.html`, { timeout: 10000 });
    const rec = (name) => page.evaluate((n) => window.wsRecord(n), name);
    const events = async (name) => (await rec(name)).messages.map((m) => JSON.parse(m));
    const open = (name, query) => page.evaluate(([n, q]) =>
        Promise.race([window.wsOpen(n, q), new Promise((r) => setTimeout(() => r('timeout'), 5000))]),
        [name, query]);

    // 1. Handshake and replay.
    for (let i = 1; i <= 3; i++)
        if (await publish(`before ${i}`) !== i) fail('publish did not number events 1, 2, 3');
    if (await open('a', '?since=0') !== true) fail('socket a did not open', await rec('a'));
    await waitFor('replay of 1..3', 5000, async () => (await rec('a')).messages.length >= 3, () => rec('a'));
    const replayed = await events('a');
    if (JSON.stringify(replayed) !== JSON.stringify([1, 2, 3].map((i) => ({ id: i, data: `before ${i}` }))))
        fail('replay from since=0', replayed);
    const agreed = (await rec('a')).extensions;
    if (agreed !== 'permessage-deflate; server_no_context_takeover')
        fail('permessage-deflate not agreed as expected', agreed);
    ok(`handshake accepted by Chromium, extensions "${agreed}"; ?since=0 replayed events 1..3`);

    // 2. Chat between two sockets.
    if (await open('b', '') !== true) fail('socket b did not open', await rec('b'));
    const text = 'héllo ☃ from chromium 😀';
    await page.evaluate((t) => window.sockets.a.ws.send(t), text);
    await waitFor('the chat message at both sockets', 5000, async () =>
        (await rec('a')).messages.length >= 4 && (await rec('b')).messages.length >= 1,
    async () => ({ a: await rec('a'), b: await rec('b') }));
    const want = JSON.stringify({ id: 4, data: text });
    if (JSON.stringify((await events('a'))[3]) !== want || JSON.stringify((await events('b'))[0]) !== want)
        fail('the chat message', { a: await events('a'), b: await events('b') });
    ok('a text message from socket a became event 4 at both sockets');

    // 3. A big message.
    const big = 'y'.repeat(100000);
    const before = await stats();
    await page.evaluate((t) => window.sockets.b.ws.send(t), big);
    await waitFor('the 100 kB message at both sockets', 5000, async () =>
        (await rec('a')).messages.length >= 5 && (await rec('b')).messages.length >= 2);
    for (const name of ['a', 'b']) {
        const last = (await events(name)).at(-1);
        if (last.id !== 5 || last.data !== big) fail(`the 100 kB message arrived changed at ${name}`);
    }
    const after = await stats();
    const bytesIn = after.bytes_in - before.bytes_in, bytesOut = after.bytes_out - before.bytes_out;
    if (bytesIn > 10000 || bytesOut > 10000)
        fail('the 100 kB message was not compressed both ways', { bytesIn, bytesOut });
    ok(`a 100 kB message arrived whole at both sockets, compressed: ${bytesIn} bytes in, ${bytesOut} out`);

    // 4. Idle sockets stay: the browser answers the server's pings.
    await new Promise((r) => setTimeout(r, 1500));
    const st = await stats();
    if (st.subscribers !== 2) fail('idle sockets were dropped: pings not answered?', st);
    for (const name of ['a', 'b'])
        if ((await rec(name)).close) fail(`socket ${name} closed while idle`, await rec(name));
    ok('idle for 1.5 s with server pings every 0.3 s: both sockets still open');

    // 5. A refused handshake is an error, never an open.
    if (await open('refused', '?since=999') !== false) fail('a handshake answered 400 opened a socket');
    const refused = await rec('refused');
    if (!refused.error || refused.opened) fail('a refused handshake', refused);
    ok(`?since ahead of the feed: refused, the browser reports an error (close ${refused.close.code})`);

    // 6. A clean close from the browser.
    await page.evaluate(() => window.sockets.a.ws.close(1000, 'bye'));
    await waitFor('socket a closes', 5000, async () => (await rec('a')).close !== null, () => rec('a'));
    const closeA = (await rec('a')).close;
    if (closeA.code !== 1000 || !closeA.wasClean) fail('the close of socket a', closeA);
    ok('ws.close(1000): closed cleanly with 1000');

    // 7. The server goes away: 1001.
    process.kill(serverPid, 'SIGTERM');
    await waitFor('socket b is told the server is going away', 5000,
        async () => (await rec('b')).close !== null, () => rec('b'));
    const closeB = (await rec('b')).close;
    if (closeB.code !== 1001 || !closeB.wasClean) fail('the close of socket b on SIGTERM', closeB);
    ok('SIGTERM: socket b closed cleanly with 1001 (going away)');

    if (pageErrors.length) fail('errors on the page', pageErrors);
}

main().then(() => process.exit(0), (e) => {
    if (!String(e.message).length) console.log(e);
    console.log(String(e.stack || e).split('\n').slice(0, 3).join('\n'));
    process.exit(1);
});
