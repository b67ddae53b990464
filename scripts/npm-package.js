#!/usr/bin/env node
// Stages the npm package users install (`npm pack` of the result is dist/node/sipcreds-*.tgz):
// the JS API (sipcreds.js, sipcreds.d.ts), the napi-rs loader and types (index.js,
// index.d.ts), the prebuilt addon(s) built for this platform (sipcreds.<platform>.node, where
// the napi-rs loader looks first; other platforms come as optional packages
// `sipcreds-<platform>`, which the same loader tries next), README and licenses. No Rust
// sources and no install script: installing it compiles nothing.
//
//   node scripts/npm-package.js bindings-node target/npm-package
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const [src, dest] = process.argv.slice(2)
if (!src || !dest) {
  console.error('usage: npm-package.js SOURCE_DIR DEST_DIR')
  process.exit(2)
}
const root = path.resolve(src, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'))
const addons = fs.readdirSync(src).filter((f) => /^sipcreds\..+\.node$/.test(f))
if (addons.length === 0) {
  console.error(`npm-package: no sipcreds.<platform>.node in ${src}: build it first (napi build --platform --release)`)
  process.exit(1)
}
const copies = [
  ...['sipcreds.js', 'sipcreds.mjs', 'sipcreds.d.ts', 'sipcreds.d.mts', 'errors.js', 'errors.d.ts', 'shapes.d.ts', 'index.js', 'index.d.ts', 'README.md', ...addons].map((f) => [path.join(src, f), f]),
  [path.join(root, 'LICENSE-MIT'), 'LICENSE-MIT'],
  [path.join(root, 'LICENSE-APACHE'), 'LICENSE-APACHE'],
]
fs.mkdirSync(dest, { recursive: true })
for (const [from, to] of copies) fs.copyFileSync(from, path.join(dest, to))

// The published manifest: the source one without what only a checkout needs.
delete pkg.devDependencies
pkg.scripts = {}
pkg.files = copies.map(([, to]) => to).filter((f) => f !== 'README.md' && f !== 'package.json')
fs.writeFileSync(path.join(dest, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
console.log(`staged ${pkg.name}@${pkg.version} in ${dest} with ${addons.join(', ')}`)
