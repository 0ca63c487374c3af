// tests/e2e/cluster_six.mjs — the six-connection limit, in headless Chromium
// (run by cluster_six.sh, which starts the cluster and passes its URL).
//
// The page (web/six.js) opens eight EventSource streams at once, and closes
// the first two after 3 s:
//   1. straight to one SSE instance over HTTP/1.1: exactly six open at once,
//      the 7th and 8th wait until the two close (so they open after ≥ 3 s);
//      the browser's resource timing says http/1.1;
//   2. through nginx over HTTP/2: all eight open at once (each well before
//      the 3 s), and the resource timing says h2.
// Also: the page loaded in cluster mode over HTTPS with HTTP/2, every panel
// names the instance it is on. Chromium is told to accept the self-signed
// certificate (--ignore-certificate-errors).
import fs from 'node:fs';
import { CHROMIUM_ARGS, fail, launchChromium, waitFor } from './browser.mjs';

const url = process.env.CLUSTER_URL;
const outDir = process.env.CLUSTER_OUT || 'tests/out/cluster';
const ok = (m) => console.log(`ok: ${m}`);

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
        const res = await page.goto(url, { waitUntil: 'load', timeout: 15000 });
        const proto = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
        if (!page.url().includes('?cluster')) fail(`the bare origin did not open the cluster page: ${page.url()}`);
        if (proto !== 'h2') fail(`the page came over ${proto}, not HTTP/2`);
        ok(`page loaded over HTTPS with HTTP/2 (${res.status()}, ${page.url()})`);

        const snap = () => page.evaluate(() => window.rtlab.snapshot());
        await waitFor('every panel names its instance and gets events', 15000, async () => {
            const s = await snap();
            return Object.values(s).every((p) => p.instance && p.ids.length > 0);
        }, snap);
        const s = await snap();
        ok(`panels on ${Object.entries(s).map(([n, p]) => `${n}→${p.instance}`).join(', ')}`);

        const h1 = await page.evaluate(() => window.rtlab.runSix('h1'));
        console.log(`HTTP/1.1: opened after ms ${JSON.stringify(h1.openedAfterMs)}, #${h1.closed.join(',#')} closed at ${h1.closedAtMs} ms`);
        if (h1.atOnce !== 6 || h1.heldBack !== 2) fail(`over HTTP/1.1 ${h1.atOnce} streams opened at once and ${h1.heldBack} were held back (want 6 and 2)`, h1);
        const late = h1.openedAfterMs.filter((ms) => ms >= h1.holdMs);
        if (late.length !== 2 || late.some((ms) => ms === null || ms < h1.closedAtMs - 50 || ms > h1.closedAtMs + 2000))
            fail('the two held-back streams did not open when #1 and #2 closed', h1);
        ok(`HTTP/1.1 straight to SSE: 6 open at once, the 7th and 8th held back until two closed (opened after ${late.join(' and ')} ms)`);

        const h2 = await page.evaluate(() => window.rtlab.runSix('h2'));
        console.log(`HTTP/2: opened after ms ${JSON.stringify(h2.openedAfterMs)}`);
        if (h2.atOnce !== 8) fail(`over HTTP/2 only ${h2.atOnce} of 8 streams opened at once`, h2);
        ok(`HTTP/2 through nginx: all 8 open at once (slowest after ${Math.max(...h2.openedAfterMs)} ms)`);

        const protos = await page.evaluate(() => performance.getEntriesByType('resource')
            .filter((e) => /six=/.test(e.name)).map((e) => [e.name.replace(/^https?:\/\/[^/]+/, ''), e.nextHopProtocol, e.name.startsWith('https') ? 'h2run' : 'h1run']));
        const bad = protos.filter(([, p, run]) => (run === 'h2run') !== (p === 'h2'));
        if (protos.length < 8 || bad.length) fail('the browser did not use HTTP/1.1 for the direct streams and h2 through nginx', protos);
        // The direct streams are cross-origin without Timing-Allow-Origin: the
        // browser hides their protocol (''); it is not h2, which is what counts.
        ok(`resource timing: ${protos.filter(([, p]) => p === 'h2').length} streams over h2 (through nginx), ${protos.filter(([, p]) => p !== 'h2').length} not (straight to SSE)`);

        await page.screenshot({ path: `${outDir}/six.png`, fullPage: true });
        if (errors.length) fail('errors in the page', errors);
        console.log('ok: six-connection limit shown (HTTP/1.1) and gone (HTTP/2)');
    } finally {
        await browser.close();
    }
}

main().catch((err) => {
    if (!/^FAIL/.test(err.message)) console.log(`FAIL: ${err.stack || err.message}`);
    process.exit(1);
});
