'use strict';

// permessage-deflate echo check with the ws library as the client.
//
// usage: node client.js URL [OPTIONS]
//
// Connects to the echo server at URL with compression on: OPTIONS is a JSON
// object for ws's perMessageDeflate option, such as
// {"clientNoContextTakeover":true,"threshold":0}; without it ws's defaults
// (perMessageDeflate: true). Prints "extensions VALUE", the server's
// Sec-WebSocket-Extensions answer, and fails at once unless
// permessage-deflate was negotiated. Then sends each message of
// messages.js, checks that its echo has the same type and bytes and prints
// "ok   NAME" or "FAIL NAME: why", closes with 1000 and checks that the
// server answered with 1000 ("ok   close 1000"). Exits non-zero on any
// failure.

const WebSocket = require('ws');
const { makeMessages } = require('./messages.js');

const TIMEOUT = 20000; // ms for each step

if (process.argv.length < 3 || process.argv.length > 4) {
  console.error('usage: node client.js URL [OPTIONS]');
  process.exit(2);
}
const url = process.argv[2];
const perMessageDeflate = process.argv[3] ? JSON.parse(process.argv[3]) : true;

// within rejects if p has not settled after TIMEOUT.
function within(what, p) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), TIMEOUT);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function main() {
  const ws = new WebSocket(url, {
    perMessageDeflate,
    maxPayload: 1 << 24,
    handshakeTimeout: TIMEOUT,
  });
  let answer = '';
  ws.on('upgrade', (res) => {
    answer = res.headers['sec-websocket-extensions'] ?? '';
  });

  // Incoming messages queue up until recv takes them.
  const inbox = [];
  let wake = () => {};
  let closed = null;
  ws.on('message', (data, isBinary) => {
    inbox.push({ data, isBinary });
    wake();
  });
  const closedP = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
      wake();
      resolve(closed);
    });
  });
  ws.on('error', (err) => console.log(`error ${err.message}`));
  const recv = async () => {
    while (!inbox.length) {
      if (closed) throw new Error(`closed with ${closed.code} '${closed.reason}'`);
      await new Promise((resolve) => (wake = resolve));
    }
    return inbox.shift();
  };

  await within('open', new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('close', () => reject(new Error('closed before open')));
  }));
  console.log(`extensions ${answer}`);
  if (!ws.extensions.split(',').includes('permessage-deflate')) {
    console.log('FAIL extensions: permessage-deflate not negotiated');
    return 1;
  }

  let failures = 0;
  for (const { name, data } of makeMessages()) {
    const binary = typeof data !== 'string';
    const want = binary ? Buffer.from(data) : Buffer.from(data, 'utf8');
    await within(`send ${name}`, new Promise((resolve, reject) => {
      ws.send(data, { binary }, (err) => (err ? reject(err) : resolve()));
    }));
    const got = await within(`echo of ${name}`, recv());
    if (got.isBinary !== binary) {
      console.log(`FAIL ${name}: echo is ${got.isBinary ? 'binary' : 'text'}`);
      failures++;
    } else if (!want.equals(got.data)) {
      console.log(`FAIL ${name}: echo differs (${got.data.length} bytes)`);
      failures++;
    } else {
      console.log(`ok   ${name}`);
    }
  }

  ws.close(1000);
  const { code, reason } = await within('close', closedP);
  if (code !== 1000) {
    console.log(`FAIL close: server answered ${code} '${reason}'`);
    failures++;
  } else {
    console.log('ok   close 1000');
  }
  return failures;
}

main().then(
  (failures) => process.exit(failures ? 1 : 0),
  (err) => {
    console.log(`FAIL ${err.message}`);
    process.exit(1);
  },
);
