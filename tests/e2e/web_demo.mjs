// tests/e2e/web_demo.mjs — drive web/ in headless Chromium against the real
// servers that tests/e2e/web_demo.sh started.
//
// Environment (set by web_demo.sh):
//   WEB_PORTS       four ports, polling,longpoll,sse,websocket ("1" = not running)
//   WEB_TECHNIQUES  the techniques whose servers are running, e.g. polling,longpoll
//   WEB_TICK_MS     the servers' clock tick
//   WEB_SLOW_TICK_MS  the short-polling server's (slower) tick
//   WEB_OUT         where the screenshots go
//
// Each check prints "ok: ..." or "FAIL: ..."; the process exits 1 at the first
// failure. Every wait is bounded.

import fs from 'node:fs';
import { launchChromium } from './browser.mjs';

const ports = process.env.WEB_PORTS.split(',').map(Number);
const techniques = process.env.WEB_TECHNIQUES.split(',').filter(Boolean);
const tickMs = Number(process.env.WEB_TICK_MS || 400);
const slowTickMs = Number(process.env.WEB_SLOW_TICK_MS || tickMs);
const tickOf = (n) => (n === 'polling' ? slowTickMs : tickMs);
const outDir = process.env.WEB_OUT || 'tests/out/web';
const all = ['polling', 'longpoll', 'sse', 'websocket'];
const pagePort = ports[all.indexOf(techniques[0])];
const pageUrl = `http://127.0.0.1:${pagePort}/?ports=${ports.join(',')}`;

let browser, page;
const pageErrors = [];
const pollTimes = [];

function fail(message, detail) {
    console.log(`FAIL: ${message}`);
    if (detail !== undefined) console.log(typeof detail === 'string' ? detail : JSON.stringify(detail, null, 1).slice(0, 4000));
    throw new Error(message);
}
const ok = (message) => console.log(`ok: ${message}`);
const snapshot = () => page.evaluate(() => window.rtlab.snapshot());

// Wait until pred(snapshot) holds, at most `ms`; on timeout fail with what was seen.
async function waitFor(what, ms, pred) {
    const until = Date.now() + ms;
    let snap;
    while (Date.now() < until) {
        snap = await snapshot();
        if (pred(snap)) return snap;
        await page.waitForTimeout(100);
    }
    fail(`${what} (waited ${ms / 1000} s)`, summary(snap));
}

// What a panel looked like, short enough for a log.
function summary(snap) {
    if (!snap) return 'no snapshot';
    return Object.fromEntries(Object.entries(snap).map(([n, p]) => [n, {
        state: p.state, explain: p.explain, startId: p.startId,
        ids: p.ids.slice(-15), counts: p.counts, recent: p.recent.slice(-3),
    }]));
}

// The ids a panel received must run start+1, start+2, ... with no hole and
// no repeat: the feed's promise, seen from the browser.
function checkContiguous(name, p) {
    let expect = p.startId + 1;
    for (const id of p.ids) {
        if (id !== expect) fail(`${name}: expected id #${expect}, got #${id}`, { startId: p.startId, ids: p.ids });
        expect++;
    }
    if (p.counts.missing || p.counts.repeats) fail(`${name}: the panel counted missing or repeated ids`, { counts: p.counts, rows: p.rows.slice(-40) });
}

async function main() {
    fs.mkdirSync(outDir, { recursive: true });
    browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
    try {
        page = browser.page;
        page.setDefaultTimeout(15000);
        page.on('pageerror', (err) => pageErrors.push(err.message));
        // When each short poll left, for the failure message of check 4.
        page.on('request', (req) => {
            if (req.url().startsWith(`http://127.0.0.1:${ports[0]}/poll`)) pollTimes.push(Date.now());
        });
        page.on('console', (msg) => {
            // Network errors for servers that are not running are expected.
            if (msg.type() === 'error' && !/Failed to load resource|ERR_UNSAFE_PORT|ERR_CONNECTION_REFUSED/.test(msg.text()))
                pageErrors.push(`console: ${msg.text()}`);
        });
        await run();
    } finally {
        await browser.close();
    }
}

