#!/usr/bin/env node
// Stages the npm packages users install (`npm pack` of each is in dist/node/):
// - DEST: `sipcreds`, the JS API (sipcreds.js, sipcreds.d.ts, the ES module entry), the napi-rs
//   loader and types (index.js, index.d.ts), the addon built for MAIN_PLATFORM
//   (sipcreds.<platform>.node, where the loader looks first), README and licenses;
// - DEST-<platform> for every other addon built: `sipcreds-<platform>`, that addon alone with
//   the `os`, `cpu` and `libc` npm matches against the machine. The main package names each as an
//   optional dependency, so npm installs the one this machine needs, which the loader tries next.
// No Rust sources and no install script: installing compiles nothing.
//
//   node scripts/npm-package.js bindings-node target/npm-package linux-x64-gnu
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const [src, dest, mainPlatform] = process.argv.slice(2)
if (!src || !dest || !mainPlatform) {
  console.error('usage: npm-package.js SOURCE_DIR DEST_DIR MAIN_PLATFORM')
  process.exit(2)
}
const root = path.resolve(src, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'))
const platformOf = (f) => f.slice('sipcreds.'.length, -'.node'.length)
const built = fs.readdirSync(src).filter((f) => /^sipcreds\..+\.node$/.test(f))
const addons = built.filter((f) => platformOf(f) === mainPlatform)
const others = built.filter((f) => platformOf(f) !== mainPlatform)
if (addons.length === 0) {
  console.error(`npm-package: no sipcreds.${mainPlatform}.node in ${src}: build it first (napi build --platform --release)`)
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

// One optional package per other platform, as napi-rs lays them out.
const optional = {}
for (const file of others) {
  const platform = platformOf(file)
  const [os, cpu, libc] = platform.split('-')
  const dir = `${dest}-${platform}`
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  fs.copyFileSync(path.join(src, file), path.join(dir, file))
  for (const license of ['LICENSE-MIT', 'LICENSE-APACHE']) fs.copyFileSync(path.join(root, license), path.join(dir, license))
  const sub = {
    name: `${pkg.name}-${platform}`,
    version: pkg.version,
    description: `The ${platform} native addon of ${pkg.name} (installed by ${pkg.name} where it matches)`,
    license: pkg.license,
    author: pkg.author,
    homepage: pkg.homepage,
    repository: pkg.repository,
    os: [os],
    cpu: [cpu],
    ...(libc ? { libc: [libc] } : {}),
    main: file,
    files: [file, 'LICENSE-MIT', 'LICENSE-APACHE'],
    engines: pkg.engines,
  }
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(sub, null, 2) + '\n')
  fs.writeFileSync(path.join(dir, 'README.md'), `# ${sub.name}\n\n${sub.description}. Install \`${pkg.name}\`, not this package.\n`)
  optional[sub.name] = pkg.version
  console.log(`staged ${sub.name}@${sub.version} in ${dir}`)
}
if (Object.keys(optional).length) pkg.optionalDependencies = optional

fs.writeFileSync(path.join(dest, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
console.log(`staged ${pkg.name}@${pkg.version} in ${dest} with ${addons.join(', ')}`)
