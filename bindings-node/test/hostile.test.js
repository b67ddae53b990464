'use strict'
// Hostile input through the Node boundary (SPEC §4, §8): strings napi cannot convert faithfully,
// URLs with passwords in every spelling, field names that would forge a log line; the panic
// boundary; the calls that keep the JS thread free.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')
const sipcreds = require(process.env.SIPCREDS_NODE_PACKAGE || '..')
const native = require(path.join(process.env.SIPCREDS_NODE_PACKAGE || path.join(__dirname, '..'), 'index.js'))

const SECRET = 'Hunter2-never-shown'

function shown(e) {
  return [String(e), e.message, util.inspect(e), JSON.stringify(e)].join('\n')
}

test('a lone surrogate gets the field its own code, and the value never shows', () => {
  const cases = [
    [{ server: 'sip.example.com', authUser: 'acme', authPassword: SECRET + '\uD800' }, 'invalid_auth_password', 'authPassword'],
    [{ server: SECRET + '\uDC80.example.com' }, 'invalid_server', 'server'],
    [{ server: 'sip.example.com', name: SECRET + '\uDFFF' }, 'invalid_name', 'name'],
    [{ server: 'sip.example.com', [SECRET + '\uD800']: 1 }, 'invalid_json', null],
  ]
  for (const [body, code, field] of cases) {
    for (const call of [() => sipcreds.validateCredential(body), () => sipcreds.lintCredential(body)]) {
      assert.throws(call, (e) => {
        assert.ok(e instanceof sipcreds.ValidationError, String(e))
        assert.equal(e.code, code)
        assert.equal(e.field, field)
        assert.ok(!shown(e).includes(SECRET), shown(e))
        return true
      })
    }
  }
  // As JSON text: invalid_json (never a password silently turned into U+FFFD).
  const text = `{"server":"sip.example.com","authUser":"a","authPassword":"${SECRET}\uD800"}`
  assert.throws(() => sipcreds.validateCredential(text), (e) => e.code === 'invalid_json' && !shown(e).includes(SECRET))
})

test('registry operations refuse lone surrogates the same way', async () => {
  const reg = new sipcreds.Registry()
  await assert.rejects(
    reg.createCredential('acme', { server: 'sip.example.com', authUser: 'a', authPassword: SECRET + '\uDBFF' }),
    (e) => e.code === 'invalid_auth_password' && e.field === 'authPassword' && !shown(e).includes(SECRET),
  )
  const c = await reg.createCredential('acme', { server: 'sip.example.com' })
  await assert.rejects(
    reg.updateCredential('acme', c.id, { authUser: 'a', authPassword: SECRET + '\uDC00' }),
    (e) => e.code === 'invalid_auth_password' && !shown(e).includes(SECRET),
  )
  await assert.rejects(
    reg.createCredentials('acme', [{ server: 'a.example.com', authUser: 'a', authPassword: SECRET + '\uD800' }]),
    (e) => e.code === 'invalid_auth_password' && !shown(e).includes(SECRET),
  )
  assert.equal((await reg.listCredentials('acme')).length, 1)
})

test('a server userinfo password is masked', () => {
  for (const server of [`sip:acme:${SECRET}@sip.example.com`, `acme:${SECRET}@host:5060`, `acme:${SECRET}/x?y@host`]) {
    assert.throws(
      () => sipcreds.validateCredential({ server }),
      (e) => e.code === 'invalid_server' && !shown(e).includes(SECRET) && e.message.includes('acme:***@'),
    )
  }
})

test('store and limiter URLs never show their password, and are never file paths', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipcreds-hostile-'))
  const cwd = process.cwd()
  process.chdir(dir)
  process.env.SIPCREDS_KEY = 'c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE='
  try {
    for (const url of [
      `postgres://app:pa/${SECRET}@127.0.0.1:1/db`,
      `postgres://app:pa?${SECRET}@127.0.0.1:1/db`,
      `postgres://127.0.0.1:1/db?password=${SECRET}`,
      `POSTGRES://app:${SECRET}@127.0.0.1:1/db`,
    ]) {
      assert.throws(() => new sipcreds.Registry(url), (e) => e.code === 'storage' && !shown(e).includes(SECRET))
      await assert.rejects(sipcreds.Registry.open(url), (e) => e.code === 'storage' && !shown(e).includes(SECRET))
    }
    for (const limiter of [`Redis://:${SECRET}@127.0.0.1:1/0?fallback=nope`, `memcached://:${SECRET}@127.0.0.1:1/`]) {
      assert.throws(() => new sipcreds.Registry('x.db', { limiter }), (e) => !shown(e).includes(SECRET))
    }
    assert.deepEqual(fs.readdirSync(dir).filter((f) => !f.startsWith('x.')), [])
  } finally {
    process.chdir(cwd)
    delete process.env.SIPCREDS_KEY
  }
})

test('path and inspect mask a URL password in every spelling', () => {
  for (const url of [`postgres://app:pa/${SECRET}@h/db`, `POSTGRES://app:${SECRET}@h/db`, `postgres://h/db?password=${SECRET}`]) {
    assert.ok(!native.redactLocation(url).includes(SECRET), native.redactLocation(url))
  }
})

test('unknown field names are escaped and capped', () => {
  const key = 'x\u001b]0;owned\u0007\r\nINFO login ok user=admin\u202e' + 'k'.repeat(200)
  assert.throws(
    () => sipcreds.validateCredential({ server: 'sip.example.com', [key]: 1 }),
    (e) => {
      assert.equal(e.code, 'unknown_field')
      assert.ok(e.field.length <= 64, e.field)
      assert.ok(e.field.startsWith('x\\u001b]0;owned\\u0007\\u000d\\u000aINFO'), e.field)
      for (const t of [e.field, e.message, JSON.stringify(e.toJSON())]) {
        // eslint-disable-next-line no-control-regex
        assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202e]/.test(t), t)
      }
      return true
    },
  )
})

test('a panic in the addon is an error, not an aborted process', async () => {
  assert.throws(() => native.__panicForTest(false), (e) => e.message.includes('panicked'))
  await assert.rejects(native.__panicForTest(true), (e) => e.message.includes('panicked'))
  // The addon still works after both.
  assert.equal(sipcreds.validateCredential({ server: 'a.example.com' }).port, 5060)
})

test('Registry.open and tryAcquireAsync keep the JS thread free and answer the same', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipcreds-open-'))
  const reg = await sipcreds.Registry.open(path.join(dir, 'x.db'))
  assert.equal(reg.path, path.join(dir, 'x.db'))
  const c = await reg.createCredential('acme', { server: 'sip.example.com', cpsLimit: 2 })
  const a = await reg.tryAcquireAsync('acme', c.id)
  const b = reg.tryAcquire('acme', c.id)
  const d = await reg.tryAcquireAsync('acme', c.id)
  assert.deepEqual([a.admitted, b.admitted, d.admitted], [true, true, false])
  assert.ok(d.retryAfterMs > 0)
  await assert.rejects(reg.tryAcquireAsync('acme', 'cred_01JD0000000000000000000000'), (e) => e.code === 'not_found')
})

test('a Buffer that is not UTF-8 is invalid_json, never a password with U+FFFD in it', () => {
  const bytes = Buffer.concat([
    Buffer.from('{"server":"sip.example.com","authUser":"a","authPassword":"' + SECRET),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}'),
  ])
  assert.throws(() => sipcreds.validateCredential(bytes), (e) => e.code === 'invalid_json' && !shown(e).includes(SECRET))
})
