#!/usr/bin/env node
// Builds the native addon with cargo (release) and puts it where index.js loads it
// (`sipcreds.<platform>.node`). It runs as the package's `install` script where npm runs
// install scripts, and otherwise on the first `require('sipcreds')` (sipcreds.js calls it when
// the addon is missing: npm 11 skips the install scripts of packages not in `allowScripts`).
// It needs only cargo, not the napi CLI (which regenerates index.js and index.d.ts:
// `npm run generate`).
'use strict'
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const here = path.resolve(__dirname, '..')
const platforms = {
  'linux-x64': { name: 'linux-x64-gnu', lib: 'libsipcreds_node.so' },
  'linux-arm64': { name: 'linux-arm64-gnu', lib: 'libsipcreds_node.so' },
  'darwin-x64': { name: 'darwin-x64', lib: 'libsipcreds_node.dylib' },
  'darwin-arm64': { name: 'darwin-arm64', lib: 'libsipcreds_node.dylib' },
  'win32-x64': { name: 'win32-x64-msvc', lib: 'sipcreds_node.dll' },
}

/** Build the addon; returns the path of the `.node` file. */
function build() {
  const platform = platforms[`${process.platform}-${process.arch}`]
  if (!platform) throw new Error(`sipcreds: no build recipe for ${process.platform}-${process.arch}`)
  const cargo = process.env.CARGO || 'cargo'
  const started = Date.now()
  const metadata = JSON.parse(
    execFileSync(cargo, ['metadata', '--format-version', '1', '--no-deps'], { cwd: here, encoding: 'utf8' }),
  )
  // Build for the host triple named explicitly, as the napi CLI does, so that both share one
  // target directory (target/<triple>/release) and neither rebuilds the other's work.
  const host = execFileSync(process.env.RUSTC || 'rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (.+)$/m)[1]
  console.error(`sipcreds: building the native addon (cargo build --release --target ${host} -p sipcreds-node)`)
  execFileSync(cargo, ['build', '--release', '--locked', '--target', host, '-p', 'sipcreds-node'], {
    cwd: here,
    stdio: ['ignore', process.stderr, process.stderr],
  })
  const built = path.join(metadata.target_directory, host, 'release', platform.lib)
  const dest = path.join(here, `sipcreds.${platform.name}.node`)
  fs.copyFileSync(built, dest)
  console.error(`sipcreds: ${dest} built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return dest
}

module.exports = { build }

if (require.main === module) {
  try {
    build()
  } catch (e) {
    console.error(e.message)
    process.exit(1)
  }
}
