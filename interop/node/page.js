'use strict';

// The browser's permessage-deflate echo check, run by page.html: opens a
// WebSocket to the URL in the page's ws query parameter (the browser offers
// permessage-deflate on its own), sends each message of messages.js, checks
// that its echo has the same type and content, and closes with 1000. The
// report is window.wsxResult = {lines, failures}, with the same lines as
// client.js prints: "extensions VALUE" (WebSocket.extensions), "ok   NAME"
// or "FAIL NAME: why", "ok   close 1000".

(async () => {
  const TIMEOUT = 20000; // ms for each step
  const lines = [];
  let failures = 0;
  const fail = (line) => {
    lines.push(`FAIL ${line}`);
    failures++;
  };

  const within = (what, p) => {
    let timer;
    const t = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), TIMEOUT);
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
  };

  const sameBytes = (a, b) => {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };

  try {
    const url = new URLSearchParams(location.search).get('ws');
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';

    // Incoming messages queue up until recv takes them.
    const inbox = [];
    let wake = () => {};
    let closed = null;
    ws.onmessage = (ev) => {
      inbox.push(ev.data);
      wake();
    };
    const closedP = new Promise((resolve) => {
      ws.onclose = (ev) => {
        closed = ev;
        wake();
        resolve(ev);
      };
    });
    const recv = async () => {
      while (!inbox.length) {
        if (closed) throw new Error(`closed with ${closed.code} '${closed.reason}'`);
        await new Promise((resolve) => (wake = resolve));
      }
      return inbox.shift();
    };

    await within('open', new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error('WebSocket error before open'));
    }));
    lines.push(`extensions ${ws.extensions}`);
    if (!/^permessage-deflate(;|$)/.test(ws.extensions)) {
      throw new Error('extensions: permessage-deflate not negotiated');
    }

    for (const { name, data } of makeMessages()) {
      ws.send(data);
      const got = await within(`echo of ${name}`, recv());
      if (typeof data === 'string') {
        if (typeof got !== 'string') fail(`${name}: echo is binary`);
        else if (got !== data) fail(`${name}: echo differs (${got.length} code units)`);
        else lines.push(`ok   ${name}`);
      } else if (!(got instanceof ArrayBuffer)) {
        fail(`${name}: echo is text`);
      } else if (!sameBytes(new Uint8Array(got), data)) {
        fail(`${name}: echo differs (${got.byteLength} bytes)`);
      } else {
        lines.push(`ok   ${name}`);
      }
    }

    ws.close(1000);
    const ev = await within('close', closedP);
    if (ev.code !== 1000 || !ev.wasClean) {
      fail(`close: server answered ${ev.code} '${ev.reason}' (clean: ${ev.wasClean})`);
    } else {
      lines.push('ok   close 1000');
    }
  } catch (err) {
    fail(err.message);
  }
  document.getElementById('out').textContent = lines.join('\n');
  window.wsxResult = { lines, failures };
})();
