'use strict';

// The interop matrix's client driver for Chromium (peer "chromium"), driven
// by playwright-core.
//
// usage: node matrix-browser.js PAGE_URL WS_BASE [CASE...]
//
// PAGE_URL is matrix.html as the Go test serves it (with matrixspec.js,
// matrix-page.js and matrix.json next to it), WS_BASE the wsx server's
// ws://127.0.0.1:PORT. Launches Debian's Chromium (/usr/bin/chromium, or
// $WSX_CHROMIUM) headless, as browser.js does, prints "version Chromium
// VERSION", then opens PAGE_URL?ws=WS_BASE&cases=CASE,... (all of
// matrix.json's client cases for "chromium" when none are named). The page
// (matrix-page.js) runs the cases one after another and logs each result
// line to the console with the prefix "wsx-matrix ", which this script
// strips and prints as it comes: "ok CASE", "ok CASE: detail" or
// "FAIL CASE: why". Other console output is printed as "log ..." lines.
// Exits 0 when every case was ok, 1 otherwise. playwright-core downloads no
// browser: it only runs the one at executablePath.

const chromium = require('./chromium.js');
const matrixspec = require('./matrixspec.js');

const { PAGE_PREFIX: PREFIX, PAGE_DONE: DONE } = matrixspec;
const LAUNCH_TIMEOUT = 60000; // ms for the launch and for loading the page


async function main(pageURL, wsBase, named) {
  const spec = matrixspec.load();
  const cases = named.length ? named : spec.clientCases('chromium');
  // A case has at most four bounded steps (open, send, echo, close).
  const overall = (cases.length * 4 + 1) * spec.timeoutMs;

  const browser = await chromium.launch(LAUNCH_TIMEOUT);
  const seen = new Set();
  let failures = 0;
  let timer;
  try {
    console.log(`version Chromium ${browser.version()}`);
    const page = await browser.newPage();
    const done = new Promise((resolve, reject) => {
      page.on('console', (m) => {
        const text = m.text();
        if (text.startsWith(PREFIX)) {
          const line = text.slice(PREFIX.length);
          const c = /^(?:ok|FAIL) ([^:\s]+)/.exec(line);
          if (c) seen.add(c[1]);
          if (line.startsWith('FAIL')) failures++;
          console.log(line);
        } else if (text.startsWith(DONE)) {
          resolve();
        } else {
          console.log(`log console ${m.type()} ${text}`);
        }
      });
      page.on('pageerror', (err) => {
        console.log(`FAIL page: ${err.message}`);
        failures++;
      });
      page.on('crash', () => reject(new Error('the page crashed')));
      timer = setTimeout(() => reject(new Error(`the page did not finish within ${overall / 1000}s`)), overall);
    });
    const u = new URL(pageURL);
    u.searchParams.set('ws', wsBase);
    if (named.length) u.searchParams.set('cases', named.join(','));
    await page.goto(u.href, { timeout: LAUNCH_TIMEOUT });
    await done;
  } catch (err) {
    console.log(`FAIL browser: ${err.message}`);
    failures++;
  } finally {
    clearTimeout(timer);
    await browser.close();
  }
  for (const c of cases) {
    if (!seen.has(c)) {
      console.log(`FAIL ${c}: no result from the page`);
      failures++;
    }
  }
  return failures;
}

if (process.argv.length < 4) {
  console.error('usage: node matrix-browser.js PAGE_URL WS_BASE [CASE...]');
  process.exit(2);
}
main(process.argv[2], process.argv[3], process.argv.slice(4)).then(
  (failures) => process.exit(failures ? 1 : 0),
  (err) => {
    console.log(`FAIL browser: ${err.message}`);
    process.exit(1);
  },
);
