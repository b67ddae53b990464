'use strict'
// The registry across the Node boundary: types, errors, secrets, Promises, persistence.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')
const sipcreds = require(process.env.SIPCREDS_NODE_PACKAGE || '..')

const PASSWORD = 'Pa55-word-that-must-never-show'
const TRUNK = {
  name: 'Main trunk',
  server: 'SIP.Example.com:5061',
  transport: 'TLS',
  authUser: 'acme-trunk',
  authPassword: PASSWORD,
  cpsLimit: 10,
  cpsKey: 'acme-shared',
}

function tmpdb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipcreds-node-'))
  return path.join(dir, 'sipcreds.db')
}

function registries() {
  delete process.env.SIPCREDS_KEY
  return [
    ['memory', new sipcreds.Registry()],
    ['sqlite', new sipcreds.Registry(tmpdb())],
  ]
}

test('credentials are plain objects in the §3 shape', async () => {
  for (const [kind, reg] of registries()) {
    const c = await reg.createCredential('acme', TRUNK)
    assert.equal(Object.getPrototypeOf(c), Object.prototype, kind)
    assert.deepEqual(Object.keys(c).sort(), [
      'authUser', 'cpsKey', 'cpsLimit', 'createdAt', 'domain', 'hasPassword', 'host', 'id', 'name', 'org',
      'port', 'providerId', 'readOnly', 'realm', 'server', 'source', 'transport', 'updatedAt', 'version',
    ])
    assert.match(c.id, /^cred_[0-9A-Z]{26}$/)
    assert.equal(c.server, 'sip.example.com:5061')
    assert.equal(c.port, 5061)
    assert.equal(c.transport, 'tls')
    assert.equal(c.providerId, null)
    assert.equal(c.domain, null)
    assert.equal(c.version, 1)
    const again = await reg.getCredential('acme', c.id)
    assert.deepEqual(JSON.parse(JSON.stringify(again)), JSON.parse(JSON.stringify(c)))
    assert.equal((await reg.listCredentials('acme')).length, 1)
  }
})

test('the password never shows; revealPassword() reads it', async () => {
  for (const [kind, reg] of registries()) {
    const c = await reg.createCredential('acme', TRUNK)
    const list = await reg.listCredentials('acme')
    const shown = [
      JSON.stringify(c), util.inspect(c), util.inspect(c, { showHidden: true, depth: 10 }), String(c),
      util.inspect(list, { showHidden: true, depth: 10 }), JSON.stringify({ ...c }), util.format('%o', c),
      JSON.stringify(sipcreds.validateCredential(TRUNK)), util.inspect(reg, { showHidden: true }),
      JSON.stringify(await reg.lint('acme')), JSON.stringify(sipcreds.lintCredential(TRUNK)),
    ]
    for (const bad of [{ ...TRUNK, cpsLimit: 0 }, { ...TRUNK, nope: PASSWORD }, { ...TRUNK, authPassword: PASSWORD + '\n' }]) {
      await assert.rejects(reg.createCredential('acme', bad), (e) => {
        shown.push(e.message, e.stack, util.inspect(e, { showHidden: true }), JSON.stringify(e))
        return e instanceof sipcreds.ValidationError
      })
    }
    for (const s of shown) assert.ok(!s.includes(PASSWORD), `${kind}: ${s.slice(0, 200)}`)
    assert.equal(c.revealPassword(), PASSWORD)
    assert.equal(list[0].revealPassword(), PASSWORD)
    assert.equal((await reg.getCredential('acme', c.id)).revealPassword(), PASSWORD)
    assert.equal(Object.keys(c).includes('revealPassword'), false)
  }
})

