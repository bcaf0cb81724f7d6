#!/usr/bin/env node
/*
 * flash-scripts/storage-image.js - the bytes of the module as they go into a
 * board's Storage: its minified text, pretokenised.
 *
 * Pretokenised, as the Web IDE's "Pretokenise code before upload" option
 * does: each JavaScript keyword and operator of two or more characters
 * (function, return, typeof, ===, &&, ...) becomes the one byte of
 * Espruino's own token for it, a byte of 128 or more (strings, numbers and
 * names are left as they are). Espruino's lexer reads those bytes wherever
 * it reads code, and the order of its tokens is fixed for this reason (its
 * jslex.h: "The Web IDE/Bangle.js App Loader can pretokenise code which
 * means they rely on each ID/token mapping"). For a module in Storage that
 * means about 14% fewer bytes of flash, and fewer bytes for the
 * interpreter to read each time it runs a function, which it does from
 * flash (bench/README.md). RAM is the same: Espruino keeps none of a
 * function's text from Storage in RAM, and the functions it keeps in RAM
 * ('ram') it stores tokenised anyway.
 *
 * The tokeniser is EspruinoTools' own (the `espruino` package), with its
 * PRETOKENISE option at 1 and no board given: keywords and operators only,
 * which every Espruino version the Web IDE supports reads; strings and
 * numbers are tokenised only by 2v20.48 and 2v25.396 or later, and gain
 * almost nothing here. EspruinoTools sets up globals of its own in the
 * process that loads it (require, $, navigator, acorn), so it runs in a
 * child process: this file, run with an input and an output file.
 *
 *   node flash-scripts/storage-image.js IN.js OUT.js
 *
 * From other scripts: require('./storage-image').storageImage(file) gives the
 * image's bytes, a Buffer (about a second the first time: the child process
 * loads EspruinoTools; the same text again is given from memory).
 */
'use strict';

const fs = require('fs');
const path = require('path');
const os = require('os');
const crypto = require('crypto');
const { spawnSync } = require('child_process');

/** Images made in this process, by the SHA-1 of the text they were made from. */
const made = new Map();

/** The bytes of `file` (a module's minified text) as they go into Storage. */
function storageImage(file) {
  const key = crypto.createHash('sha1').update(fs.readFileSync(file)).digest('hex');
  if (made.has(key)) return made.get(key);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-image-'));
  try {
    const out = path.join(dir, 'image.js');
    const r = spawnSync(process.execPath, [__filename, file, out], { encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) throw new Error('pretokenising ' + file + ' failed: ' + (r.stderr || r.error || 'exit ' + r.status));
    made.set(key, fs.readFileSync(out));
    return made.get(key);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** In the child process: pretokenises IN into OUT. */
function main(inFile, outFile) {
  const code = fs.readFileSync(inFile, 'latin1');
  if (/[^\x00-\x7f]/.test(code)) throw new Error(inFile + ' is not ASCII: it may be pretokenised already');
  // EspruinoTools says what it loads on the console: not ours to print.
  const log = console.log;
  console.log = function () {};
  require('espruino').init(function () {
    console.log = log;
    Espruino.Config.PRETOKENISE = 1;
    const image = Espruino.Plugins.Pretokenise.tokenise(code);
    // The tokeniser gives back what it cannot read as it was: check that the
    // image reads back as the same code.
    if (Espruino.Plugins.Pretokenise.untokenise(image).replace(/\s+/g, '') != code.replace(/\s+/g, '')) {
      throw new Error('the pretokenised ' + inFile + ' does not read back as the same code');
    }
    fs.writeFileSync(outFile, Buffer.from(image, 'latin1'));
  });
}

if (require.main === module) {
  if (process.argv.length != 4) {
    process.stderr.write('Usage: node flash-scripts/storage-image.js IN.js OUT.js\n');
    process.exit(2);
  }
  main(process.argv[2], process.argv[3]);
}

module.exports = { storageImage };
