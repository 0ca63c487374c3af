// bench/peers/node_peer.mjs — node's http module and the `ws` package,
// speaking rtlab's contract for the endpoints the bench uses, so bin/loadgen
// can measure a typical node deployment beside our C servers.
//
//   node bench/peers/node_peer.mjs [-p PORT] [-a ADDR]
//
//   POST /publish          body → the next event; 200 {"id":N}
//   GET  /poll?since=N     short poll: {"next":M,"events":[...]} at once
//   GET  /events?since=N   SSE on plain node http
//   GET  /ws?since=N       WebSocket (`ws`): one text frame {"id":N,"data":".."} per event
//
// Written the way node code usually is: one JSON.stringify per event, then
// ws.send / res.write per subscriber. No gap notices (the ring is big
// enough for a bench run), no static files. First line on stdout:
// "listening on http://ADDR:PORT/", like our servers.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const RING_SIZE = 8192;
const MAX_BODY = 64 * 1024;

let port = 0;
let addr = '127.0.0.1';
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '-p') port = Number(process.argv[++i]);
  else if (process.argv[i] === '-a') addr = process.argv[++i];
}

// ---- the feed: the last RING_SIZE events, each encoded once per framing ----
const ring = new Array(RING_SIZE);
let newest = 0;

function publish(data) {
  const id = newest + 1;
  const json = JSON.stringify({ id, data });
  const sse = `id: ${id}\n` + data.split(/\r\n|\r|\n/).map((l) => `data: ${l}\n`).join('') + '\n';
  ring[id % RING_SIZE] = { id, data, json, sse };
  newest = id;
  for (const sub of sseSubscribers) sub.write(sse);
  for (const ws of wss.clients) if (ws.readyState === 1) ws.send(json);
  return id;
}

// Events newer than `since` still in the ring, oldest first.
function eventsAfter(since) {
  const out = [];
  for (let id = Math.max(since + 1, newest - RING_SIZE + 1, 1); id <= newest; id++) out.push(ring[id % RING_SIZE]);
  return out;
}

function sinceOf(url) {
  const v = url.searchParams.get('since');
  return v === null ? newest : Number(v) || 0;
}

// ---- HTTP ----
const sseSubscribers = new Set();

function answer(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
    'Access-Control-Allow-Origin': '*' });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'POST' && url.pathname === '/publish') {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => answer(res, 200, `{"id":${publish(Buffer.concat(chunks).toString('utf8'))}}`));
  } else if (req.method === 'GET' && url.pathname === '/poll') {
    const events = eventsAfter(sinceOf(url)).map((e) => e.json);
    answer(res, 200, `{"next":${newest},"events":[${events.join(',')}]}`);
  } else if (req.method === 'GET' && url.pathname === '/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no', 'Access-Control-Allow-Origin': '*' });
    res.write('retry: 1000\n\n');
    for (const e of eventsAfter(sinceOf(url))) res.write(e.sse);
    sseSubscribers.add(res);
    req.on('close', () => sseSubscribers.delete(res));
  } else {
    answer(res, 404, '{"error":"not found"}');
  }
});
server.keepAliveTimeout = 60000;
server.headersTimeout = 65000;
server.requestTimeout = 0;      // SSE responses never end
server.maxRequestsPerSocket = 0;

// ---- WebSocket: ws on the same port, GET /ws ----
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname !== '/ws') {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    for (const e of eventsAfter(sinceOf(url))) ws.send(e.json);
  });
});

server.listen(port, addr, () => {
  process.stdout.write(`listening on http://${addr}:${server.address().port}/\n`);
});

function stop() {
  for (const ws of wss.clients) ws.close(1001);
  for (const res of sseSubscribers) res.end();
  server.close();
  setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
