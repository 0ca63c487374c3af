// web/app.js — the page: four panels side by side, one per technique, each fed
// by its own server, and one message box that publishes to all four.
//
// Start-up, for each technique: ask its server's /stats for the newest event
// id, start the technique's client from there (so the panel shows only what
// happens from now on, and can tell at once if an id is ever skipped), then
// refresh the panel's one-line explanation ten times a second.

import { TECHNIQUES, inCluster, serverBases } from './common.js';
import { ClusterView } from './cluster.js';
import { SixStreams } from './six.js';
import { Panel } from './panel.js';
import { PollingClient } from './polling.js';
import { LongPollClient } from './longpoll.js';
import { SseClient } from './sse.js';
import { WebSocketClient } from './websocket.js';

const ABOUT = {
    polling: {
        title: 'Short polling', Client: PollingClient, kind: 'poll',
        tagline: 'The page asks again and again; the server answers at once, news or not.',
    },
    longpoll: {
        title: 'Long polling', Client: LongPollClient, kind: 'poll',
        tagline: 'The page asks; the server holds the question until there is news.',
    },
    sse: {
        title: 'Server-Sent Events', Client: SseClient, kind: 'push',
        tagline: 'One request, one answer that never ends: server → browser only.',
    },
    websocket: {
        title: 'WebSocket', Client: WebSocketClient, kind: 'push',
        tagline: 'One upgraded connection: both sides send whenever they like.',
    },
};


// Build one panel from the template. Returns its <section>.
function buildPanel(name, base) {
    const about = ABOUT[name];
    const node = document.getElementById('panel-template').content.firstElementChild.cloneNode(true);
    node.id = name;
    node.classList.add(name);
    node.querySelector('[data-role=title]').textContent = about.title;
    node.querySelector('[data-role=tagline]').textContent = about.tagline;
    for (const el of node.querySelectorAll('[data-only]')) {
        const only = el.dataset.only;
        if (only !== about.kind && !(only === 'interval' && name === 'polling')) el.remove();
    }
    node.querySelector('[data-role=drop]').title = `${base}: drop the connection, then catch up`;
    document.getElementById('panels').append(node);
    return node;
}

// The newest event id on a server, or null when it cannot be reached.
async function newestId(base) {
    try {
        const res = await fetch(`${base}/stats`, { cache: 'no-store' });
        const stats = await res.json();
        return Number(stats.newest_id ?? stats.events) || 0;
    } catch (_) {
        return null;
    }
}

// Start one technique once its server answers; until then say it is missing.
async function startTechnique(name, base, node, app) {
    const panel = new Panel(node, name);
    app.panels[name] = panel;
    app.cluster?.attach(name, panel, node);
    let cursor = await newestId(base);
    while (cursor === null) {
        panel.state('unreachable');
        panel.explain(`no server at ${base} — is bin/${name} running? (trying again)`);
        await new Promise((r) => setTimeout(r, 3000));
        cursor = await newestId(base);
    }
    panel.lastId = cursor;
    panel.startId = cursor;
    panel.note(`started after #${cursor}, the newest event on the server`);
    const client = new ABOUT[name].Client(panel, base, cursor);
    app.clients[name] = client;
    node.querySelector('[data-role=drop]').addEventListener('click', () => client.drop());
    node.querySelector('[data-role=interval]')?.addEventListener('change', (e) => client.setInterval(Number(e.target.value)));
    client.start();
    setInterval(() => {
        panel.explain(client.describe());
    }, 100);
}

// The message box: every technique publishes the text its own way
// (WebSocket up its socket, the other three with POST /publish).
function wirePublish(app) {
    const form = document.getElementById('publish');
    const input = document.getElementById('message');
    const status = document.getElementById('status');
    form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const text = input.value;
        if (!text.trim()) return;
        input.value = '';
        const names = Object.keys(app.clients);
        for (const name of names) app.panels[name].expect(text);
        const results = await Promise.allSettled(names.map((n) => app.clients[n].send(text)));
        const failed = names.filter((_, i) => results[i].status === 'rejected');
        status.textContent = failed.length
            ? `could not publish to: ${failed.join(', ')}`
            : `sent “${text}” to ${names.length} server${names.length === 1 ? '' : 's'}`;
    });
}

// The six-connection demo: straight to an SSE server over HTTP/1.1, and in
// the cluster also through nginx over HTTP/2.
async function startSix(app, bases) {
    const targets = [];
    let direct = `${bases.sse}/events`;
    if (app.cluster) {
        await app.cluster.ready;
        // Straight to an SSE instance that runs at the moment of the click.
        const running = () => app.cluster.instances.find((i) => i.technique === 'sse' && i.state === 'running');
        targets.push({ id: 'h1', label: 'HTTP/1.1, straight to an SSE instance',
            url: () => { const inst = running(); return inst ? `http://127.0.0.1:${inst.port}/events` : direct; } });
        targets.push({ id: 'h2', label: 'HTTP/2, through nginx', url: `${bases.sse}/events` });
    } else {
        targets.push({ id: 'h1', label: 'HTTP/1.1, straight to the SSE server', url: direct });
    }
    app.six = new SixStreams(document.getElementById('six'), targets);
}

function main() {
    const app = { panels: {}, clients: {} };
    if (inCluster()) {
        app.cluster = new ClusterView(app);
        app.cluster.ready = app.cluster.start();
    }
    // For the tests and for the curious: window.rtlab.snapshot() in the console.
    window.rtlab = {
        app,
        snapshot: () => Object.fromEntries(Object.entries(app.panels).map(([n, p]) => [n, {
            state: p.root.dataset.state, explain: p.el.explain.textContent,
            startId: p.startId, ids: p.ids.slice(), lastId: p.lastId, recent: p.recent.slice(), rows: p.rows.slice(),
            counts: { ...p.counts }, delays: p.delays.slice(), instance: p.root.dataset.instance,
        }])),
        cluster: () => app.cluster?.snapshot(),
        six: () => app.six?.results,
        runSix: (id) => app.six.run(app.six.targets.find((t) => t.id === id)),
    };
    let bases;
    try {
        bases = serverBases();
    } catch (err) {
        document.getElementById('status').textContent = err.message;
        return;
    }
    document.getElementById('servers').textContent =
        TECHNIQUES.map((n) => `${n} ${bases[n]}`).join(' · ');
    for (const name of TECHNIQUES) startTechnique(name, bases[name], buildPanel(name, bases[name]), app);
    wirePublish(app);
    startSix(app, bases);
}

main();
