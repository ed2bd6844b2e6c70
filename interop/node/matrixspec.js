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
//
// It also holds the helpers every JavaScript driver shares, in Node and in
// the page alike: spec.within(what, promise) bounds a step by timeoutSeconds,
// firstDiff(a, b), show(s) and checkClose(who, close, code, reason, clean)
// word the failures, serverCloses(peer, code, reason) checks a close the
// server starts, runCases(cases, run, report)
// runs the cases one after another and reports each one's result line, and
// PAGE_PREFIX and PAGE_DONE mark the lines matrix-page.js logs for
// matrix-browser.js.

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

  // firstDiff returns the index of the first byte where a and b differ
  // (the shorter one's length when one is a prefix of the other).
  function firstDiff(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
    return n;
  }

  const show = (s) => JSON.stringify(s);

  // checkClose throws unless the close got ({code, reason}, or a CloseEvent)
  // that who ("server" or "client") sent carries code, and reason when one is
  // given, and was clean when clean (a CloseEvent's wasClean) is given.
  function checkClose(who, got, code, reason, clean) {
    if (got.code !== code || (reason !== undefined && got.reason !== reason) || clean === false) {
      const want = reason !== undefined ? `${code} ${show(reason)}` : `${code}`;
      const how = clean === undefined ? '' : ` (clean: ${clean})`;
      throw new Error(`${who} closed with ${got.code} ${show(got.reason)}${how}, want ${want}`);
    }
  }

  // serverCloses waits for the close that the server starts on peer p (a
  // driver's Peer, with waitClose and noneLeft), checks it as checkClose
  // does (clean too when it is a CloseEvent) and that no message is left.
  async function serverCloses(p, code, reason) {
    const got = await p.waitClose('the server\'s close');
    checkClose('server', got, code, reason, got.wasClean);
    p.noneLeft();
  }

  // runCases runs run(name) for each case, one after another, and hands each
  // case's result line to report: "ok CASE", "ok CASE: detail" (run's
  // non-empty return) or "FAIL CASE: why" (what run threw). It returns the
  // number of failed cases.
  async function runCases(cases, run, report) {
    let failures = 0;
    for (const name of cases) {
      try {
        const detail = await run(name);
        report(detail ? `ok ${name}: ${detail}` : `ok ${name}`);
      } catch (err) {
        failures++;
        report(`FAIL ${name}: ${err.message}`);
      }
    }
    return failures;
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

    // within rejects if p has not settled after timeoutSeconds.
    within(what, p) {
      let timer;
      const t = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${this.timeout}s: ${what}`)), this.timeoutMs);
      });
      return Promise.race([p, t]).finally(() => clearTimeout(timer));
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
    firstDiff,
    show,
    checkClose,
    serverCloses,
    runCases,
    // The page logs each result line as PAGE_PREFIX + line to the console,
    // and PAGE_DONE + failures at the end.
    PAGE_PREFIX: 'wsx-matrix ',
    PAGE_DONE: 'wsx-matrix-done ',
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
