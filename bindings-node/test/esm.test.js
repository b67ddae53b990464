// The package from an ES module project: `import { ... } from 'sipcreds'` gives every name the
// CommonJS entry exports (and runs), and type-checks under `tsc --strict` with
// "module": "nodenext"; `close()` releases the store.
'use strict'
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const pkgDir = path.resolve(process.env.SIPCREDS_NODE_PACKAGE || path.join(__dirname, '..'))
const cjs = require(pkgDir)
const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc')

/** An ES module project with the package in its node_modules (a symlink). */
function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipcreds-esm-'))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }))
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(pkgDir, path.join(dir, 'node_modules', 'sipcreds'), 'dir')
  return dir
}

test('every exported name imports from an ES module and works', () => {
  const dir = project()
  const names = Object.keys(cjs)
  fs.writeFileSync(
    path.join(dir, 'main.js'),
    `import * as ns from 'sipcreds'
import sipcreds, { ${names.join(', ')} } from 'sipcreds'
const names = ${JSON.stringify(names)}
const missing = names.filter((n) => ns[n] === undefined || ns[n] !== sipcreds[n])
const extra = Object.keys(ns).filter((n) => n !== 'default' && !names.includes(n))
if (missing.length || extra.length) throw new Error('missing ' + missing + ' extra ' + extra)
const out = validateCredential({ server: 'SIP.Example.com', transport: 'TLS' })
if (out.port !== 5061 || MAX_BODY_BYTES !== 65536 || !symptoms().includes('connection_closed')) throw new Error('wrong')
const reg = new Registry()
await reg.createCredential('acme', { server: 'sip.example.com' })
reg.close()
let code = null
try { await reg.listCredentials('acme') } catch (e) { code = e.code }
if (!reg.closed || code !== 'storage') throw new Error('close: ' + code)
console.log('esm ok', names.length)
`,
  )
  const out = spawnSync(process.execPath, [path.join(dir, 'main.js')], { encoding: 'utf8', cwd: dir })
  assert.equal(out.status, 0, out.stdout + out.stderr)
  assert.match(out.stdout, /esm ok/)
  fs.rmSync(dir, { recursive: true, force: true })
})

test('an ES module consumer type-checks with tsc --strict and module nodenext', { skip: !fs.existsSync(tsc) && 'typescript is not installed' }, () => {
  const dir = project()
  fs.writeFileSync(
    path.join(dir, 'main.ts'),
    `import { Registry, validateCredential, MAX_BODY_BYTES, type CredentialInput, type ProbeReport } from 'sipcreds'
const input: CredentialInput = { server: 'sip.example.com', transport: 'tls', cpsLimit: 5 }
const reg = new Registry()
const c = await reg.createCredential('acme', input)
const port: number = validateCredential(input).port
const reports: ProbeReport[] = []
for await (const r of reg.probeAll('acme', { concurrency: 2, timeout: 0.2 })) reports.push(r)
reg.close()
const closed: boolean = reg.closed
console.log(c.id, port, MAX_BODY_BYTES, reports.length, closed)
`,
  )
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', types: [], typeRoots: [path.join(__dirname, '..', 'node_modules', '@types')] },
      files: ['main.ts'],
    }),
  )
  const out = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', cwd: dir })
  assert.equal(out.status, 0, out.stdout + out.stderr)
  fs.rmSync(dir, { recursive: true, force: true })
})
