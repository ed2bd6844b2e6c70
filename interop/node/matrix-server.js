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
// timeoutSeconds. What it shares with matrix-client.js is in
// matrix-common.js, the rest in matrixspec.js.

const { WebSocketServer } = require('ws');
const matrixspec = require('./matrixspec.js');
const common = require('./matrix-common.js');

const { spec, checkPingPayload } = common;
const { firstDiff, show } = matrixspec;
const served = new Set(spec.serverCases('node'));

// Peer is one accepted connection, with what it received queued up until
// the case takes it (common.Queued).
class Peer extends common.Queued {
  constructor(ws) {
    super(ws, 'client');
    ws.on('error', (err) => console.log(`log error ${err.message}`));
  }

  // clientClose waits for the client's close, which must carry code (and
  // reason, when given) exactly.
  async clientClose(code, reason) {
    const got = await this.waitClose('the client\'s close');
    matrixspec.checkClose('client', got, code, reason);
    this.noneLeft();
  }

  // closeAndWait closes with code and reason and waits for the client's
  // answering close: the code echoed, 1000 or 1005; then no message may be
  // left.
  async closeAndWait(code, reason) {
    const detail = await super.closeAndWait(code, reason);
    this.noneLeft();
    return detail;
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
      checkPingPayload('ping', pings[0]);
      return '';
    }
    case 'ping-by-server': {
      p.ws.ping(Buffer.from(spec.pingPayload));
      checkPingPayload('pong', await p.take('pong'));
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
      await p.waitClose('the client\'s answering close').catch(() => {});
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
  common.printVersion();
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: common.MAX_PAYLOAD,
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
