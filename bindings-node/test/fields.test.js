'use strict'
// The object path of validateCredential (the fields as arguments of `checkCredentialValues`, no
// JSON text) answers exactly as the JSON text path does, on a seeded mix of values at the
// edges of every rule, and hands every case it cannot answer identically to the JSON path.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const sipcreds = require(process.env.SIPCREDS_NODE_PACKAGE || '..')
const { rng } = require('../bench/rng.js')
const native = require(path.join(process.env.SIPCREDS_NODE_PACKAGE || path.join(__dirname, '..'), 'index.js'))


const KEYS = ['name', 'server', 'authUser', 'authPassword', 'domain', 'transport', 'cpsLimit', 'cpsKey']
const VALUES = [
  null, undefined, true, false, 0, -0, 1, -1, 10, 10000, 10001, 2 ** 53 - 1, 2 ** 53, 1.5, NaN, Infinity, 1e21,
  '', ' ', 'sip.example.com', 'SIP.Example.COM:5061', '[2001:DB8::1]:5060', '2001:db8::1', 'sip:u:pw@host',
  'user@x.com', 'x.com:99999', 'a..b.com', '-a.com', 'pbx.bücher.example', 'xn--bcher-kva.example', 'TLS', 'udp',
  'sctp', 'pool-1', 'k ey', 'a\u0001b', 'tab\there', 'x'.repeat(300), 'é'.repeat(70), '\u202e', '🙂', [], {}, [1],
]

function answer(f) {
  try {
    return { ok: f() }
  } catch (e) {
    return { code: e.code, field: e.field, message: e.message }
  }
}

test('an object answers as its JSON text does', () => {
  const r = rng(16)
  const pick = (xs) => xs[Math.floor(r() * xs.length)]
  let packedCases = 0
  for (let i = 0; i < 20000; i++) {
    const obj = {}
    const n = Math.floor(r() * 9)
    for (let k = 0; k < n; k++) obj[pick(KEYS)] = pick(VALUES)
    if (r() < 0.5) obj.server = pick(['sip.example.com', 'a.example.org:5080', '[2001:db8::2]'])
    if (r() < 0.03) obj.extra = 1
    let text
    try {
      text = JSON.stringify(obj)
    } catch {
      continue
    }
    // Values the argument form carries; anything else (NaN, a float, a list) takes the JSON
    // path as before, where a non-JSON value is refused as its type rather than written as
    // JSON.stringify would (NaN is not null).
    const packable = Object.values(obj).every(
      (v) => v === null || v === undefined || ['string', 'boolean'].includes(typeof v) || Number.isSafeInteger(v),
    )
    if (!packable) continue
    packedCases++
    const viaObject = answer(() => sipcreds.validateCredential(obj))
    const viaText = answer(() => sipcreds.validateCredential(text))
    assert.deepEqual(viaObject, viaText, `${text}`)
    assert.deepEqual(sipcreds.safeValidateCredential(obj).success, viaText.ok !== undefined)
  }
  assert.ok(packedCases > 5000, `the argument path was exercised (${packedCases} cases)`)
})

test('arguments not of their kind are refused, not misread', () => {
  const K = native.argumentKinds()
  const kinds = (...ks) => ks.reduce((acc, k, i) => acc | (k << (3 * i)), 0)
  const server = kinds(K.absent, K.string)
  // A string said to be a number, a number said to be a string, an object, an unknown kind.
  assert.equal(native.checkCredentialValues(kinds(K.absent, K.number), undefined, 'sip.example.com'), '')
  assert.equal(native.checkCredentialValues(kinds(K.absent, K.string, K.absent, K.absent, K.absent, K.absent, K.string), undefined, 'sip.example.com', undefined, undefined, undefined, undefined, 5), '')
  assert.equal(native.checkCredentialValues(kinds(K.absent, K.string), undefined, {}), '')
  assert.equal(native.checkCredentialValues(kinds(K.absent, 7), undefined, 'sip.example.com'), '')
  // Not a whole number in the safe range.
  for (const n of [1.5, 2 ** 53, NaN, Infinity]) {
    const k = kinds(K.absent, K.string, K.absent, K.absent, K.absent, K.absent, K.number)
    assert.equal(native.checkCredentialValues(k, undefined, 'sip.example.com', undefined, undefined, undefined, undefined, n), '')
  }
  // A string longer than the scratch buffer takes the JSON path.
  assert.equal(native.checkCredentialValues(server, undefined, 'x'.repeat(70000)), '')
  // Well formed: a valid credential answered by one number, an invalid one by its error text.
  assert.equal(typeof native.checkCredentialValues(server, undefined, 'sip.example.com'), 'number')
  const k = kinds(K.absent, K.string, K.absent, K.absent, K.absent, K.absent, K.number)
  const bad = native.checkCredentialValues(k, undefined, 'sip.example.com', undefined, undefined, undefined, undefined, 0)
  assert.equal(bad, native.checkCredentialFields('{"server":"sip.example.com","cpsLimit":0}'))
  // Values that are not the field's kind and are not read (a null said absent) count as said.
  assert.equal(native.checkCredentialValues(server, 'ignored', 'sip.example.com'), native.checkCredentialValues(server, undefined, 'sip.example.com'))
})

test('valid credentials answer the same fields through the one-number reply and the text', () => {
  // Shapes that take the one-number reply (names, users, keys, ports, lowercased hosts and
  // domains, realms from either) and those that need the text (IDNs, IPv6, trailing dots).
  const r = rng(32)
  const pick = (xs) => xs[Math.floor(r() * xs.length)]
  const servers = ['sip.example.com', 'SIP.Example.COM', 'a.example.org:5080', 'Trunk-1.EU.example.net:5061', '203.0.113.7', '203.0.113.7:5062', 'sip.example.com.', '[2001:DB8::1]:5060', 'pbx.bücher.example', 'xn--bcher-kva.example:5070']
  const domains = [undefined, null, 'example.com', 'Example.COM', 'sip.example.com', '198.51.100.1', '[2001:db8::9]', 'bücher.example']
  let compact = 0
  for (let i = 0; i < 5000; i++) {
    const obj = { server: pick(servers) }
    if (r() < 0.7) obj.name = pick([`Trunk ${i}`, 'ü-Trunk', 'x'])
    if (r() < 0.7) Object.assign(obj, { authUser: pick([`u${i}`, 'acme%20x', 'A.B']), authPassword: `pw ${i}` })
    const domain = pick(domains)
    if (domain !== undefined) obj.domain = domain
    if (r() < 0.8) obj.transport = pick(['udp', 'TCP', 'Tls', 'tls'])
    if (r() < 0.6) obj.cpsLimit = pick([1, 10, 10000, null])
    if (r() < 0.5) obj.cpsKey = pick(['pool-1', 'A.b:c', null])
    const K = native.argumentKinds()
    const args = native.createFields().map((k) => obj[k])
    const kinds = args.reduce((acc, v, i) => acc | ((v === undefined ? K.absent : v === null ? K.null : typeof v === 'number' ? K.number : K.string) << (3 * i)), 0)
    if (typeof native.checkCredentialValues(kinds, ...args) === 'number') compact++
    assert.deepEqual(answer(() => sipcreds.validateCredential(obj)), answer(() => sipcreds.validateCredential(JSON.stringify(obj))), JSON.stringify(obj))
  }
  assert.ok(compact > 2000 && compact < 5000, `both replies were exercised (${compact} of 5000 by number)`)
})
