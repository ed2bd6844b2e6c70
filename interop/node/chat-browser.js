'use strict';

// Drives the chat page of "wsx serve" in Chromium, with playwright-core,
// for the Go test TestChromiumChat (chat_browser_test.go).
//
// usage: node chat-browser.js PAGE_URL OUTDIR
//
// PAGE_URL is the page, http://127.0.0.1:PORT/. Launches Chromium through
// chromium.js and opens the page in two tabs, A and B, of one browser
// context. Once both show #status "open" (each connected to /chat), A sends
// a message with the #send button and B another with Enter in #message;
// both messages must come back as .msg elements in both tabs, in the same
// order. A screenshot of A is then saved as OUTDIR/chat.png. Then A switches
// #mode to "echo" and sends a message, which must come back to A only; B
// sends a last chat message, which A (no longer in the chat) must not get.
// Every request and WebSocket the tabs open is recorded.
//
// Prints "version Chromium VERSION", then, whatever happened, exactly one
// line "result JSON" (see the fields of the result object below), which the
// Go test parses and checks on its own. Exits 0 when every step completed,
// 1 otherwise (result.error then says which step failed and why).

const fs = require('fs');
const path = require('path');
const chromium = require('./chromium.js');

const LAUNCH_TIMEOUT = 30000; // ms for the launch and each page load
const STEP_TIMEOUT = 10000; // ms for each wait on the page
const SETTLE = 500; // ms given to a message that must not arrive

// The messages, unique within a run; the chat ones carry non-ASCII text.
const CHAT_A = 'hello from A: aé€😀';
const CHAT_B = 'hello from B, by Enter';
const ECHO_A = 'echo only for A';
const LAST_B = 'B again, after A left the chat';

// texts returns the textContent of the .msg elements of a tab's #log.
function texts(page) {
  return page.$$eval('#log .msg', (els) => els.map((e) => e.textContent));
}

// status returns a tab's #status text.
function status(page) {
  return page.$eval('#status', (e) => e.textContent);
}

// waitStatus waits until a tab's #status reads want.
async function waitStatus(page, want) {
  await page.waitForFunction(
    (w) => document.querySelector('#status')?.textContent === w,
    want,
    { timeout: STEP_TIMEOUT },
  );
}

// waitMessages waits until every one of want is a .msg of a tab's #log.
async function waitMessages(page, want) {
  await page.waitForFunction(
    (w) => {
      const got = [...document.querySelectorAll('#log .msg')].map((e) => e.textContent);
      return w.every((m) => got.includes(m));
    },
    want,
    { timeout: STEP_TIMEOUT },
  );
}

// watchStatus records, from now on, each value #status takes in a tab, into
// window.wsxStatusSeen, so that a reconnection shows even when it is quick.
async function watchStatus(page) {
  await page.evaluate(() => {
    const el = document.querySelector('#status');
    window.wsxStatusSeen = [];
    new MutationObserver(() => window.wsxStatusSeen.push(el.textContent)).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
}

// waitReconnected waits until, since watchStatus, a tab's #status has left
// "open" and come back to it.
async function waitReconnected(page) {
  await page.waitForFunction(
    () => {
      const seen = window.wsxStatusSeen;
      const now = document.querySelector('#status').textContent;
      return now === 'open' && seen.some((s) => s !== 'open');
    },
    null,
    { timeout: STEP_TIMEOUT },
  );
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(pageURL, outDir) {
  // The result line's fields; the Go test reads them by these names.
  const result = {
    version: '', // Chromium's version
    page: pageURL,
    step: '', // the step under way, or "done"
    error: '', // why the script stopped, empty when every step completed
    initial: { a: null, b: null }, // status and log of each tab once open
    chat: { sent: [CHAT_A, CHAT_B], a: null, b: null }, // after the two chat messages
    inputsCleared: { a: null, b: null }, // #message was empty after sending
    screenshot: '', // path of the PNG of tab A after the chat
    echo: { sent: ECHO_A, last: LAST_B, a: null, b: null }, // logs at the end
    sockets: { a: [], b: [] }, // URLs of the WebSockets each tab opened, in order
    requests: [], // every request of either tab: {tab, method, type, url}
    pageErrors: [], // uncaught exceptions in either tab: "TAB: message"
    consoleErrors: [], // console.error output in either tab: "TAB: text"
  };
  let browser;
  const step = (s) => {
    result.step = s;
  };
  try {
    step('launch');
    browser = await chromium.launch(LAUNCH_TIMEOUT);
    result.version = browser.version();
    console.log(`version Chromium ${result.version}`);
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });

    const open = async (name) => {
      const page = await context.newPage();
      page.on('request', (r) =>
        result.requests.push({ tab: name, method: r.method(), type: r.resourceType(), url: r.url() }),
      );
      page.on('websocket', (ws) => result.sockets[name].push(ws.url()));
      page.on('pageerror', (err) => result.pageErrors.push(`${name}: ${err.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') result.consoleErrors.push(`${name}: ${m.text()}`);
      });
      await page.goto(pageURL, { timeout: LAUNCH_TIMEOUT });
      return page;
    };
    step('open tab A');
    const a = await open('a');
    step('open tab B');
    const b = await open('b');

    step('wait for both tabs to be open');
    await Promise.all([waitStatus(a, 'open'), waitStatus(b, 'open')]);
    result.initial.a = { status: await status(a), mode: await a.inputValue('#mode'), log: await texts(a) };
    result.initial.b = { status: await status(b), mode: await b.inputValue('#mode'), log: await texts(b) };

    step('A sends with #send');
    await a.fill('#message', CHAT_A);
    await a.click('#send');
    result.inputsCleared.a = (await a.inputValue('#message')) === '';
    step('B sends with Enter');
    await b.fill('#message', CHAT_B);
    await b.press('#message', 'Enter');
    result.inputsCleared.b = (await b.inputValue('#message')) === '';

    step('wait for both chat messages in both tabs');
    await Promise.all([waitMessages(a, [CHAT_A, CHAT_B]), waitMessages(b, [CHAT_A, CHAT_B])]);
    result.chat.a = await texts(a);
    result.chat.b = await texts(b);

    step('screenshot of tab A');
    fs.mkdirSync(outDir, { recursive: true });
    result.screenshot = path.join(outDir, 'chat.png');
    await a.screenshot({ path: result.screenshot, fullPage: true });

    step('switch tab A to echo');
    await watchStatus(a);
    await a.selectOption('#mode', 'echo');
    await waitReconnected(a);

    step('A sends in echo mode');
    await a.fill('#message', ECHO_A);
    await a.click('#send');
    await waitMessages(a, [ECHO_A]);

    step('B sends to the chat A left');
    await b.fill('#message', LAST_B);
    await b.press('#message', 'Enter');
    await waitMessages(b, [LAST_B]);
    // Neither tab may get the other's last message; give it time to show.
    await sleep(SETTLE);
    result.echo.a = await texts(a);
    result.echo.b = await texts(b);
    step('done');
  } catch (err) {
    result.error = `${result.step}: ${err.message.split('\n')[0]}`;
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  console.log(`result ${JSON.stringify(result)}`);
  return result.error === '';
}

if (process.argv.length !== 4) {
  console.error('usage: node chat-browser.js PAGE_URL OUTDIR');
  process.exit(2);
}
main(process.argv[2], process.argv[3]).then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.log(`FAIL ${err.message}`);
    process.exit(1);
  },
);
