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
// matrix.json's timeoutSeconds. What it shares with matrix-server.js is in
// matrix-common.js, what it shares with the page in matrixspec.js.

const WebSocket = require('ws');
const matrixspec = require('./matrixspec.js');
const common = require('./matrix-common.js');

const { spec, checkPingPayload } = common;
const { firstDiff, show } = matrixspec;
const within = (what, p) => spec.within(what, p);

// Peer is one connection, with what it received queued up until the case
// takes it (common.Queued): messages, pings and pongs, and the close, or a
// refused handshake's status.
class Peer extends common.Queued {
  constructor(url, opts, protocols) {
    const ws = new WebSocket(url, protocols, {
      perMessageDeflate: false,
      maxPayload: common.MAX_PAYLOAD,
      handshakeTimeout: spec.timeoutMs,
      ...opts,
    });
    super(ws, 'server');
    this.opened = false;
    this.status = 0; // HTTP status of a refused handshake
    this.error = null; // the first 'error'
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
  }

  refusal() {
    if (this.status) return new Error(`handshake refused with status ${this.status}`);
    if (this.error) return new Error(`no connection: ${this.error.message}`);
    return new Error('closed before open');
  }

  open() {
    return within('open', this.openP);
  }

  send(data, binary) {
    return within('send', new Promise((resolve, reject) => {
      this.ws.send(data, { binary }, (err) => (err ? reject(err) : resolve()));
    }));
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
        checkPingPayload('pong', await p.take('pong'));
        const detail = await p.closeAndWait(1000);
        p.noneLeft();
        return detail;
      }
      case 'ping-by-server': {
        // ws answers pings itself; the ping event shows the payload.
        const got = await p.waitClose('the server\'s close');
        const pings = p.queues.ping;
        if (!pings.length) throw new Error(`no ping before the close ${got.code}`);
        checkPingPayload('ping', pings[0]);
        matrixspec.checkClose('server', got, 1000);
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
      case 'close-by-server':
        await matrixspec.serverCloses(p, spec.closeCode, spec.closeReason);
        return '';
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
  common.printVersion();
  const base = argv[0];
  const cases = argv.length > 1 ? argv.slice(1) : spec.clientCases('node');
  const failures = await matrixspec.runCases(cases, (name) => runCase(base, name), (line) => console.log(line));
  return failures ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.log(`FAIL driver: ${err.stack || err}`);
    process.exit(1);
  },
);
