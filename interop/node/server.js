'use strict';

// Echo server with permessage-deflate, built on the ws library.
//
// usage: node server.js [OPTIONS]
//
// Listens on 127.0.0.1, on a port the system picks, and prints "port PORT"
// once ready. OPTIONS is a JSON object for ws's perMessageDeflate option,
// such as {"serverNoContextTakeover":true}; without it ws's defaults
// (perMessageDeflate: true). For each connection it prints
// "extensions PATH VALUE", the Sec-WebSocket-Extensions value it answered
// with (empty when none), then echoes each message with its type, and prints
// "closed PATH CODE 'REASON'" when the connection ends. Runs until killed.

const { WebSocketServer } = require('ws');

if (process.argv.length > 3) {
  console.error('usage: node server.js [OPTIONS]');
  process.exit(2);
}
const perMessageDeflate = process.argv[2] ? JSON.parse(process.argv[2]) : true;

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate,
  maxPayload: 1 << 24,
});

// The 'headers' event is the one place ws shows the full answer: its
// WebSocket.extensions gives the extensions' names only.
const answers = new WeakMap();
wss.on('headers', (headers, req) => {
  const line = headers.find((h) => /^sec-websocket-extensions:/i.test(h));
  answers.set(req, line ? line.slice(line.indexOf(':') + 1).trim() : '');
});

wss.on('listening', () => console.log(`port ${wss.address().port}`));

wss.on('connection', (ws, req) => {
  const path = req.url;
  console.log(`extensions ${path} ${answers.get(req) ?? ''}`);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', (err) => console.log(`error ${path} ${err.message}`));
  ws.on('close', (code, reason) => console.log(`closed ${path} ${code} '${reason}'`));
});
