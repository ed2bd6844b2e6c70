'use strict';

// What the interop matrix's ws drivers (matrix-client.js, matrix-server.js)
// share: matrix.json, the version line, and the queue of what a ws
// connection received. Node only; the page's helpers are in matrixspec.js.
//
//     const common = require('./matrix-common.js');
//     const { spec } = common;               // matrixspec.load()
//     common.printVersion();                 // "version ws X.Y.Z (Node vN)"
//     class Peer extends common.Queued { ... }
//
// Queued(ws, other) queues a ws connection's messages ({data, isBinary}),
// pings and pongs until the case takes them, and records its close (code and
// reason as text) in closed and closeP; other
// ("server" or "client") names the far side in failures.

const WebSocket = require('ws');
const matrixspec = require('./matrixspec.js');

const spec = matrixspec.load();
const { show } = matrixspec;
const MAX_PAYLOAD = 64 << 20; // bytes; the largest message is 1 MiB

const same = (a, b) => Buffer.from(a).equals(Buffer.from(b));

function printVersion() {
  const wsVersion = require('ws/package.json').version;
  console.log(`version ws ${wsVersion} (Node ${process.version})`);
}

// checkPingPayload throws unless payload (of a ping or pong, named by what)
// is matrix.json's pingPayload.
function checkPingPayload(what, payload) {
  if (!same(payload, spec.pingPayload)) {
    throw new Error(`${what} payload ${show(payload.toString())}, want ${show(spec.raw.pingPayload)}`);
  }
}

class Queued {
  constructor(ws, other) {
    this.ws = ws;
    this.other = other;
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
    this.closeP = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closed = { code, reason: reason.toString('utf8') };
        this.wake();
        resolve(this.closed);
      });
    });
  }

  // take returns the next item of kind (message, ping, pong), failing once
  // the connection has closed without one.
  take(kind) {
    return spec.within(`waiting for a ${kind}`, (async () => {
      while (!this.queues[kind].length) {
        if (this.closed) {
          throw new Error(`closed with ${this.closed.code} ${show(this.closed.reason)} while waiting for a ${kind}`);
        }
        await new Promise((resolve) => (this.wake = resolve));
      }
      return this.queues[kind].shift();
    })());
  }

  waitClose(what) {
    return spec.within(what || 'close', this.closeP);
  }

  // closeAndWait sends a close with code and reason and waits for the other
  // side's answering close, which must echo the code or be 1000 or 1005
  // (RFC 6455 only says an answer "typically" echoes the code). It returns
  // the detail: empty, or what the other side answered instead.
  async closeAndWait(code, reason) {
    this.ws.close(code, reason);
    const got = await this.waitClose(`the ${this.other}'s answering close`);
    if (got.code !== code && got.code !== 1000 && got.code !== 1005) {
      throw new Error(`${this.other} answered the close ${code} with ${got.code} ${show(got.reason)}`);
    }
    return got.code !== code ? `${this.other} answered ${got.code}` : '';
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

module.exports = { spec, MAX_PAYLOAD, same, printVersion, checkPingPayload, Queued };