test('store operations return Promises and the event loop keeps running', async () => {
  const reg = new sipcreds.Registry(tmpdb())
  await reg.listCredentials('acme') // the file is open and warm
  let settled = 0
  const pending = []
  for (let i = 0; i < 300; i++) {
    const p = reg.createCredential('acme', { server: `t${i}.example.com` })
    assert.ok(p instanceof Promise)
    pending.push(p.then((c) => (settled++, c)))
  }
  // Had the writes run on the JS thread, all 300 would be done before this timer could fire.
  const settledWhenTimerFired = await new Promise((resolve) => setTimeout(() => resolve(settled), 0))
  const created = await Promise.all(pending)
  assert.ok(settledWhenTimerFired < 300, `the timer waited for ${settledWhenTimerFired} writes`)
  assert.equal(new Set(created.map((c) => c.id)).size, 300)
  assert.equal((await reg.listCredentials('acme')).length, 300)
})

test('errors are classes with .code and .field', async () => {
  const reg = new sipcreds.Registry()
  const c = await reg.createCredential('acme', TRUNK)
  await reg.linkNumber('acme', '+14155550100', c.id)
  const agent = await reg.createAgent('acme', 'Ada')
  await reg.assignNumber('acme', agent.id, '+14155550100')

  await assert.rejects(reg.deleteCredential('acme', c.id), (e) => {
    assert.ok(e instanceof sipcreds.InUseError && e instanceof sipcreds.SipcredsError && e instanceof Error)
    assert.equal(e.code, 'in_use')
    assert.equal(e.field, 'id')
    assert.deepEqual(e.usage, {
      phoneNumbers: ['+14155550100'],
      agents: [{ id: agent.id, name: 'Ada', via: ['+14155550100'] }],
    })
    assert.deepEqual(e.toJSON().error.usage, e.usage)
    return true
  })
  assert.equal((await reg.getCredential('acme', c.id)).version, 1)

  for (const call of [
    () => reg.getCredential('other', c.id),
    () => reg.usage('other', c.id),
    () => reg.getCredential('acme', 'cred_01ARZ3NDEKTSV4RRFFQ69G5FAV'),
    () => reg.getCredential('acme', 'garbage'),
    () => reg.getCredential('acme', 42),
  ]) {
    await assert.rejects(call(), (e) => e instanceof sipcreds.NotFoundError && e.code === 'not_found')
  }

  await assert.rejects(reg.updateCredential('acme', c.id, { expectedVersion: 5, name: 'x' }), (e) => {
    assert.ok(e instanceof sipcreds.ConflictError)
    assert.equal(e.expectedVersion, 5)
    assert.equal(e.actualVersion, 1)
    assert.equal(e.field, 'expectedVersion')
    return true
  })
  const updated = await reg.updateCredential('acme', c.id, { expectedVersion: 1, name: null, cpsLimit: 3 })
  assert.equal(updated.version, 2)
  assert.equal(updated.name, null)

  await assert.rejects(reg.listCredentials('no spaces'), (e) => e instanceof sipcreds.ValidationError && e.code === 'invalid_org')
  await assert.rejects(reg.listCredentials(7), (e) => e.code === 'invalid_org' && e.field === 'org')
  await assert.rejects(reg.linkNumber('acme', '4155550100', c.id), (e) => e.code === 'invalid_phone_number' && e.field === 'number')
  assert.throws(() => sipcreds.diagnose('418'), (e) => e instanceof sipcreds.ValidationError && e.code === 'invalid_symptom')

  const connected = await reg.connectProvider('acme', 'twilio', 'Twilio', [{ server: 'acme.pstn.twilio.com' }])
  const managed = connected.credentials[0]
  assert.equal(managed.readOnly, true)
  assert.equal(managed.source, 'provider')
  assert.equal(managed.providerId, connected.provider.id)
  assert.equal(managed.revealPassword(), null)
  await assert.rejects(reg.updateCredential('acme', managed.id, { name: 'mine' }), (e) => e instanceof sipcreds.ReadOnlyError && e.code === 'read_only')
  await assert.rejects(reg.deleteCredential('acme', managed.id, { force: true }), sipcreds.ReadOnlyError)
  await reg.linkNumber('acme', '+14155550101', managed.id)
  assert.deepEqual(await reg.deleteProvider('acme', connected.provider.id), {
    deleted: connected.provider.id,
    deletedCredentials: [managed.id],
    unlinkedNumbers: ['+14155550101'],
  })
  await assert.rejects(
    reg.connectProvider('acme', 'twilio', 'T', [{ server: 'ok.example.com' }, { server: 'sip:bad' }]),
    (e) => e.field === 'credentials[1].server',
  )
  assert.deepEqual(await reg.listProviders('acme'), [])

  assert.deepEqual(await reg.deleteCredential('acme', c.id, { force: true }), { deleted: c.id, unlinkedNumbers: ['+14155550100'] })
  assert.deepEqual(await reg.listNumbers('acme'), [
    { number: '+14155550100', credentialId: null },
    { number: '+14155550101', credentialId: null },
  ])
})

