'use strict'
// Rate limits through the Node surface: record every admission's time and check every
// one-second window (§6), for a shared cpsKey group and a single group.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { performance } = require('node:perf_hooks')
const sipcreds = require(process.env.SIPCREDS_NODE_PACKAGE || '..')

/** Windows that certainly held more than `limit` admissions: each admission happened within
 * its [before, after] span (ms); `limit + 1` spans inside one second prove a violation. */
function provenViolations(spans, limit) {
  const sorted = [...spans].sort((a, b) => a[0] - b[0])
  const bad = []
  sorted.forEach(([start], i) => {
    const inside = sorted.slice(i).filter(([, after]) => after < start + 1000)
    if (inside.length > limit) bad.push(start)
  })
  return bad
}

function naiveViolations(times, limit) {
  const t = [...times].sort((a, b) => a - b)
  return t.filter((x, i) => i + limit < t.length && t[i + limit] < x + 1000)
}

test('the checkers catch a burst', () => {
  const spans = Array.from({ length: 6 }, (_, i) => [i * 10, i * 10 + 1])
  assert.ok(provenViolations(spans, 5).length > 0)
  assert.equal(provenViolations(spans, 6).length, 0)
  assert.ok(naiveViolations(spans.map((s) => s[0]), 5).length > 0)
})

test('hammering tryAcquire never exceeds any window, and does not starve', async () => {
  const reg = new sipcreds.Registry()
  const shared = []
  for (const [i, lim] of [8, 5, 12].entries()) {
    shared.push(await reg.createCredential('acme', { server: `s${i}.example.com`, cpsKey: 'pool', cpsLimit: lim }))
  }
  const single = await reg.createCredential('acme', { server: 'one.example.com', cpsLimit: 3 })
  const other = await reg.createCredential('other', { server: 's.example.com', cpsKey: 'pool', cpsLimit: 5 })
  const groups = {
    shared: { org: 'acme', ids: shared.map((c) => c.id), limit: 5, times: [] },
    single: { org: 'acme', ids: [single.id], limit: 3, times: [] },
    other: { org: 'other', ids: [other.id], limit: 5, times: [] },
  }
  const duration = 2600
  const end = performance.now() + duration
  let i = 0
  // Interleave with the event loop so timers and I/O would still run.
  while (performance.now() < end) {
    for (let k = 0; k < 200; k++) {
      const g = Object.values(groups)[i % 3]
      const id = g.ids[i % g.ids.length]
      i++
      const before = performance.now()
      const d = reg.tryAcquire(g.org, id)
      const after = performance.now()
      if (d.admitted) g.times.push([before, after])
      else assert.ok(d.retryAfterMs > 0 && d.retryAfterMs <= 1011, JSON.stringify(d))
    }
    await new Promise((r) => setImmediate(r))
  }
  for (const [name, g] of Object.entries(groups)) {
    assert.deepEqual(provenViolations(g.times, g.limit), [], name)
    assert.deepEqual(naiveViolations(g.times.map((s) => s[1]), g.limit), [], name)
    const windows = Math.floor(duration / 1010) + 1
    assert.ok(g.times.length >= g.limit * (windows - 1), `${name}: ${g.times.length}`)
    assert.ok(g.times.length <= g.limit * windows, `${name}: ${g.times.length}`)
  }
})

test('concurrent acquire() calls are paced into the booked slots', async () => {
  const reg = new sipcreds.Registry()
  const a = await reg.createCredential('acme', { server: 'a.example.com', cpsKey: 'k', cpsLimit: 5 })
  const b = await reg.createCredential('acme', { server: 'b.example.com', cpsKey: 'k', cpsLimit: 5 })
  const start = performance.now()
  const spans = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const before = performance.now()
      const d = await reg.acquire('acme', (i % 2 ? a : b).id, 5000)
      assert.ok(d.admitted)
      return [before + d.waitMs - 2, performance.now()]
    }),
  )
  const elapsed = performance.now() - start
  assert.ok(elapsed >= 2000 && elapsed < 3500, `elapsed ${elapsed}`)
  // Each call ran at or after its booked slot.
  assert.deepEqual(provenViolations(spans.map(([slot]) => [slot, slot + 4]), 5), [])
  while (reg.tryAcquire('acme', a.id).admitted) {
    // use up the current window
  }
  const rejected = await reg.reserve('acme', a.id, 0)
  assert.equal(rejected.admitted, false)
  assert.ok(rejected.retryAfterMs > 0)
  await assert.rejects(reg.reserve('acme', a.id, -1), (e) => e.code === 'invalid_option' && e.field === 'maxWaitMs')
})
