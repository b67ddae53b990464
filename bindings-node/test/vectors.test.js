'use strict'
// The shared conformance vectors through `validateCredential`: every vector as JSON text and
// as a Buffer, and every vector with a structured input also as an object.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const sipcreds = require(process.env.SIPCREDS_NODE_PACKAGE || '..')

const file = process.env.SIPCREDS_VECTORS || path.join(__dirname, '..', '..', 'tests', 'vectors', 'credentials.json')
const vectors = JSON.parse(fs.readFileSync(file, 'utf8'))

function check(v, input) {
  if (v.expect) {
    const out = sipcreds.validateCredential(input)
    for (const [key, want] of Object.entries(v.expect)) {
      assert.deepStrictEqual(out[key], want, `${v.name}: ${key}`)
    }
    assert.ok(!('authPassword' in out))
  } else {
    assert.throws(
      () => sipcreds.validateCredential(input),
      (e) => {
        assert.ok(e instanceof sipcreds.ValidationError, `${v.name}: ${e}`)
        assert.ok(e instanceof Error)
        assert.equal(e.code, v.error.code, v.name)
        assert.equal(e.field, v.error.field, v.name)
        return true
      },
    )
  }
}

test('there are vectors', () => assert.ok(vectors.length >= 200))

test('every vector as JSON text and as a Buffer', () => {
  for (const v of vectors) {
    const text = 'raw' in v ? v.raw : JSON.stringify(v.input)
    check(v, text)
    check(v, Buffer.from(text, 'utf8'))
  }
})

test('every structured vector as an object', () => {
  let n = 0
  for (const v of vectors) {
    if (v.input !== null && typeof v.input === 'object' && !Array.isArray(v.input)) {
      check(v, v.input)
      n++
    }
  }
  assert.ok(n > 150)
})
