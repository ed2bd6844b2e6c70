'use strict';

// Launches Debian's Chromium (/usr/bin/chromium, or $WSX_CHROMIUM) headless
// with playwright-core, with the flags the interop tests run it with, for
// browser.js and matrix-browser.js. playwright-core downloads no browser:
// it only runs the one at executablePath.
//
//   const browser = await require('./chromium.js').launch(60000);

const { chromium } = require('playwright-core');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// launch starts the browser, failing after timeout ms.
function launch(timeout) {
  return chromium.launch({
    executablePath: process.env.WSX_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    timeout,
  });
}

module.exports = { launch };
