'use strict'
// Pages of the lists (SPEC §5) across the Node boundary: `{ limit, after }` answers
// `{ items, next }` in the list's order; without a page the whole list, as before; bad limits
// and cursors are ValidationError with code invalid_option and the field.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const sipcreds = require(process.env.SIPCREDS_NODE_PACKAGE || '..')

async function walk(list, limit) {
  const items = []
  let after = null
  for (;;) {
    const page = await list('acme', { limit, after })
    assert.deepEqual(Object.keys(page).sort(), ['items', 'next'])
    assert.ok(page.items.length <= limit)
    items.push(...page.items)
    if (page.next === null) return items
    assert.equal(page.items.length, limit)
    after = page.next
  }
}

for (const kind of ['memory', 'sqlite']) {
  test(`every list pages in its order (${kind})`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipcreds-pages-'))
    const reg = kind === 'memory' ? new sipcreds.Registry() : new sipcreds.Registry(path.join(dir, 'p.db'))
    try {
      const creds = []
      for (let i = 0; i < 7; i++) {
        creds.push(await reg.createCredential('acme', { server: `t${i}.example.com`, authUser: 'u', authPassword: `pw${i}` }))
      }
      const numbers = [0, 1, 2, 3, 4].map((i) => `+1415555010${i}`)
      for (let i = 4; i >= 0; i--) await reg.linkNumber('acme', numbers[i], creds[i].id)
      for (let i = 0; i < 3; i++) {
        const a = await reg.createAgent('acme', `Agent ${i}`)
        await reg.assignNumber('acme', a.id, numbers[i])
      }
      await reg.connectProvider('acme', 'twilio', 'Twilio', [{ server: 'acme.pstn.twilio.com' }])
      for (const limit of [1, 2, 3, 1000]) {
        const paged = await walk((o, p) => reg.listCredentials(o, p), limit)
        assert.deepEqual(paged.map((c) => c.id), (await reg.listCredentials('acme')).map((c) => c.id))
        assert.deepEqual(await walk((o, p) => reg.listNumbers(o, p), limit), await reg.listNumbers('acme'))
        assert.deepEqual(await walk((o, p) => reg.listAgents(o, p), limit), await reg.listAgents('acme'))
        assert.deepEqual(await walk((o, p) => reg.listProviders(o, p), limit), await reg.listProviders('acme'))
      }
      const page = await reg.listCredentials('acme', { limit: 2 })
      assert.equal(page.next, page.items[1].id)
      assert.equal(page.items[0].revealPassword(), 'pw0')
      assert.ok(!JSON.stringify(page).includes('pw0'))
      const rest = await reg.listCredentials('acme', { after: creds[4].id })
      assert.deepEqual(rest.items.map((c) => c.id), (await reg.listCredentials('acme')).slice(5).map((c) => c.id))
      assert.equal(rest.next, null)
      await reg.deleteCredential('acme', creds[2].id, { force: true })
      const afterDeleted = await reg.listCredentials('acme', { limit: 2, after: creds[2].id })
      assert.deepEqual(afterDeleted.items.map((c) => c.id), [creds[3].id, creds[4].id])
      const nums = await reg.listNumbers('acme', { limit: 10, after: '+14155550102' })
      assert.deepEqual(nums.items.map((n) => n.number), numbers.slice(3))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
}

test('bad pages are invalid_option with the field', async () => {
  const reg = new sipcreds.Registry()
  const cases = [
    [{ limit: 0 }, 'limit'],
    [{ limit: 1001 }, 'limit'],
    [{ limit: -5 }, 'limit'],
    [{ limit: 2.5 }, 'limit'],
    [{ limit: '10' }, 'limit'],
    [{ limit: Number.MAX_VALUE }, 'limit'],
    [{ limit: 10, after: 'cred_nope' }, 'after'],
    [{ limit: 10, after: 7 }, 'after'],
    ['10', 'page'],
  ]
  for (const [page, field] of cases) {
    await assert.rejects(reg.listCredentials('acme', page), (e) => {
      assert.ok(e instanceof sipcreds.ValidationError, `${JSON.stringify(page)}: ${e}`)
      assert.deepEqual([e.code, e.field], ['invalid_option', field], JSON.stringify(page))
      return true
    })
  }
  await assert.rejects(reg.listNumbers('acme', { limit: 5, after: 'cred_01ARZ3NDEKTSV4RRFFQ69G5FAV' }), (e) =>
    e.code === 'invalid_option' && e.field === 'after',
  )
  // No page, or an empty one: the whole list, as before.
  assert.ok(Array.isArray(await reg.listAgents('acme')))
  assert.ok(Array.isArray(await reg.listAgents('acme', {})))
  assert.deepEqual(await reg.listAgents('acme', { limit: 5 }), { items: [], next: null })
})
