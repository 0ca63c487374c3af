// web/cluster.js — the page behind nginx (`make cluster`): which instance
// each panel is on, and buttons to stop and start an instance.
//
// In the cluster every technique runs twice (sse-a, sse-b, ...) behind one
// nginx origin. nginx picks the instance for each request; it names the one
// that answered in a header of its own, X-Rtlab-Upstream: 127.0.0.1:PORT.
// The page cannot read the headers of an EventSource or a WebSocket, so:
//   - this page sets a cookie, rtlab_pin, that nginx hashes to choose the
//     instance (cluster/nginx.conf.in: hash $route_key consistent), so all
//     requests of this browser for one technique go to the same instance
//     while it is up;
//   - when a stream (SSE, WebSocket) opens, the page asks GET /TECH/stats
//     with the same cookie: it goes where the stream went, and its
//     X-Rtlab-Upstream header names the instance;
//   - a poll's own answer carries the header, so the polling panels show it
//     for every request.
// The header names an address; /control/instances says which instance has
// it. The page asks both at once when it opens, and a stream's probe often
// answers first: the panel keeps the address (panelAt) and is named, and its
// "stop it" button armed, once the instances are known (place()), never
// with the bare address (the launcher knows no instance by that name).
// The control buttons POST to /control/stop and /control/start (the
// launcher, cluster/cluster.py, behind nginx on loopback only). Stop kills
// the instance (SIGKILL, like a crash); its panels' connections break, they
// reconnect through nginx to the other instance, and with the shared feed in
// Redis they go on from the same id: the "no id missing" line stays green.

const CONTROL = '/control';

export class ClusterView {
    constructor(app) {
        this.app = app;
        this.instances = [];          // from /control/instances
        this.byPort = new Map();      // "127.0.0.1:PORT" → instance
        this.panelOn = {};            // technique → instance name the panel is on now
        this.panelAt = {};            // technique → {at: "127.0.0.1:PORT", panel}: what nginx said
        this.feed = '';
        this.pin();
    }

    // One pin per browser, kept in a cookie: nginx routes by it.
    pin() {
        if (!/(^|;\s*)rtlab_pin=/.test(document.cookie)) {
            const pin = Math.random().toString(36).slice(2, 10);
            document.cookie = `rtlab_pin=${pin}; path=/; SameSite=Strict`;
        }
    }

    async start() {
        this.bar = document.getElementById('cluster');
        this.bar.hidden = false;
        await this.refresh();
        setInterval(() => this.refresh(), 1000);
    }

    async refresh() {
        try {
            const res = await fetch(`${CONTROL}/instances`, { cache: 'no-store' });
            const st = await res.json();
            this.instances = st.instances;
            this.feed = st.feed;
            this.byPort = new Map(st.instances.map((i) => [`127.0.0.1:${i.port}`, i]));
            for (const technique of Object.keys(this.panelAt)) this.place(technique);
        } catch (_) {
            this.bar.querySelector('[data-role=feed]').textContent = 'the launcher does not answer';
            return;
        }
        this.render();
    }

    render() {
        const feed = this.bar.querySelector('[data-role=feed]');
        feed.textContent = this.feed === 'redis'
            ? 'one feed in Redis: every instance has every event, with the same ids'
            : 'each instance has its own feed (servers without -R): moving to the other instance changes the ids';
        feed.classList.toggle('bad', this.feed !== 'redis');
        const list = this.bar.querySelector('[data-role=instances]');
        for (const inst of this.instances) {
            let li = list.querySelector(`[data-name="${inst.name}"]`);
            if (!li) {
                li = document.createElement('li');
                li.dataset.name = inst.name;
                li.innerHTML = '<span class="name"></span> <span class="port"></span> <button type="button"></button>';
                li.querySelector('.name').textContent = inst.name;
                li.querySelector('button').addEventListener('click', () => this.toggle(li.dataset.name));
                list.append(li);
            }
            li.dataset.state = inst.state;
            li.querySelector('.port').textContent = `:${inst.port} ${inst.state}`;
            li.querySelector('button').textContent = inst.state === 'running' ? 'stop' : 'start';
            li.classList.toggle('mine', Object.values(this.panelOn).includes(inst.name));
        }
        for (const [technique, name] of Object.entries(this.panelOn)) this.showOn(technique, name);
    }