test('bad JavaScript values get the field code and change nothing', async () => {
  const reg = new sipcreds.Registry()
  const cases = [
    [{ server: 'x.example.com', cpsLimit: true }, 'invalid_cps_limit', 'cpsLimit'],
    [{ server: 'x.example.com', cpsLimit: 5.5 }, 'invalid_cps_limit', 'cpsLimit'],
    [{ server: 'x.example.com', cpsLimit: NaN }, 'invalid_cps_limit', 'cpsLimit'],
    [{ server: 'x.example.com', cpsLimit: Infinity }, 'invalid_cps_limit', 'cpsLimit'],
    [{ server: 'x.example.com', cpsLimit: 10n ** 30n }, 'invalid_cps_limit', 'cpsLimit'],
    [{ server: 'x.example.com', name: () => 1 }, 'invalid_name', 'name'],
    [{ server: 'x.example.com', name: { nested: [1] } }, 'invalid_name', 'name'],
    [{ server: null }, 'invalid_server', 'server'],
    [{ server: 'x.example.com', extra: 1 }, 'unknown_field', 'extra'],
    [{}, 'missing_field', 'server'],
    [[{ server: 'x.example.com' }], 'invalid_json', null],
    [42, 'invalid_json', null],
    [null, 'invalid_json', null],
    ['{"server":"a.example.com","server":"b.example.com"}', 'invalid_json', null],
    ['x'.repeat(70000), 'too_large', null],
  ]
  for (const [input, code, field] of cases) {
    assert.throws(() => sipcreds.validateCredential(input), (e) => e.code === code && e.field === field, `${code} ${field}`)
    await assert.rejects(reg.createCredential('acme', input), (e) => e instanceof sipcreds.ValidationError && e.code === code)
  }
  // A BigInt that fits is an integer; undefined is "absent".
  assert.equal(sipcreds.validateCredential({ server: 'x.example.com', cpsLimit: 7n, name: undefined }).cpsLimit, 7)
  assert.deepEqual(await reg.listCredentials('acme'), [])
})

test('the SQLite file persists, encrypts and refuses a wrong key', async () => {
  delete process.env.SIPCREDS_KEY
  const db = tmpdb()
  const reg = new sipcreds.Registry(db)
  assert.equal(reg.path, db)
  const c = await reg.createCredential('acme', TRUNK)
  await reg.linkNumber('acme', '+14155550100', c.id)
  const again = new sipcreds.Registry(db)
  assert.equal((await again.getCredential('acme', c.id)).revealPassword(), PASSWORD)
  assert.deepEqual((await again.usage('acme', c.id)).phoneNumbers, ['+14155550100'])
  const key = db.replace(/\.db$/, '.key')
  assert.equal(fs.statSync(key).mode & 0o777, 0o600)
  for (const f of fs.readdirSync(path.dirname(db))) {
    if (f.startsWith('sipcreds.db')) assert.ok(!fs.readFileSync(path.join(path.dirname(db), f)).includes(PASSWORD))
  }
  const other = tmpdb()
  process.env.SIPCREDS_KEY = Buffer.alloc(32, 7).toString('base64')
  await new sipcreds.Registry(other).createCredential('acme', TRUNK)
  process.env.SIPCREDS_KEY = Buffer.alloc(32, 9).toString('base64')
  assert.throws(() => new sipcreds.Registry(other), (e) => e instanceof sipcreds.StorageError && e.code === 'storage')
  delete process.env.SIPCREDS_KEY
  assert.throws(() => new sipcreds.Registry(null, { limiter: 'file' }), (e) => e.field === 'limiter')
})

