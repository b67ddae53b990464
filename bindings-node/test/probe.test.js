// The live probe through the Node package: a real Kamailio on loopback (started here,
// killed by pid), a closed port, and the errors that stop a probe from starting.
'use strict'
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const dgram = require('node:dgram')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { Registry, NotFoundError, ValidationError } = require(process.env.SIPCREDS_NODE_PACKAGE || '..')

const KAMAILIO = ['/usr/sbin/kamailio', '/usr/bin/kamailio'].find((p) => fs.existsSync(p))
let kam = null
let port = 0

async function freePort() {
  for (;;) {
    const p = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const got = s.address().port
        s.close(() => resolve(got))
      })
    })
    const ok = await new Promise((resolve) => {
      const u = dgram.createSocket('udp4')
      u.once('error', () => resolve(false))
      u.bind(p, '127.0.0.1', () => u.close(() => resolve(true)))
    })
    if (ok) return p
  }
}

const config = (p) => `#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:${p}
listen=tcp:127.0.0.1:${p}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "auth.so"
request_route {
  if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
  if (is_method("REGISTER")) {
    if (!pv_auth_check("sip.test", "secret", "0", "1")) { auth_challenge("sip.test", "1"); exit; }
    sl_send_reply("200", "OK");
    exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
`

before(async () => {
  if (!KAMAILIO) {
    if (process.env.SIPCREDS_REQUIRE_SERVICES === '1') throw new Error('kamailio is not installed and SIPCREDS_REQUIRE_SERVICES=1')
    return
  }
  port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipcreds-node-kam-'))
  fs.writeFileSync(path.join(dir, 'k.cfg'), config(port))
  kam = spawn(KAMAILIO, ['-f', path.join(dir, 'k.cfg'), '-P', path.join(dir, 'pid'), '-E', '-DD', '-w', dir], {
    detached: true,
    stdio: 'ignore',
  })
  // Ready when an OPTIONS gets an answer.
  const sock = dgram.createSocket('udp4')
  await new Promise((resolve) => sock.bind(0, '127.0.0.1', resolve))
  const me = sock.address().port
  const deadline = Date.now() + 10000
  let answered = false
  sock.on('message', (m) => {
    if (m.toString().startsWith('SIP/2.0')) answered = true
  })
  while (!answered) {
    if (Date.now() > deadline) throw new Error('kamailio does not answer')
    const msg = `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bKw\r\nFrom: <sip:w@x>;tag=1\r\nTo: <sip:x>\r\nCall-ID: w${Date.now()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`
    sock.send(msg, port, '127.0.0.1')
    await new Promise((r) => setTimeout(r, 100))
  }
  sock.close()
})

after(() => {
  if (kam) {
    try {
      process.kill(-kam.pid, 'SIGTERM')
    } catch {}
  }
})

test('ok, auth_rejected and realm_mismatch against Kamailio, off the JS thread', { skip: !KAMAILIO && 'kamailio is not installed' }, async () => {
  const reg = new Registry()
  const make = (pw, domain = 'sip.test') =>
    reg.createCredential('acme', { server: `127.0.0.1:${port}`, authUser: 'alice', authPassword: pw, domain })
  const good = await make('secret')
  const bad = await make('not-the-password')
  const realm = await make('secret', 'elsewhere.test')
  // The event loop keeps running while the probes run.
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const [a, b, c] = await Promise.all([
    reg.probe('acme', good.id),
    reg.probe('acme', bad.id, { timeout: 2 }),
    reg.probe('acme', realm.id),
  ])
  clearInterval(timer)
  assert.equal(a.outcome, 'ok')
  assert.deepEqual(a.challenge, { realm: 'sip.test', algorithm: 'MD5', qop: 'auth' })
  assert.equal(a.requestsSent, 3)
  assert.deepEqual(a.causes, [])
  assert.equal(b.outcome, 'auth_rejected')
  assert.equal(b.symptom, '401')
  assert.equal(b.causes[0].code, 'wrong_credentials')
  assert.ok(!JSON.stringify(b).includes('not-the-password'))
  assert.equal(c.outcome, 'realm_mismatch')
  assert.equal(c.realmMatches, false)
  assert.ok(ticks >= 0)
})

test('a silent server is a timeout within the budget, and the loop runs meanwhile', async () => {
  const silent = dgram.createSocket('udp4')
  await new Promise((r) => silent.bind(0, '127.0.0.1', r))
  const reg = new Registry()
  const c = await reg.createCredential('acme', { server: `127.0.0.1:${silent.address().port}` })
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  const r = await reg.probe('acme', c.id, { timeout: 0.5 })
  clearInterval(timer)
  silent.close()
  assert.equal(r.outcome, 'timeout')
  assert.ok(Math.abs(r.elapsedMs - 500) <= 50, String(r.elapsedMs))
  assert.ok(ticks > 20, `the JS thread was blocked: ${ticks} ticks`)
})

