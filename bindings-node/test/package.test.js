'use strict'
// The package as users get it: where no prebuilt addon matches the platform, `require` fails
// with an error that names the platform and what the package carries (never a bare
// "Cannot find module"); an installed package (SIPCREDS_NODE_PACKAGE, as CI runs this suite
// against `npm install dist/node/sipcreds-*.tgz`) carries the addon and compiles nothing.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const pkgDir = path.resolve(process.env.SIPCREDS_NODE_PACKAGE || path.join(__dirname, '..'))

test('no addon for this platform: the error names the platform and the fix', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipcreds-nobinary-'))
  try {
    // The JS of the package without any .node file, and not a checkout (no Cargo.toml).
    for (const f of ['sipcreds.js', 'index.js', 'package.json']) fs.copyFileSync(path.join(pkgDir, f), path.join(dir, f))
    let error
    try {
      require(dir)
    } catch (e) {
      error = e
    }
    assert.ok(error, 'require succeeded without an addon')
    assert.equal(error.code, 'ERR_SIPCREDS_NO_BINARY')
    const expected = process.platform === 'linux' ? `linux-${process.arch}-` : `${process.platform}-${process.arch}`
    assert.ok(error.platform.startsWith(expected), error.platform)
    assert.ok(error.message.includes(`(${error.platform})`), error.message)
    assert.ok(error.message.includes(`sipcreds-${error.platform}`), error.message)
    assert.match(error.message, /carries prebuilt addons for: none/)
    assert.ok(error.cause, 'the loader errors are kept as the cause')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

if (process.env.SIPCREDS_NODE_PACKAGE) {
  test('the installed package: a prebuilt addon, the types, no Rust sources, no install script', () => {
    const files = fs.readdirSync(pkgDir)
    assert.ok(files.some((f) => /^sipcreds\..+\.node$/.test(f)), files.join(' '))
    for (const f of ['sipcreds.js', 'sipcreds.d.ts', 'index.js', 'index.d.ts', 'LICENSE-MIT', 'LICENSE-APACHE', 'README.md']) {
      assert.ok(files.includes(f), `${f} missing from the package`)
    }
    for (const f of ['Cargo.toml', 'src', 'build.rs']) assert.ok(!files.includes(f), `${f} shipped`)
    const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
    assert.deepEqual(manifest.scripts, {})
    assert.equal(require.resolve(pkgDir), path.join(pkgDir, 'sipcreds.js'))
  })
}