async function run() {
    await page.goto(pageUrl, { waitUntil: 'load', timeout: 15000 });
    ok(`page loaded from ${pageUrl}`);

    // 1. Every running server's ticks reach its panel.
    await waitFor('every panel receives at least 3 ticks', 15000,
        (s) => techniques.every((n) => s[n] && s[n].ids.length >= 3));
    ok(`ticks arrive in: ${techniques.join(', ')}`);

    // ... and each panel says what its technique is doing, in its own words.
    const words = { polling: /next poll in|asking the server/, longpoll: /parked on the server|asking again/,
        sse: /stream open/, websocket: /socket open/ };
    let snap = await snapshot();
    for (const n of techniques)
        if (!words[n].test(snap[n].explain)) fail(`${n}: explanation line says "${snap[n].explain}"`);
    ok('each panel explains what its technique is doing');

    // 2. A message typed into the box arrives in every panel, timed.
    const message = `hello from chromium ${Date.now()}`;
    await page.fill('#message', message);
    await page.press('#message', 'Enter');
    snap = await waitFor('the typed message arrives in every panel', 10000,
        (s) => techniques.every((n) => s[n].recent.some(([, data]) => data === message)));
    for (const n of techniques) {
        if (snap[n].delays.length === 0) fail(`${n}: no publish→arrival delay measured`);
    }
    ok(`"${message}" arrived in all ${techniques.length} panels`);
    await page.screenshot({ path: `${outDir}/desktop.png`, fullPage: true });

    // 3. "Drop connection". On the SSE panel the page asks the server to cut
    // the stream (POST /events/drop), so it is the browser itself that must
    // reconnect, with Last-Event-ID, and catch up with no id missing. The
    // other panels are dropped at the same time (each its own way: abort the
    // poll, close the socket) and must catch up the same way.
    const before = await snapshot();
    const autoBefore = await page.evaluate(() => window.rtlab.app.clients.sse?.autoReconnects ?? 0);
    for (const n of techniques) await page.click(`#${n} [data-role=drop]`);
    await waitFor('every dropped panel shows it is cut off', 5000,
        (s) => techniques.every((n) => ['dropped', 'reconnecting'].includes(s[n].state) || n === 'polling' || n === 'longpoll'));
    // Back: reconnected (push techniques), and at least one event newer than
    // the ones published while it was away (3 s).
    snap = await waitFor('every panel reconnects and catches up after "drop connection"', 20000,
        (s) => techniques.every((n) => {
            const p = s[n];
            const away = Math.ceil(3000 / tickOf(n)) + 1;
            const newer = p.ids.filter((id) => id > before[n].lastId + away).length;
            const back = (n === 'sse' || n === 'websocket') ? p.counts.reconnects > before[n].counts.reconnects && p.state === 'open' : true;
            return back && newer >= 1;
        }));
    for (const n of techniques) checkContiguous(n, snap[n]);
    if (techniques.includes('sse')) {
        const auto = await page.evaluate(() => window.rtlab.app.clients.sse.autoReconnects);
        if (auto <= autoBefore) fail('SSE: the stream came back, but not through the browser\'s own reconnect (is POST /events/drop there?)');
        ok(`SSE: the server cut the stream after #${before.sse.lastId}; EventSource reconnected by itself with Last-Event-ID; now at #${snap.sse.lastId}, no id missing or repeated`);
    }
    ok(`every panel caught up after its drop with no id missing or repeated (${techniques.join(', ')})`);

    // 4. Short polling: with polls far faster than the (slow) ticker most
    // answers are empty — the wasted-poll counter must climb.
    if (techniques.includes('polling')) {
        const w0 = (await snapshot()).polling.counts.empty;
        const t0 = Date.now();
        await page.selectOption('#polling [data-role=interval]', '100');
        const rise = 5;
        const until = Date.now() + 10000;
        let w1 = w0;
        while (Date.now() < until && w1 - w0 < rise) {
            await page.waitForTimeout(200);
            w1 = (await snapshot()).polling.counts.empty;
        }
        if (w1 - w0 < rise) {
            const recent = pollTimes.filter((t) => t >= t0);
            fail(`polling: wasted polls rose only ${w0} → ${w1} in 10 s of 100 ms polls with a tick every ${slowTickMs} ms`,
                `ms between the polls: ${recent.slice(1).map((t, i) => t - recent[i]).join(' ')}`);
        }
        ok(`polling: wasted polls ${w0} → ${w1} in ${Date.now() - t0} ms (100 ms polls, a tick every ${slowTickMs} ms)`);
        await page.selectOption('#polling [data-role=interval]', '1000');
    }

    // 5. Nothing lost or repeated over the whole run, in any panel.
    snap = await snapshot();
    for (const n of techniques) checkContiguous(n, snap[n]);
    ok(`whole run: ${techniques.map((n) => `${n} ${snap[n].ids.length} events`).join(', ')}, none missing or repeated`);

    // 6. Screenshots: desktop and phone width.
    await page.screenshot({ path: `${outDir}/desktop-end.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // Two animation frames: the page has laid itself out at the new width.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 2) fail(`at phone width the page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: `${outDir}/phone.png`, fullPage: true });
    ok(`screenshots in ${outDir}/ (desktop.png, desktop-end.png, phone.png); no sideways scrolling at 390px`);

    if (pageErrors.length) fail('the page reported errors', pageErrors.join('\n'));
    ok('no script errors on the page');
}

main().then(() => process.exit(0), (err) => {
    if (!/^FAIL/.test(err.message)) console.log(`FAIL: ${err.stack || err.message}`);
    process.exit(1);
});
