'use strict';

// The interop matrix's server driver for the ws library (peer "node").
//
// usage: node matrix-server.js
//
// Prints "version ws X.Y.Z (Node vN)", listens on 127.0.0.1 on a port the
// system picks and prints "port PORT", then serves until killed. Each
// connection's path names its case (matrix.json's server cases for "node");
// the server behaves as interop/README.md ("The matrix") says and prints one
// line when the connection is over: "ok CASE", "ok CASE: detail" or
// "FAIL CASE: why". An unknown path is closed with 1008 and a FAIL line.
// Lines starting "log " are logs. Compression is off
// (perMessageDeflate: false); subprotocols are chosen from
// subprotocols.support. Every step is bounded by matrix.json's
// timeoutSeconds.

const { WebSocketServer, WebSocket } = require('ws');
const matrixspec = require('./matrixspec.js');

const spec = matrixspec.load();
const T = spec.timeoutMs;
const MAX_PAYLOAD = 64 << 20; // bytes; the largest message is 1 MiB
const served = new Set(spec.serverCases('node'));

function within(what, p) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${spec.timeout}s: ${what}`)), T);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const same = (a, b) => Buffer.from(a).equals(Buffer.from(b));

// firstDiff returns the index of the first byte where a and b differ.
function firstDiff(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
const show = (s) => JSON.stringify(s);

// Peer is one accepted connection, with what it received queued up until
// the case takes it.
class Peer {
  constructor(ws) {
    this.ws = ws;
    this.queues = { message: [], ping: [], pong: [] };
    this.wake = () => {};
    this.closed = null; // {code, reason}
    const push = (kind) => (item) => {
      this.queues[kind].push(item);
      this.wake();
    };
    ws.on('message', (data, isBinary) => push('message')({ data, isBinary }));
    ws.on('ping', push('ping'));
    ws.on('pong', push('pong'));
    ws.on('error', (err) => console.log(`log error ${err.message}`));
    this.closeP = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closed = { code, reason: reason.toString('utf8') };
        this.wake();
        resolve(this.closed);
      });
    });
  }

  take(kind) {
    return within(`waiting for a ${kind}`, (async () => {
      while (!this.queues[kind].length) {
        if (this.closed) {
          throw new Error(`closed with ${this.closed.code} ${show(this.closed.reason)} while waiting for a ${kind}`);
        }
        await new Promise((resolve) => (this.wake = resolve));
      }
      return this.queues[kind].shift();
    })());
  }

  // clientClose waits for the client's close, which must carry code (and
  // reason, when given) exactly.
  async clientClose(code, reason) {
    const got = await within('the client\'s close', this.closeP);
    if (got.code !== code || (reason !== undefined && got.reason !== reason)) {
      const want = reason !== undefined ? `${code} ${show(reason)}` : `${code}`;
      throw new Error(`client closed with ${got.code} ${show(got.reason)}, want ${want}`);
    }
    this.noneLeft();
  }

  // closeAndWait closes with code and reason and waits for the client's
  // answering close: the code echoed, 1000 or 1005.
  async closeAndWait(code, reason) {
    this.ws.close(code, reason);
    const got = await within('the client\'s answering close', this.closeP);
    if (got.code !== code && got.code !== 1000 && got.code !== 1005) {
      throw new Error(`client answered the close ${code} with ${got.code} ${show(got.reason)}`);
    }
    this.noneLeft();
    return got.code !== code ? `client answered ${got.code}` : '';
  }

  noneLeft() {
    const m = this.queues.message;
    if (m.length) throw new Error(`unexpected ${m.length} more message(s), the first of ${m[0].data.length} bytes`);
  }

  end() {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

// serve runs the server's side of case name and returns its detail; it
// throws on failure.
async function serve(p, name) {
  const msg = spec.message(name);
  if (msg) {
    const got = await p.take('message');
    // Echo first, unchanged, then check.
    p.ws.send(got.data, { binary: got.isBinary });
    const binary = msg.kind === 'binary';
    const want = binary ? Buffer.from(msg.data) : Buffer.from(msg.data, 'utf8');
    let wrong = '';
    if (got.isBinary !== binary) wrong = `got ${got.isBinary ? 'binary' : 'text'}, want ${msg.kind}`;
    else if (!want.equals(got.data)) wrong = `message differs from byte ${firstDiff(got.data, want)}: ${got.data.length} bytes, want ${want.length}`;
    // The connection ends as usual even when the message was wrong.
    await p.clientClose(1000);
    if (wrong) throw new Error(wrong);
    return '';
  }
  switch (name) {
    case 'ping-by-client': {
      // ws answers pings itself; the ping event shows the payload.
      await p.clientClose(1000);
      const pings = p.queues.ping;
      if (!pings.length) throw new Error('no ping before the close');
      if (!same(pings[0], spec.pingPayload)) {
        throw new Error(`ping payload ${show(pings[0].toString())}, want ${show(spec.raw.pingPayload)}`);
      }
      return '';
    }
    case 'ping-by-server': {
      p.ws.ping(Buffer.from(spec.pingPayload));
      const pong = await p.take('pong');
      if (!same(pong, spec.pingPayload)) {
        throw new Error(`pong payload ${show(pong.toString())}, want ${show(spec.raw.pingPayload)}`);
      }
      return p.closeAndWait(1000);
    }
    case 'subprotocol': {
      if (p.ws.protocol !== spec.chosen) {
        p.ws.close(1000);
        throw new Error(`handshake chose ${show(p.ws.protocol)}, want ${show(spec.chosen)}`);
      }
      await p.clientClose(1000);
      return '';
    }
    case 'close-by-client':
      await p.clientClose(spec.closeCode, spec.closeReason);
      return '';
    case 'close-by-server':
      return p.closeAndWait(spec.closeCode, spec.closeReason);
    default:
      throw new Error('case not handled by this driver');
  }
}

async function handle(ws, req) {
  const path = new URL(req.url, 'http://x').pathname;
  const name = path.slice(1);
  const p = new Peer(ws);
  try {
    if (!served.has(name)) {
      ws.close(1008, 'unknown case');
      await within('the client\'s answering close', p.closeP).catch(() => {});
      console.log(`FAIL ${name || path}: unknown case (path ${show(path)}), closed with 1008`);
      return;
    }
    const detail = await serve(p, name);
    console.log(detail ? `ok ${name}: ${detail}` : `ok ${name}`);
  } catch (err) {
    console.log(`FAIL ${name}: ${err.message}`);
  } finally {
    p.end();
  }
}

function main() {
  if (process.argv.length > 2) {
    console.error('usage: node matrix-server.js');
    process.exit(2);
  }
  const wsVersion = require('ws/package.json').version;
  console.log(`version ws ${wsVersion} (Node ${process.version})`);
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD,
    // The server speaks subprotocols.support, in its order of preference.
    handleProtocols: (offered) => spec.support.find((s) => offered.has(s)) ?? false,
  });
  wss.on('listening', () => console.log(`port ${wss.address().port}`));
  wss.on('error', (err) => {
    console.log(`log server error ${err.message}`);
    process.exit(1);
  });
  wss.on('connection', (ws, req) => {
    handle(ws, req);
  });
}

main();
