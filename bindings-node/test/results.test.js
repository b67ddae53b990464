'use strict'
// The result-shape vectors (tests/vectors/results.json) through the Node package: every result
// and every error (`error.toJSON()`) written by JSON.stringify, compared byte for byte with
// what every surface answers.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const sipcreds = require('..')

const file = process.env.SIPCREDS_RESULT_VECTORS || path.join(__dirname, '..', '..', 'tests', 'vectors', 'results.json')
const ID = /(cred|agent|prov)_[0-9A-Z]{26}(?![0-9A-Z])/g
const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g

class Placeholders {
  constructor() {
    this.known = new Map()
  }

  input(v) {
    if (typeof v === 'string') {
      const byLength = [...this.known].sort((a, b) => b[1].length - a[1].length)
      for (const [real, ph] of byLength) v = v.split(ph).join(real)
      return v
    }
    if (Array.isArray(v)) return v.map((x) => this.input(x))
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.input(x)]))
    return v
  }

  normalize(text) {
    if (!text.startsWith('{"error"')) {
      for (const m of text.matchAll(ID)) {
        if (!this.known.has(m[0])) {
          const n = [...this.known.values()].filter((p) => new RegExp(`^\\$${m[1]}\\d+$`).test(p)).length
          this.known.set(m[0], `$${m[1]}${n + 1}`)
        }
      }
    }
    for (const [real, ph] of this.known) text = text.split(real).join(ph)
    return text.replace(TIME, '$time')
  }
}

test('result vectors through Node', async () => {
  const { steps } = JSON.parse(fs.readFileSync(file, 'utf8'))
  assert.ok(steps.length >= 30)
  const reg = new sipcreds.Registry()
  const ops = {
    create_credential: (a) => reg.createCredential(a.org, a.body),
    get_credential: (a) => reg.getCredential(a.org, a.id),
    update_credential: (a) => reg.updateCredential(a.org, a.id, a.body),
    usage: (a) => reg.usage(a.org, a.id),
    delete_credential: (a) => reg.deleteCredential(a.org, a.id, { force: a.force }),
    link_number: (a) => reg.linkNumber(a.org, a.number, a.credentialId),
    unlink_number: (a) => reg.unlinkNumber(a.org, a.number),
    delete_number: (a) => reg.deleteNumber(a.org, a.number),
    create_agent: (a) => reg.createAgent(a.org, a.name),
    get_agent: (a) => reg.getAgent(a.org, a.id),
    assign_number: (a) => reg.assignNumber(a.org, a.agentId, a.number),
    delete_agent: (a) => reg.deleteAgent(a.org, a.id),
    connect_provider: (a) => reg.connectProvider(a.org, a.kind, a.name, a.body),
    delete_provider: (a) => reg.deleteProvider(a.org, a.id),
  }
  const ids = new Placeholders()
  const failures = []
  for (const [i, step] of steps.entries()) {
    const { op, expect, ...rest } = step
    const args = ids.input(rest)
    let got
    try {
      got = JSON.stringify(await ops[op](args))
    } catch (e) {
      assert.ok(e instanceof sipcreds.SipcredsError, `${op}: ${e}`)
      got = JSON.stringify(e)
    }
    got = ids.normalize(got)
    if (got !== expect) failures.push(`step ${i + 1} (${op}):\n   want ${expect}\n   got  ${got}`)
  }
  assert.deepStrictEqual(failures, [])
})

test('every code has its class, and the schema is the core one', () => {
  const codes = sipcreds.listAllErrors().map((e) => e.code)
  assert.ok(codes.includes('invalid_option'))
  const schema = sipcreds.schema()
  assert.deepStrictEqual(schema.required, ['server'])
  assert.strictEqual(schema.properties.cpsLimit['x-sipcreds-code'], 'invalid_cps_limit')
})
