'use strict'
// PostgreSQL and Redis through the Node surface, on the servers scripts/ci/services.sh starts:
// two registries on one postgres:// URL (two instances) with the CPS limiter in Redis.
// Skipped without the servers, unless SIPCREDS_REQUIRE_SERVICES=1 (CI).
const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const util = require('node:util')
const sipcreds = require(process.env.SIPCREDS_NODE_PACKAGE || '..')

const PG = process.env.SIPCREDS_TEST_POSTGRES_URL
const REDIS = process.env.SIPCREDS_TEST_REDIS_URL
const have = Boolean(PG && REDIS)
if (!have && process.env.SIPCREDS_REQUIRE_SERVICES) {
  throw new Error('SIPCREDS_TEST_POSTGRES_URL / SIPCREDS_TEST_REDIS_URL are not set')
}
// The shared test database was created under this key (services.sh).
if (have) process.env.SIPCREDS_KEY = process.env.SIPCREDS_TEST_KEY
const org = () => 'js-' + crypto.randomBytes(6).toString('hex')

test('two instances share the PostgreSQL registry', { skip: !have }, async () => {
  const a = new sipcreds.Registry(PG)
  const b = new sipcreds.Registry(PG, { limiter: REDIS })
  const o = org()
  const c = await a.createCredential(o, { server: 'sip.example.com', authUser: 'u', authPassword: 'Js-Pg-Secret-1' })
  assert.equal((await b.getCredential(o, c.id)).revealPassword(), 'Js-Pg-Secret-1')
  await b.linkNumber(o, '+14155550100', c.id)
  await assert.rejects(a.deleteCredential(o, c.id), (e) => e.code === 'in_use')
  assert.ok(!util.inspect(await a.listCredentials(o), { depth: 5 }).includes('Js-Pg-Secret-1'))
  const d = b.tryAcquire(o, c.id)
  assert.equal(typeof d.admitted, 'boolean')
})

test('a URL password never shows, and a bad limiter is clear', { skip: !have }, async () => {
  assert.throws(() => new sipcreds.Registry('postgres://u:Hunter2-pw@127.0.0.1:1/x'), (e) => {
    assert.equal(e.code, 'storage')
    assert.ok(!e.message.includes('Hunter2') && !util.inspect(e).includes('Hunter2'))
    return true
  })
  assert.throws(() => new sipcreds.Registry(PG, { limiter: 'file' }), (e) => e.field === 'limiter')
  const reg = new sipcreds.Registry(null, { limiter: 'redis://:Hunter2-pw@127.0.0.1:1/' })
  const c = await reg.createCredential(org(), { server: 'sip.example.com' })
  assert.throws(() => reg.tryAcquire(c.org, c.id), (e) => e.code === 'storage' && !e.message.includes('Hunter2'))
  const named = new sipcreds.Registry(PG.replace('postgres://postgres@', 'postgres://postgres:pw-Hunter2@'))
  assert.ok(!named.path.includes('Hunter2') && !util.inspect(named).includes('Hunter2'))
})