test('safeValidateCredential answers without throwing, like validateCredential', () => {
  const ok = sipcreds.safeValidateCredential({ server: 'SIP.Example.com', transport: 'TLS', authUser: 'u', authPassword: PASSWORD })
  assert.equal(ok.success, true)
  assert.deepEqual(ok.data, sipcreds.validateCredential({ server: 'SIP.Example.com', transport: 'TLS', authUser: 'u', authPassword: PASSWORD }))
  assert.ok(!JSON.stringify(ok).includes(PASSWORD))
  const bad = sipcreds.safeValidateCredential({ server: 'sip:x.example.com' })
  assert.equal(bad.success, false)
  assert.equal(bad.error.code, 'invalid_server')
  assert.equal(bad.error.field, 'server')
  assert.match(bad.error.message, /scheme/)
  const whole = sipcreds.safeValidateCredential('{"server": 1,')
  assert.deepEqual([whole.success, whole.error.code, whole.error.field], [false, 'invalid_json', null])
})

test('module helpers', () => {
  assert.equal(sipcreds.version, require(`${process.env.SIPCREDS_NODE_PACKAGE || '..'}/package.json`).version)
  const codes = sipcreds.listAllErrors().map((e) => e.code)
  assert.ok(codes.includes('invalid_server') && codes.includes('storage'))
  assert.equal(new Set(codes).size, codes.length)
  assert.ok(sipcreds.symptoms().includes('401'))
  const d = sipcreds.diagnose(403, 'User channel limit exceeded')
  assert.equal(d.symptom, '403')
  assert.ok(d.causes[0].fix.length > 0)
  assert.ok(sipcreds.lintCredential({ server: 'x.example.com:5060', transport: 'tls' }).some((f) => f.code === 'tls_on_plain_port'))
})

test('hundreds of generated passwords never show', async () => {
  let seed = 20261127
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+-./:;<=>?@[]^_{|}~ éß中🙂'
  const chars = [...alphabet]
  const reg = new sipcreds.Registry()
  for (let i = 0; i < 500; i++) {
    const len = 12 + Math.floor(rand() * 28)
    let pw = ''
    for (let k = 0; k < len; k++) pw += chars[Math.floor(rand() * chars.length)]
    const body = { server: `t${i}.example.com`, authUser: `user${i}`, authPassword: pw, cpsLimit: 5 }
    const shown = [JSON.stringify(sipcreds.validateCredential(body)), JSON.stringify(sipcreds.safeValidateCredential(body))]
    const c = await reg.createCredential('acme', body)
    shown.push(JSON.stringify(c), util.inspect(c, { showHidden: true }))
    const { authUser, ...withoutUser } = body
    for (const bad of [{ ...body, cpsLimit: 0 }, { ...body, authPassword: pw + '\n' }, { ...body, extra: pw }, withoutUser]) {
      await assert.rejects(reg.createCredential('acme', bad), (e) => {
        shown.push(e.message, e.stack, JSON.stringify(e), util.inspect(e))
        return e instanceof sipcreds.ValidationError
      })
      shown.push(JSON.stringify(sipcreds.safeValidateCredential(bad)))
    }
    for (const s of shown) assert.ok(!s.includes(pw), `${pw} in ${s}`)
    assert.equal(c.revealPassword(), pw)
  }
})

test('countCredentials is the length of the list', async () => {
  const reg = new sipcreds.Registry()
  assert.equal(await reg.countCredentials('acme'), 0)
  await reg.createCredentials('acme', [0, 1, 2, 3, 4].map((i) => ({ server: `s${i}.example.com` })))
  await reg.createCredential('other', { server: 'x.example.com' })
  assert.equal(await reg.countCredentials('acme'), 5)
  assert.equal((await reg.listCredentials('acme')).length, 5)
  await assert.rejects(reg.countCredentials('Not An Org!'), (e) => e instanceof sipcreds.ValidationError && e.code === 'invalid_org')
})
