// node engines.js NODE_MODULES VERSION: every installed package's engines.node admits Node
// VERSION (Debian 12's is 18.19.0), and none needs an install script to work, since npm ci
// runs with --ignore-scripts. keccak's (node-gyp-build) is the one allowed: its index.js falls
// back to its JavaScript implementation when no native build loads. Prints what is wrong,
// exit 1 if anything is; else one line with the count.
'use strict';
const fs = require('fs');
const path = require('path');

const [root, version] = process.argv.slice(2);
if (!root || !version) {
  console.error('usage: node engines.js NODE_MODULES VERSION');
  process.exit(2);
}
const semver = require(path.resolve(root, 'semver'));
const SCRIPTS_OK = new Set(['keccak']);
const bad = [];
let count = 0;

function walk(dir) {
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const p = path.join(dir, entry);
    if (entry.startsWith('@')) {
      walk(p);
      continue;
    }
    const file = path.join(p, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
    count++;
    const engine = pkg.engines && pkg.engines.node;
    if (engine && !semver.satisfies(version, engine)) {
      bad.push(`${pkg.name}@${pkg.version}: engines.node ${engine}`);
    }
    const scripts = pkg.scripts || {};
    const install = ['preinstall', 'install', 'postinstall'].filter((k) => scripts[k]);
    if ((install.length || fs.existsSync(path.join(p, 'binding.gyp'))) && !SCRIPTS_OK.has(pkg.name)) {
      bad.push(`${pkg.name}@${pkg.version}: needs an install script (${install.join(', ') || 'binding.gyp'})`);
    }
    if (fs.existsSync(path.join(p, 'node_modules'))) walk(path.join(p, 'node_modules'));
  }
}

walk(root);
for (const b of bad) console.log(b);
if (bad.length) process.exit(1);
console.log(`${count} packages admit Node ${version} and need no install script`);
