// Headless Chromium for the real-browser tests, driven by playwright-core:
// one browser, one page served on loopback from test/fixtures/browser-page.html
// (whose helpers page.evaluate() calls: openSocket, pattern, sameBytes).
//
// CHROMIUM names the executable; otherwise /usr/bin/chromium (Debian's
// package `chromium`) if it exists; otherwise null, and the tests that need
// it are pending.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const CHROMIUM = process.env.CHROMIUM || (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null);
const PAGE = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'browser-page.html'));

// Flags for a closed network: no background connections, no first-run work.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
];

/** Starts the page's web server and the browser, and opens the page.
 *  Resolves with { page, origin, newPage(), close() }. */
async function openPage() {
  const { chromium } = require('playwright-core');
  const site = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  const origin = 'http://127.0.0.1:' + site.address().port;
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const page = await browser.newPage();
    await page.goto(origin + '/');
    return {
      page,
      origin,
      newPage: () => browser.newPage(),
      async close() {
        await browser.close();
        site.close();
      }
    };
  } catch (e) {
    if (browser) await browser.close();
    site.close();
    throw e;
  }
}

/** Starts the browser alone (for pages that other servers serve). */
function launch() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

module.exports = { CHROMIUM, openPage, launch };
