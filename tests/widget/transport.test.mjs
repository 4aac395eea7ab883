// Talking to the server (widget/transport.js), against a real HTTP server on a free local port.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { fetchWording, postMessage } from '../../widget/transport.js';

/** Answers by path: each route says what the server does with a request. */
const routes = {
  '/ok': (req, res) => json(res, 200, [{ text: 'hello' }]),
  '/limited': (req, res) => json(res, 429, { error: 'too fast', message: 'Please wait a moment.' }),
  '/limited-bare': (req, res) => json(res, 429, {}),
  '/refused': (req, res) => json(res, 400, { error: 'sender must be a random id' }),
  '/broken': (req, res) => json(res, 503, { error: 'the assistant could not answer' }),
  '/not-a-list': (req, res) => json(res, 200, { text: 'hello' }),
  '/html': (req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>proxy</h1>'),
  '/silent': () => {}, // never answers
  '/echo': (req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => json(res, 200, [{ text: body, custom: { cookie: req.headers.cookie ?? null } }]));
  },
  '/wording.json': (req, res) => json(res, 200, { title: 'T' }),
};

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

let server;
let base;
before(async () => {
  server = createServer((req, res) => (routes[req.url] ?? ((_, r) => json(r, 404, {})))(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('a delivered message gives the replies, and sends sender and message as JSON', async () => {
  const delivered = await postMessage(`${base}/ok`, 'abcdefgh', 'hi');
  assert.deepEqual(delivered, { ok: true, replies: [{ text: 'hello' }] });
  const echoed = await postMessage(`${base}/echo`, 'abcdefgh', 'is prevent spying?');
  assert.deepEqual(JSON.parse(echoed.replies[0].text), { sender: 'abcdefgh', message: 'is prevent spying?' });
});

test("a 429 carries the server's words for the person, or none", async () => {
  const words = await postMessage(`${base}/limited`, 's', 'm');
  assert.deepEqual(words, { ok: false, kind: 'limited', message: 'Please wait a moment.' });
  const none = await postMessage(`${base}/limited-bare`, 's', 'm');
  assert.deepEqual(none, { ok: false, kind: 'limited', message: '' });
});

test("another 4xx carries the server's reason", async () => {
  const refused = await postMessage(`${base}/refused`, 's', 'm');
  assert.deepEqual(refused, { ok: false, kind: 'rejected', error: 'sender must be a random id' });
});

test('5xx, odd answers, a closed port and a timeout mean offline, and nothing stays in flight', async () => {
  const inFlight = new Set();
  for (const path of ['/broken', '/not-a-list', '/html']) {
    const result = await postMessage(`${base}${path}`, 's', 'm', { inFlight });
    assert.deepEqual(result, { ok: false, kind: 'offline' }, path);
  }
  const closed = createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedUrl = `http://127.0.0.1:${closed.address().port}/`;
  await new Promise((resolve) => closed.close(resolve));
  assert.deepEqual(await postMessage(closedUrl, 's', 'm', { inFlight }), { ok: false, kind: 'offline' });
  const waiting = postMessage(`${base}/silent`, 's', 'm', { inFlight, timeoutMs: 100 });
  assert.equal(inFlight.size, 1); // quick exit can abort it
  assert.deepEqual(await waiting, { ok: false, kind: 'offline' });
  assert.equal(inFlight.size, 0);
});

test('the wording is fetched as data, and is null when it cannot be had', async () => {
  assert.deepEqual(await fetchWording(`${base}/wording.json`), { title: 'T' });
  assert.equal(await fetchWording(`${base}/missing.json`), null);
  assert.equal(await fetchWording(`${base}/html`), null);
});
