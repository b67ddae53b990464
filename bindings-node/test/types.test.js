// The typed inputs (CredentialInput, CredentialPatch, generated from the core's input schema)
// catch what the library would refuse before it runs: `tsc --strict` on typecheck/bad_input.ts
// reports each wrong line (the well-typed example passes in CI's own tsc run).
'use strict'
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const here = path.resolve(__dirname, '..')
const tsc = path.join(here, 'node_modules', 'typescript', 'bin', 'tsc')

test('misspelt keys and wrong types fail tsc --strict', { skip: !fs.existsSync(tsc) && 'typescript is not installed' }, () => {
  const out = spawnSync(process.execPath, [tsc, '-p', path.join(here, 'typecheck')], { encoding: 'utf8' })
  assert.notEqual(out.status, 0, out.stdout)
  const lines = fs.readFileSync(path.join(here, 'typecheck', 'bad_input.ts'), 'utf8').split('\n')
  for (const marker of ['E1', 'E2', 'E3', 'E4']) {
    const line = lines.findIndex((l) => l.includes(`// ${marker}:`)) + 1
    assert.match(out.stdout, new RegExp(`bad_input\\.ts\\(${line},\\d+\\): error`), `${marker} (line ${line}) passed:\n${out.stdout}`)
  }
  assert.match(out.stdout, /'sever'/)
})
