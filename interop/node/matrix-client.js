'use strict';

// The interop matrix's client driver for the ws library (peer "node").
//
// usage: node matrix-client.js ws://127.0.0.1:PORT [CASE...]
//
// Runs each case (all of matrix.json's client cases for "node" when none are
// named) as its own connection to BASE/CASE, as interop/README.md ("The
// matrix") describes. Prints "version ws X.Y.Z (Node vN)" first, then one
// line per case when its connection is over: "ok CASE", "ok CASE: detail" or
// "FAIL CASE: why". Lines starting "log " are logs. Exits 0 when every case
// was ok, 1 otherwise. Compression is off (perMessageDeflate: false): the
// matrix is about the uncompressed protocol. Every step is bounded by
// matrix.json's timeoutSeconds.

const WebSocket = require('ws');
const matrixspec = require('./matrixspec.js');

const spec = matrixspec.load();
const T = spec.timeoutMs;
const MAX_PAYLOAD = 64 << 20; // bytes; the largest message is 1 MiB

// within rejects if p has not settled after T.
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

// Peer is one connection, with what it received queued up until the case
// takes it: messages, pings and pongs, and the close (code and reason as
// text), or a refused handshake's status.
class Peer {
  constructor(url, opts, protocols) {
    this.queues = { message: [], ping: [], pong: [] };
    this.wake = () => {};
    this.opened = false;
    this.closed = null; // {code, reason}
    this.status = 0; // HTTP status of a refused handshake
    this.error = null; // the first 'error'
    const ws = new WebSocket(url, protocols, {
      perMessageDeflate: false,
      maxPayload: MAX_PAYLOAD,
      handshakeTimeout: T,
      ...opts,
    });
    this.ws = ws;
    const push = (kind) => (item) => {
      this.queues[kind].push(item);
      this.wake();
    };
    ws.on('message', (data, isBinary) => push('message')({ data, isBinary }));
    ws.on('ping', push('ping'));
    ws.on('pong', push('pong'));
    ws.on('unexpected-response', (req, res) => {
      this.status = res.statusCode;
      res.resume();
      ws.terminate(); // ends the handshake: 'error', then 'close'
    });
    ws.on('error', (err) => {
      if (!this.error) this.error = err;
      this.wake();
    });
    this.openP = new Promise((resolve, reject) => {
      ws.once('open', () => {
        this.opened = true;
        resolve();
      });
      ws.once('close', () => reject(this.refusal()));
    });
    this.openP.catch(() => {});
    this.closeP = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closed = { code, reason: reason.toString('utf8') };
        this.wake();
        resolve(this.closed);
      });
    });
  }

  refusal() {
    if (this.status) return new Error(`handshake refused with status ${this.status}`);
    if (this.error) return new Error(`no connection: ${this.error.message}`);
    return new Error('closed before open');
  }

  open() {
    return within('open', this.openP);
  }

  // take returns the next item of kind (message, ping, pong), failing once
  // the connection has closed without one.
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

  send(data, binary) {
    return within('send', new Promise((resolve, reject) => {
      this.ws.send(data, { binary }, (err) => (err ? reject(err) : resolve()));
    }));
  }

  // closeAndWait sends a close with code and reason and waits for the
  // server's answering close, which must echo the code or be 1000 or 1005
  // (RFC 6455 only says an answer "typically" echoes the code).
  async closeAndWait(code, reason) {
    this.ws.close(code, reason);
    const got = await this.waitClose('the server\'s answering close');
    if (got.code !== code && got.code !== 1000 && got.code !== 1005) {
      throw new Error(`server answered the close ${code} with ${got.code} ${show(got.reason)}`);
    }
    if (got.code !== code) return `server answered ${got.code}`;
    return '';
  }

  waitClose(what) {
    return within(what || 'close', this.closeP);
  }

  // noneLeft fails on a message the case did not expect.
  noneLeft() {
    const m = this.queues.message;
    if (m.length) throw new Error(`unexpected ${m.length} more message(s), the first of ${m[0].data.length} bytes`);
  }

  end() {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

// runCase runs one case on a connection to base/name and returns its detail
// (empty for none); it throws on failure.
async function runCase(base, name) {
  const url = `${base.replace(/\/+$/, '')}/${name}`;
  const msg = spec.message(name);
  if (!spec.cases.includes(name)) throw new Error('unknown case');

  const originCase = name === 'origin-refused' || name === 'origin-allowed';
  const opts = originCase ? { origin: spec.origin } : {};
  const protocols = name === 'subprotocol' ? spec.offer : undefined;
  const p = new Peer(url, opts, protocols);
  try {
    if (name === 'origin-refused') {
      await within('the refusal', Promise.race([p.openP.catch(() => {}), p.closeP]));
      if (p.opened) throw new Error('the handshake succeeded: want 403');
      if (p.status !== 403) throw new Error(`want a 403 refusal: ${p.refusal().message}`);
      return '';
    }
    await p.open();

    if (msg || name === 'origin-allowed') {
      const binary = msg ? msg.kind === 'binary' : false;
      const data = msg ? msg.data : 'origin';
      const want = binary ? Buffer.from(data) : Buffer.from(data, 'utf8');
      await p.send(binary ? want : data, binary);
      const got = await p.take('message');
      let wrong = '';
      if (got.isBinary !== binary) {
        wrong = `echo is ${got.isBinary ? 'binary' : 'text'}, sent ${binary ? 'binary' : 'text'}`;
      } else if (!want.equals(got.data)) {
        wrong = `echo differs from byte ${firstDiff(got.data, want)}: ${got.data.length} bytes, sent ${want.length}`;
      }
      // The connection ends as usual even when the echo was wrong.
      const detail = await p.closeAndWait(1000);
      if (wrong) throw new Error(wrong);
      p.noneLeft();
      return detail;
    }

    switch (name) {
      case 'ping-by-client': {
        p.ws.ping(Buffer.from(spec.pingPayload));
        const pong = await p.take('pong');
        if (!same(pong, spec.pingPayload)) {
          throw new Error(`pong payload ${show(pong.toString())}, want ${show(spec.raw.pingPayload)}`);
        }
        const detail = await p.closeAndWait(1000);
        p.noneLeft();
        return detail;
      }
      case 'ping-by-server': {
        // ws answers pings itself; the ping event shows the payload.
        const got = await p.waitClose('the server\'s close');
        const pings = p.queues.ping;
        if (!pings.length) throw new Error(`no ping before the close ${got.code}`);
        if (!same(pings[0], spec.pingPayload)) {
          throw new Error(`ping payload ${show(pings[0].toString())}, want ${show(spec.raw.pingPayload)}`);
        }
        if (got.code !== 1000) throw new Error(`server closed with ${got.code} ${show(got.reason)}, want 1000`);
        p.noneLeft();
        return '';
      }
      case 'subprotocol': {
        if (p.ws.protocol !== spec.chosen) {
          throw new Error(`handshake chose ${show(p.ws.protocol)}, want ${show(spec.chosen)}`);
        }
        const detail = await p.closeAndWait(1000);
        p.noneLeft();
        return detail;
      }
      case 'close-by-client': {
        const detail = await p.closeAndWait(spec.closeCode, spec.closeReason);
        p.noneLeft();
        return detail;
      }
      case 'close-by-server': {
        const got = await p.waitClose('the server\'s close');
        if (got.code !== spec.closeCode || got.reason !== spec.closeReason) {
          throw new Error(`server closed with ${got.code} ${show(got.reason)}, want ${spec.closeCode} ${show(spec.closeReason)}`);
        }
        p.noneLeft();
        return '';
      }
      default:
        throw new Error('case not handled by this driver');
    }
  } finally {
    p.end();
  }
}

async function main(argv) {
  if (argv.length < 1) {
    console.error('usage: node matrix-client.js ws://127.0.0.1:PORT [CASE...]');
    return 2;
  }
  const wsVersion = require('ws/package.json').version;
  console.log(`version ws ${wsVersion} (Node ${process.version})`);
  const base = argv[0];
  const cases = argv.length > 1 ? argv.slice(1) : spec.clientCases('node');
  let failures = 0;
  for (const name of cases) {
    try {
      const detail = await runCase(base, name);
      console.log(detail ? `ok ${name}: ${detail}` : `ok ${name}`);
    } catch (err) {
      failures++;
      console.log(`FAIL ${name}: ${err.message}`);
    }
  }
  return failures ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.log(`FAIL driver: ${err.stack || err}`);
    process.exit(1);
  },
);