    async toggle(name) {
        const inst = this.instances.find((i) => i.name === name);
        const verb = inst && inst.state === 'running' ? 'stop' : 'start';
        await this.control(verb, name);
    }

    // POST /control/stop|start?name=...; returns the instance's new state.
    async control(verb, name) {
        const res = await fetch(`${CONTROL}/${verb}?name=${encodeURIComponent(name)}`, {
            method: 'POST', headers: { 'X-Rtlab-Control': '1' }, cache: 'no-store',
        });
        const body = await res.json();
        const status = document.getElementById('status');
        status.textContent = res.ok ? `${name}: ${body.state}` : `${name}: ${body.error}`;
        await this.refresh();
        return body;
    }

    // A panel of technique `name` was built: show its instance and a stop button.
    attach(technique, panel, node) {
        const line = document.createElement('p');
        line.className = 'instance';
        line.innerHTML = 'instance <b data-role="instanceName">?</b> <button type="button" data-role="stopInstance">stop it</button>';
        node.querySelector('.tagline').after(line);
        line.querySelector('button').addEventListener('click', async () => {
            if (!this.panelOn[technique]) await this.refresh();   // just opened: learn the names first
            const on = this.panelOn[technique];
            if (on) this.control('stop', on);
        });
        panel.onServedBy = (upstream) => this.servedBy(technique, panel, upstream);
        if (technique === 'sse' || technique === 'websocket') {
            panel.onState = (s) => { if (s === 'open') this.probe(technique, panel); };
        }
    }

    // A stream just opened: ask /TECH/stats, which nginx sends where the
    // stream went (same pin, same instance set), and read its header.
    async probe(technique, panel) {
        try {
            const res = await fetch(`/${technique}/stats`, { cache: 'no-store' });
            await res.text();
            this.servedBy(technique, panel, res.headers.get('X-Rtlab-Upstream'));
        } catch (_) { /* the instance went away again: the next open asks again */ }
    }

    servedBy(technique, panel, upstream) {
        if (!upstream) return;
        const at = upstream.split(',').pop().trim();   // "A, B": A failed, B answered
        this.panelAt[technique] = { at, panel };
        this.place(technique);
    }

    // Name the instance at the address nginx gave for this panel. Until
    // /control/instances has named that address (the page just opened, or
    // the launcher is slow), the panel shows the address and stays unplaced:
    // refresh() calls this again.
    place(technique) {
        const { at, panel } = this.panelAt[technique];
        const inst = this.byPort.get(at);
        if (!inst) {
            if (!this.panelOn[technique]) this.label(technique, `${at} (naming it…)`);
            return;
        }
        const name = inst.name;
        const before = this.panelOn[technique];
        if (before !== name) {
            this.panelOn[technique] = name;
            if (before) panel.note(`now on ${name} (was ${before}): nginx moved this panel to the other instance`);
            else panel.note(`on ${name} (${at}), chosen by nginx`);
            this.showOn(technique, name);
        }
    }

    label(technique, text) {
        const el = document.getElementById(technique)?.querySelector('[data-role=instanceName]');
        if (el) el.textContent = text;
    }

    showOn(technique, name) {
        const node = document.getElementById(technique);
        if (!node) return;
        const el = node.querySelector('[data-role=instanceName]');
        const inst = this.instances.find((i) => i.name === name);
        el.textContent = inst ? `${name} :${inst.port}` : name;
        node.dataset.instance = name;
    }

    snapshot() {
        return { feed: this.feed, panelOn: { ...this.panelOn }, instances: this.instances.map((i) => ({ ...i })) };
    }
}
