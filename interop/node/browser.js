'use strict';

// Chromium as the client of a wsx server, driven by playwright-core.
//
// usage: node browser.js PAGE_URL WS_URL
//
// Launches Debian's Chromium (/usr/bin/chromium, or $WSX_CHROMIUM) headless,
// opens PAGE_URL?ws=WS_URL, where the Go test serves page.html, and waits
// for the page's check (page.js) to finish. Prints "browser VERSION", then
// the page's lines: "extensions VALUE" as WebSocket.extensions gives it,
// "ok   NAME" or "FAIL NAME: why" per message, "ok   close 1000". Exits
// non-zero on any failure. playwright-core downloads no browser: it only
// runs the one at executablePath.

const chromium = require('./chromium.js');

const TIMEOUT = 60000; // ms for the launch and for the page's check


async function main(pageURL, wsURL) {
  const browser = await chromium.launch(TIMEOUT);
  try {
    console.log(`browser ${browser.version()}`);
    const page = await browser.newPage();
    page.on('console', (m) => console.log(`console ${m.type()} ${m.text()}`));
    page.on('pageerror', (err) => console.log(`pageerror ${err.message}`));
    const u = new URL(pageURL);
    u.searchParams.set('ws', wsURL);
    await page.goto(u.href, { timeout: TIMEOUT });
    const handle = await page.waitForFunction(() => window.wsxResult, null, { timeout: TIMEOUT });
    const { lines, failures } = await handle.jsonValue();
    for (const line of lines) console.log(line);
    return failures;
  } finally {
    await browser.close();
  }
}

if (process.argv.length !== 4) {
  console.error('usage: node browser.js PAGE_URL WS_URL');
  process.exit(2);
}
main(process.argv[2], process.argv[3]).then(
  (failures) => process.exit(failures ? 1 : 0),
  (err) => {
    console.log(`FAIL ${err.message}`);
    process.exit(1);
  },
);
