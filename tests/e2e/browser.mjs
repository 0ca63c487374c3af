// tests/e2e/browser.mjs — imported by the Chromium tests; not a test itself.
//
// launchChromium(): Debian's /usr/bin/chromium, driven by playwright-core
// (which never downloads a browser of its own), headless, with a fresh
// profile, and with the flags that keep it off the network: without
// --disable-background-networking and friends it tries to reach Google's
// hosts at every start. Returns { context, page, close }.
//
// fail(message, detail): print FAIL: and what was seen, then throw.
// waitFor(what, ms, pred, seen): poll pred() every 50 ms for at most ms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync'];

export async function launchChromium(options = {}) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rtlab-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium',
        headless: true,
        timeout: 30000,
        args: CHROMIUM_ARGS,
        ...options,
    });
    const page = context.pages()[0] || await context.newPage();
    const close = async () => {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
    };
    return { context, page, close };
}

export function fail(message, detail) {
    console.log(`FAIL: ${message}`);
    if (detail !== undefined) console.log(JSON.stringify(detail, null, 1).slice(0, 4000));
    throw new Error(message);
}

export async function waitFor(what, ms, pred, seen) {
    const until = Date.now() + ms;
    while (Date.now() < until) {
        if (await pred()) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    fail(`${what} (waited ${ms / 1000} s)`, seen ? await seen() : undefined);
}
