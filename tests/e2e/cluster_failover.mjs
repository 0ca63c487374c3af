// tests/e2e/cluster_failover.mjs — stop an instance under the demo page, in
// headless Chromium (run by cluster_failover.sh, which starts the cluster).
//
// 1. The page, served by nginx over HTTPS/HTTP2 in cluster mode, shows for
//    every panel the instance it is on, and every panel receives ticks.
//    The launcher's first /control/instances answer is held back until the
//    streams are open and a poll has been answered: the page learns the
//    addresses (X-Rtlab-Upstream) before the names, as it does on a busy
//    machine, and must still name every panel's instance (once the names
//    come) and stop the right one.
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
// Each answer's {"id":N} says which id the message got: the end of the test
// waits until every panel has the last one (a state, not a time: short
// polling asks only once a second, more under load).
const published = Object.fromEntries(TECHS.map((n) => [n, []]));   // {text, at, id}
let publishing = null;
let unanswered = 0;                                                   // publishes on the wire
function publishOne(tech, k) {
    const text = `failover ${tech} ${k}`;
    let done = false;
    const end = () => { if (!done) { done = true; unanswered--; } };
    unanswered++;
    const req = http.request({ host: '127.0.0.1', port: plainPort, path: `/${tech}/publish`, method: 'POST', agent: false,
        headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { body += d; });
        res.on('end', () => {
            if (res.statusCode === 200) published[tech].push({ text, at: Date.now(), id: JSON.parse(body).id });
            end();
        });
        res.on('error', end);
    });
    req.on('error', end);
    req.setTimeout(5000, () => req.destroy());
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
        // Hold the first /control/instances answer until the page has had
        // an answer naming an address for each panel (the streams' /stats
        // probes, a poll): a bounded wait on what the page received.
        // (A stream's probe is its panel's second /TECH/stats: the first is
        // the page's start-up question for the newest id.)
        const answers = { sse: 0, websocket: 0, polling: 0 };
        const need = { sse: 2, websocket: 2, polling: 1 };
        page.on('response', (res) => {
            const m = new URL(res.url()).pathname.match(/^\/(sse|websocket)\/stats$|^\/(polling)\/poll$/);
            if (m && res.headers()['x-rtlab-upstream']) answers[m[1] || m[2]]++;
        });
        const named = () => Object.keys(need).filter((n) => answers[n] >= need[n]);
        let held = 'not asked';
        await page.route('**/control/instances', async (route) => {
            if (held !== 'not asked') { await route.continue(); return; }   // only the first
            held = 'holding';
            const until = Date.now() + 10000;
            while (Date.now() < until && named().length < 3) await new Promise((r) => setTimeout(r, 50));
            held = named().length < 3 ? `released after 10 s, with answers from ${named()} only`
                : 'released once the streams\' probes and a poll had named their addresses';
            await route.continue();
        });
        await page.goto(url, { waitUntil: 'load', timeout: 15000 });
        let k = 0;
        publishing = setInterval(() => { k++; for (const n of TECHS) publishOne(n, k); }, 100);
        const snap = () => page.evaluate(() => window.rtlab.snapshot());
        const names = async () => (await page.evaluate(() => window.rtlab.cluster().instances)).map((i) => i.name);
        await waitFor('every panel names its instance (a name the launcher knows) and gets 3 events', 20000, async () => {
            const s = await snap();
            const known = await names();
            return TECHS.every((n) => s[n] && known.includes(s[n].instance) && s[n].ids.length >= 3);
        }, async () => ({ held, known: await names(), panels: Object.fromEntries(Object.entries(await snap()).map(([n, p]) => [n, p.instance])) }));
        if (!/^released once/.test(held)) fail(`the first /control/instances answer was ${held}`);
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
        // Stop publishing; once every publish is answered, wait until every
        // panel has the newest id published to it: then all of them are due.
        clearInterval(publishing);
        await waitFor('every publish answered', 10000, async () => unanswered === 0, async () => ({ unanswered }));
        const newest = Object.fromEntries(TECHS.map((n) => [n, Math.max(0, ...published[n].map((m) => m.id))]));
        await waitFor('every panel has the last message published to it', 10000, async () => {
            const s = await snap();
            return TECHS.every((n) => s[n].lastId >= newest[n]);
        }, async () => ({ newest, lastId: Object.fromEntries(Object.entries(await snap()).map(([n, p]) => [n, p.lastId])) }));
        const after = await snap();
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
            const due = published[n].filter((m) => m.at > readyAt);
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
