'use strict'
// Health over time (SPEC §13) through the registry: records, pages, pause and resume with
// their events; another org's credential is not found.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const sipcreds = require('../sipcreds.js')

test('health records, pause, resume and events', async () => {
  const reg = new sipcreds.Registry()
  const c = await reg.createCredential('acme', { server: 'sip.example.com', authUser: 'u', authPassword: 'pw' })
  const h = await reg.health('acme', c.id)
  assert.deepEqual([h.state, h.nextProbeAt, h.probes, h.credentialId], ['unknown', null, 0, c.id])
  assert.equal((await reg.pause('acme', c.id)).state, 'paused')
  const resumed = await reg.resume('acme', c.id)
  assert.equal(resumed.state, 'unknown')
  assert.notEqual(resumed.nextProbeAt, null)
  const events = await reg.healthEvents('acme', c.id)
  assert.deepEqual(events.map((e) => [e.from, e.to, e.outcome]), [['unknown', 'paused', null], ['paused', 'unknown', null]])
  for (const call of ['health', 'healthEvents', 'pause', 'resume']) {
    await assert.rejects(reg[call]('globex', c.id), (e) => e instanceof sipcreds.NotFoundError)
  }
  reg.close()
})

test('healthList whole and paged', async () => {
  const reg = new sipcreds.Registry()
  const ids = []
  for (let i = 0; i < 5; i++) ids.push((await reg.createCredential('acme', { server: `t${i}.example.com` })).id)
  ids.sort()
  assert.deepEqual((await reg.healthList('acme')).map((r) => r.credentialId), ids)
  const page = await reg.healthList('acme', { limit: 2 })
  assert.deepEqual(page.items.map((r) => r.credentialId), ids.slice(0, 2))
  const rest = await reg.healthList('acme', { limit: 10, after: page.next })
  assert.deepEqual([rest.items.map((r) => r.credentialId), rest.next], [ids.slice(2), null])
  await assert.rejects(reg.healthList('acme', { limit: 0 }), (e) => e.code === 'invalid_option')
  reg.close()
})
