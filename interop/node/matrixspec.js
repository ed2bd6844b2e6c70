'use strict';

// The interop matrix's shared values, read from interop/matrix.json: the
// JavaScript twin of python/matrixspec.py. interop/README.md ("The matrix")
// describes the cases and the messages.
//
// In Node (matrix-client.js, matrix-server.js, matrix-browser.js):
//
//     const matrixspec = require('./matrixspec.js');
//     const spec = matrixspec.load();                 // reads ../matrix.json
//     spec.message('binary-125');  // {kind: 'binary', data: Uint8Array}
//
// In the page (matrix.html loads this file as a plain script, which defines
// the global matrixspec; the page fetches matrix.json itself):
//
//     const spec = matrixspec.fromRaw(await (await fetch('matrix.json')).json());
//
// The names follow matrixspec.py in JavaScript's spelling: textOf (text_of),
// binaryOf (binary_of), spec.message(c), spec.clientCases(peer)
// (client_cases), spec.serverCases(peer) (server_cases). Bytes are
// Uint8Arrays, text is a string; spec.pingPayload is the UTF-8 bytes of
// pingPayload.

(function (root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory();
  } else {
    root.matrixspec = factory();
  }
})(typeof self !== 'undefined' ? self : this, function () {
  const utf8 = (s) => new TextEncoder().encode(s);

  // textOf returns the text of exactly n UTF-8 bytes: unit repeated, then "a"s.
  function textOf(unit, n) {
    const size = utf8(unit).length;
    const s = unit.repeat(Math.floor(n / size)) + 'a'.repeat(n % size);
    if (utf8(s).length !== n) throw new Error(`textOf(${n}): built ${utf8(s).length} bytes`);
    return s;
  }

  // binaryOf returns the binary message of n bytes: byte i is (i * 31 + n) mod 251.
  function binaryOf(n) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + n) % 251;
    return b;
  }

  // Spec is matrix.json, with the messages built from it.
  class Spec {
    constructor(raw) {
      this.raw = raw;
      this.timeout = raw.timeoutSeconds; // seconds
      this.timeoutMs = raw.timeoutSeconds * 1000;
      this.pingPayload = utf8(raw.pingPayload);
      this.offer = raw.subprotocols.offer;
      this.support = raw.subprotocols.support;
      this.chosen = raw.subprotocols.chosen;
      this.closeCode = raw.close.code;
      this.closeReason = raw.close.reason;
      this.origin = raw.origin;
      this.cases = raw.cases.map((c) => c.name);
      this.wsxServerOnly = new Set(raw.cases.filter((c) => c.wsxServerOnly).map((c) => c.name));
    }

    // message returns the message a case sends, as {kind, data}: kind is
    // 'text' (data a string) or 'binary' (data a Uint8Array); null for a
    // case without one.
    message(name) {
      const m = /^(text|binary)-([0-9]+)$/.exec(name);
      if (m && m[1] === 'text') return { kind: 'text', data: textOf(this.raw.textUnit, Number(m[2])) };
      if (m) return { kind: 'binary', data: binaryOf(Number(m[2])) };
      if (name === 'utf8') return { kind: 'text', data: this.raw.utf8 };
      if (name === 'large') return { kind: 'binary', data: binaryOf(this.raw.largeSize) };
      return null;
    }

    // clientCases returns the cases a client driver of peer runs when none
    // are named.
    clientCases(peer) {
      const skip = new Set(Object.keys(this.peer(peer).notApplicable || {}));
      return this.cases.filter((c) => !skip.has(c));
    }

    // serverCases returns the cases a server driver of peer serves.
    serverCases(peer) {
      const skip = new Set(Object.keys(this.peer(peer).notApplicable || {}));
      return this.cases.filter((c) => !skip.has(c) && !this.wsxServerOnly.has(c));
    }

    peer(name) {
      const p = this.raw.peers.find((x) => x.name === name);
      if (!p) throw new Error(`matrix.json has no peer ${name}`);
      return p;
    }
  }

  const api = {
    textOf,
    binaryOf,
    Spec,
    fromRaw: (raw) => new Spec(raw),
  };
  if (typeof require === 'function' && typeof __dirname === 'string') {
    // load reads matrix.json (by default interop/matrix.json).
    api.load = (file) => {
      const fs = require('fs');
      const path = require('path');
      const p = file || path.join(__dirname, '..', 'matrix.json');
      return new Spec(JSON.parse(fs.readFileSync(p, 'utf8')));
    };
  }
  return api;
});