test('a closed TCP port is connection_refused', async () => {
  const reg = new Registry()
  const c = await reg.createCredential('acme', { server: `127.0.0.1:${await freePort()}`, transport: 'tcp' })
  const r = await reg.probe('acme', c.id, { timeout: 1 })
  assert.equal(r.outcome, 'connection_refused')
  assert.equal(r.steps[1].step, 'connect')
  assert.equal(r.steps[1].ok, false)
})

test('options that do not parse reject with invalid_option; an unknown id with not_found', async () => {
  const reg = new Registry()
  const c = await reg.createCredential('acme', { server: '127.0.0.1:9' })
  for (const [options, field] of [
    [{ timeout: 0 }, 'timeout'],
    [{ timeout: 'x' }, 'timeout'],
    [{ caFile: '/nonexistent.pem' }, 'caFile'],
    [{ nameserver: 'dns' }, 'nameserver'],
    [{ localAddress: 'me' }, 'localAddress'],
    [{ colour: 1 }, 'colour'],
    ['fast', 'options'],
  ]) {
    await assert.rejects(reg.probe('acme', c.id, options), (e) => e instanceof ValidationError && e.code === 'invalid_option' && e.field === field)
  }
  await assert.rejects(reg.probe('acme', 'cred_01J00000000000000000000000'), (e) => e instanceof NotFoundError)
})

/** UDP sockets that read and never answer. */
async function silentSockets(n) {
  const socks = []
  for (let i = 0; i < n; i++) {
    const s = dgram.createSocket('udp4')
    s.on('message', () => {})
    await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve))
    socks.push(s)
  }
  return socks
}

test('a hundred probes wait on sockets, not threads, and other calls go on', async () => {
  // SPEC §12: 100 concurrent probes of silent peers with a 1 s budget end within 1.2 s, and
  // a registry call made meanwhile answers in under 10 ms.
  const socks = await silentSockets(100)
  const reg = new Registry()
  const ids = []
  for (const s of socks) {
    ids.push((await reg.createCredential('acme', { server: `127.0.0.1:${s.address().port}` })).id)
  }
  const began = performance.now()
  const probes = ids.map((id) => reg.probe('acme', id, { timeout: 1 }))
  await new Promise((resolve) => setTimeout(resolve, 300))
  const t = performance.now()
  const count = await reg.countCredentials('acme')
  const callMs = performance.now() - t
  const reports = await Promise.all(probes)
  const wall = performance.now() - began
  for (const s of socks) s.close()
  assert.equal(count, 100)
  assert.ok(reports.every((r) => r.outcome === 'timeout'))
  assert.ok(wall < 1200, `100 probes of 1 s took ${wall.toFixed(0)} ms`)
  assert.ok(callMs < 10, `countCredentials took ${callMs.toFixed(1)} ms during the probes`)
})

test('probeAll yields each report as it ends', async () => {
  const socks = await silentSockets(10)
  const reg = new Registry()
  const slow = []
  for (const s of socks) {
    slow.push((await reg.createCredential('acme', { server: `127.0.0.1:${s.address().port}` })).id)
  }
  // A closed TCP port is refused at once: its report comes first, though created last.
  const fast = (await reg.createCredential('acme', { server: `127.0.0.1:${await freePort()}`, transport: 'tcp' })).id
  const began = performance.now()
  const seen = []
  for await (const r of reg.probeAll('acme', { concurrency: 11, timeout: 0.5 })) {
    seen.push([r.credentialId, performance.now() - began])
  }
  for (const s of socks) s.close()
  assert.equal(seen.length, 11)
  assert.equal(seen[0][0], fast)
  assert.ok(seen[0][1] < 300, `the refused probe came after ${seen[0][1]} ms`)
  assert.deepEqual(new Set(seen.slice(1).map(([id]) => id)), new Set(slow))
  assert.ok(seen[10][1] < 800, `the last came after ${seen[10][1]} ms`)
  await assert.rejects(
    async () => {
      for await (const r of reg.probeAll('acme', { concurrency: 0 })) void r
    },
    (e) => e instanceof ValidationError && e.field === 'concurrency',
  )
})

test('close() while probes run: the probes end with their reports, later calls reject', async () => {
  const socks = await silentSockets(5)
  const reg = new Registry()
  const ids = []
  for (const s of socks) ids.push((await reg.createCredential('acme', { server: `127.0.0.1:${s.address().port}` })).id)
  const probes = ids.map((id) => reg.probe('acme', id, { timeout: 0.3 }))
  reg.close()
  const reports = await Promise.all(probes)
  for (const s of socks) s.close()
  assert.ok(reports.every((r) => r.outcome === 'timeout'))
  await assert.rejects(reg.probe('acme', ids[0]), (e) => e.code === 'storage')
  await assert.rejects(reg.countCredentials('acme'), (e) => e.code === 'storage')
})
