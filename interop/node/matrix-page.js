'use strict';

// The interop matrix's client in the browser (peer "chromium"), run by
// matrix.html, which matrix-browser.js opens as
//
//     matrix.html?ws=ws://127.0.0.1:PORT&cases=text-0,utf8,...
//
// Fetches matrix.json from next to the page, then runs each case of the
// cases parameter (all of matrix.json's client cases for "chromium" when it
// is empty or missing) one after another, each as its own WebSocket to
// WS_BASE/CASE, as interop/README.md ("The matrix") describes. Each case's
// line ("ok CASE", "ok CASE: detail", "FAIL CASE: why") goes to the console
// as soon as the case is over, prefixed with "wsx-matrix "; at the end the
// page logs "wsx-matrix-done FAILURES" (matrixspec.PAGE_PREFIX and
// PAGE_DONE). matrix.html loads matrixspec.js first: the spec, spec.within
// and the shared helpers come from there. A page cannot send pings: for
// ping-by-server the browser answers the server's ping itself and the page
// only sees the close.

(async () => {
  const { firstDiff, show, PAGE_PREFIX, PAGE_DONE } = matrixspec;
  const out = document.getElementById('out');
  let failures = 0;
  const report = (line) => {
    if (line.startsWith('FAIL')) failures++;
    out.textContent += `${line}\n`;
    console.log(PAGE_PREFIX + line);
  };

  let spec;
  const within = (what, p) => spec.within(what, p);
  const utf8 = (s) => new TextEncoder().encode(s);

  // Peer is one WebSocket, with its messages queued up until the case takes
  // them, and its error, open and close as they happened.
  class Peer {
    constructor(url, protocols) {
      const ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      this.inbox = [];
      this.wake = () => {};
      this.opened = false;
      this.errored = false;
      this.closed = null; // the CloseEvent
      ws.onmessage = (ev) => {
        this.inbox.push(ev.data);
        this.wake();
      };
      ws.onerror = () => {
        this.errored = true;
      };
      this.openP = new Promise((resolve, reject) => {
        ws.onopen = () => {
          this.opened = true;
          resolve();
        };
        this.rejectOpen = reject;
      });
      this.openP.catch(() => {});
      this.closeP = new Promise((resolve) => {
        ws.onclose = (ev) => {
          this.closed = ev;
          this.wake();
          this.rejectOpen(new Error(`closed before open with ${ev.code} (error event: ${this.errored})`));
          resolve(ev);
        };
      });
    }

    open() {
      return within('open', this.openP);
    }

    take() {
      return within('waiting for a message', (async () => {
        while (!this.inbox.length) {
          if (this.closed) {
            throw new Error(`closed with ${this.closed.code} ${show(this.closed.reason)} while waiting for a message`);
          }
          await new Promise((resolve) => (this.wake = resolve));
        }
        return this.inbox.shift();
      })());
    }

    waitClose(what) {
      return within(what || 'close', this.closeP);
    }

    // closeAndWait closes with code and reason and waits for the server's
    // answering close: the code echoed, 1000 or 1005, and clean.
    async closeAndWait(code, reason) {
      if (reason === undefined) this.ws.close(code);
      else this.ws.close(code, reason);
      const ev = await this.waitClose('the server\'s answering close');
      if (!ev.wasClean) throw new Error(`the close was not clean: ${ev.code} ${show(ev.reason)}`);
      if (ev.code !== code && ev.code !== 1000 && ev.code !== 1005) {
        throw new Error(`server answered the close ${code} with ${ev.code} ${show(ev.reason)}`);
      }
      this.noneLeft();
      return ev.code !== code ? `server answered ${ev.code}` : '';
    }

    noneLeft() {
      if (this.inbox.length) throw new Error(`unexpected ${this.inbox.length} more message(s)`);
    }

    end() {
      if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    }
  }

  // runCase runs one case and returns its detail (empty for none); it
  // throws on failure.
  async function runCase(base, name) {
    if (!spec.cases.includes(name)) throw new Error('unknown case');
    const url = `${base.replace(/\/+$/, '')}/${name}`;
    const msg = spec.message(name);
    const p = new Peer(url, name === 'subprotocol' ? spec.offer : undefined);
    try {
      if (name === 'origin-refused') {
        // A browser sees no status: only an error, then close code 1006.
        await within('the refusal', Promise.race([p.openP.catch(() => {}), p.closeP]));
        if (p.opened) throw new Error('the WebSocket opened: want a refused handshake');
        const ev = await p.closeP;
        if (!p.errored) throw new Error(`no error event before the close ${ev.code}`);
        if (ev.code !== 1006) throw new Error(`close code ${ev.code}, want 1006`);
        return '';
      }
      await p.open();

      if (msg || name === 'origin-allowed') {
        const kind = msg ? msg.kind : 'text';
        const data = msg ? msg.data : 'origin';
        p.ws.send(data);
        const got = await p.take();
        let wrong = '';
        if (kind === 'text') {
          if (typeof got !== 'string') wrong = 'echo is binary, sent text';
          else if (got !== data) {
            const [g, w] = [utf8(got), utf8(data)];
            wrong = `echo differs from byte ${firstDiff(g, w)}: ${g.length} bytes, sent ${w.length}`;
          }
        } else if (!(got instanceof ArrayBuffer)) {
          wrong = 'echo is text, sent binary';
        } else {
          const g = new Uint8Array(got);
          if (g.length !== data.length || firstDiff(g, data) !== g.length) {
            wrong = `echo differs from byte ${firstDiff(g, data)}: ${g.length} bytes, sent ${data.length}`;
          }
        }
        // The connection ends as usual even when the echo was wrong.
        const detail = await p.closeAndWait(1000);
        if (wrong) throw new Error(wrong);
        return detail;
      }

      switch (name) {
        case 'ping-by-server':
          await matrixspec.serverCloses(p, 1000);
          return '';
        case 'subprotocol':
          if (p.ws.protocol !== spec.chosen) {
            throw new Error(`handshake chose ${show(p.ws.protocol)}, want ${show(spec.chosen)}`);
          }
          return p.closeAndWait(1000);
        case 'close-by-client':
          return p.closeAndWait(spec.closeCode, spec.closeReason);
        case 'close-by-server':
          await matrixspec.serverCloses(p, spec.closeCode, spec.closeReason);
          return '';
        default:
          throw new Error('a page cannot run this case');
      }
    } finally {
      p.end();
    }
  }

  try {
    const res = await fetch('matrix.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`matrix.json: HTTP ${res.status}`);
    spec = matrixspec.fromRaw(await res.json());
    const q = new URLSearchParams(location.search);
    const base = q.get('ws');
    if (!base) throw new Error('no ws parameter');
    const named = (q.get('cases') || '').split(',').filter((c) => c);
    const cases = named.length ? named : spec.clientCases('chromium');
    await matrixspec.runCases(cases, (name) => runCase(base, name), report);
  } catch (err) {
    report(`FAIL page: ${err.message}`);
  }
  console.log(PAGE_DONE + failures);
})();
