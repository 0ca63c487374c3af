// tests/e2e/cluster_failover.mjs — stop an instance under the demo page, in
// headless Chromium (run by cluster_failover.sh, which starts the cluster).
//
// 1. The page, served by nginx over HTTPS/HTTP2 in cluster mode, shows for
//    every panel the instance it is on, and every panel receives ticks.
// 2. Each panel's "stop it" button is pressed: the four instances the panels
//    are on are killed (SIGKILL, like a crash) while their streams and polls
//    are open.
// Meanwhile the test publishes a message per technique every 100 ms through
// nginx (spread over both instances).
// 3. Every panel must move to the other instance of its technique (the page
//    says so) and go on receiving events, with no id missing and none
//    repeated: ids run on by exactly one across the kill. SSE through the
//    browser's own reconnect (Last-Event-ID), WebSocket through the page's
//    (?since=), long polling through nginx retrying the parked request,
//    short polling with its next poll. Every message published while the
//    panel was up must have arrived exactly once.
import fs from 'node:fs';
import http from 'node:http';
import { CHROMIUM_ARGS, fail, launchChromium, waitFor } from './browser.mjs';

const url = process.env.CLUSTER_URL;
const outDir = process.env.CLUSTER_OUT || 'tests/out/cluster';
const ok = (m) => console.log(`ok: ${m}`);
const TECHS = ['polling', 'longpoll', 'sse', 'websocket'];
const AFTER = 5;   // events each panel must get on its new instance
const plainPort = process.env.CLUSTER_HTTP_PORT;

// The test's own publisher: every 100 ms one message per technique, POSTed
// through nginx's plain-HTTP port on a new connection each time, so nginx
// spreads them over both instances. With the shared feed every panel gets
// every message; with a feed per instance, only the messages that happened
// to reach its instance (so this test fails without -R).
const published = Object.fromEntries(TECHS.map((n) => [n, []]));   // {text, at}
let publishing = null;
function publishOne(tech, k) {
    const text = `failover ${tech} ${k}`;
    const req = http.request({ host: '127.0.0.1', port: plainPort, path: `/${tech}/publish`, method: 'POST', agent: false,
        headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) } }, (res) => {
        res.resume();
        if (res.statusCode === 200) published[tech].push({ text, at: Date.now() });
    });
    req.on('error', () => {});
    req.end(text);
}

async function main() {
    fs.mkdirSync(outDir, { recursive: true });
    const browser = await launchChromium({
        args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'],
        ignoreHTTPSErrors: true,
        viewport: { width: 1400, height: 1000 },
    });
    const page = browser.page;
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
        await page.goto(url, { waitUntil: 'load', timeout: 15000 });
        let k = 0;
        publishing = setInterval(() => { k++; for (const n of TECHS) publishOne(n, k); }, 100);
        const snap = () => page.evaluate(() => window.rtlab.snapshot());
        await waitFor('every panel names its instance and gets 3 events', 20000, async () => {
            const s = await snap();
            return TECHS.every((n) => s[n] && s[n].instance && s[n].ids.length >= 3);
        }, snap);
        const feed = await page.evaluate(() => window.rtlab.cluster().feed);
        if (feed !== 'redis' && process.env.RTLAB_ANY_FEED !== '1') fail(`the cluster runs without the shared feed (${feed})`);
        const before = await snap();
        const readyAt = Date.now();
        ok(`panels on ${TECHS.map((n) => `${n}→${before[n].instance}`).join(', ')}`);

        // Press each panel's "stop it" button.
        for (const n of TECHS) await page.click(`#${n} [data-role=stopInstance]`);
        const killedAt = Date.now();
        const stoppedNow = () => page.evaluate(() => window.rtlab.cluster().instances.filter((i) => i.state === 'stopped').map((i) => i.name));
        await waitFor('the four instances stop after their buttons were pressed', 5000, async () => {
            const st = await stoppedNow();
            return TECHS.every((n) => st.includes(before[n].instance));
        }, stoppedNow);
        const stopped = await stoppedNow();
        ok(`stopped ${stopped.join(', ')} from the page`);

        await waitFor(`every panel moves to the other instance and gets ${AFTER} more events`, 25000, async () => {
            const s = await snap();
            return TECHS.every((n) => s[n].instance && s[n].instance !== before[n].instance
                && s[n].ids.length >= before[n].ids.length + AFTER);
        }, async () => {
            const s = await snap();
            return Object.fromEntries(TECHS.map((n) => [n, { instance: s[n].instance, state: s[n].state, lastId: s[n].lastId, counts: s[n].counts, rows: s[n].rows.slice(-6) }]));
        });
        await new Promise((r) => setTimeout(r, 1500));   // the last messages on their way
        const after = await snap();
        const endAt = Date.now() - 1000;
        clearInterval(publishing);
        for (const n of TECHS) {
            const p = after[n];
            const ids = p.ids;
            const bad = ids.findIndex((id, i) => id !== (i === 0 ? p.startId + 1 : ids[i - 1] + 1));
            if (p.counts.missing || p.counts.repeats || bad >= 0)
                fail(`${n}: ids did not run on by one across the failover (missing ${p.counts.missing}, repeats ${p.counts.repeats})`,
                    { ids: ids.slice(Math.max(0, bad - 5), bad + 5), rows: p.rows.slice(-20) });
            // Every message published while the panel was up, exactly once.
            const got = new Map();
            for (const [, data] of p.recent) got.set(data, (got.get(data) || 0) + 1);
            const due = published[n].filter((m) => m.at > readyAt && m.at < endAt);
            const absent = due.filter((m) => !got.has(m.text)).map((m) => m.text);
            const twice = [...got].filter(([, c]) => c > 1).map(([d]) => d);
            if (due.length < 20 || absent.length || twice.length)
                fail(`${n}: of ${due.length} messages published during the test, ${absent.length} never arrived, ${twice.length} twice`,
                    { absent: absent.slice(0, 10), twice: twice.slice(0, 10) });
            const moved = p.rows.find((r) => r.includes(`now on ${p.instance}`));
            if (!moved) fail(`${n}: the panel did not say it moved to ${p.instance}`, p.rows.slice(-20));
            ok(`${n}: ${before[n].instance} → ${p.instance}, ids #${ids[0]}…#${ids[ids.length - 1]} with none missing or repeated (${ids.length - before[n].ids.length} after the kill); all ${due.length} messages published meanwhile arrived once`);
        }
        console.log(`failover took ${((Date.now() - killedAt) / 1000).toFixed(1)} s until every panel had ${AFTER} events on its new instance`);
        await page.screenshot({ path: `${outDir}/failover.png`, fullPage: true });
        if (errors.length) fail('errors in the page', errors);
        console.log('ok: every panel failed over through nginx with no id missing or repeated');
    } finally {
        clearInterval(publishing);
        await browser.close();
    }
}

main().catch((err) => {
    if (!/^FAIL/.test(err.message)) console.log(`FAIL: ${err.stack || err.message}`);
    process.exit(1);
});
