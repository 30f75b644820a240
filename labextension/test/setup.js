/* eslint-disable @typescript-eslint/no-require-imports -- jest loads setup files as CommonJS, before any transform */
// Run before every test file (jest.config.js: setupFiles).
const { readFileSync } = require('fs');
const { join } = require('path');
const util = require('util');

// What jsdom lacks and Lumino or the panel use: @lumino/dragdrop subclasses DragEvent at
// import time, and client/ndjson.ts decodes the log stream with TextDecoder.
if (typeof globalThis.DragEvent === 'undefined') {
  globalThis.DragEvent = class DragEvent extends globalThis.MouseEvent {};
}
if (typeof globalThis.TextDecoder === 'undefined') {
  globalThis.TextDecoder = util.TextDecoder;
  globalThis.TextEncoder = util.TextEncoder;
}

// The extension's stylesheet, as JupyterLab loads it: getComputedStyle() then answers what
// a user's browser would for our classes (wrapping, for instance).
const style = document.createElement('style');
style.textContent = readFileSync(join(__dirname, '..', 'style', 'base.css'), 'utf8');
document.head.appendChild(style);
