// The Node quickstart, in TypeScript (checked with `tsc --strict`; run the compiled form or
// `node --experimental-strip-types` on Node 22+).
import { InUseError, Registry, ValidationError, diagnose, validateCredential } from '../sipcreds'
import type { Credential, Decision, NormalizedCredential } from '../sipcreds'

async function main(): Promise<void> {
  const out: NormalizedCredential = validateCredential({ server: 'SIP.Example.com:5061', transport: 'TLS' })
  console.log('normalized:', out.server, out.port, out.transport)

  try {
    validateCredential({ server: 'sip:trunk.example.com' })
  } catch (e) {
    if (e instanceof ValidationError) console.log(`rejected: ${e.code} on ${e.field}: ${e.message}`)
  }

  const reg = new Registry() // or new Registry('sipcreds.db')
  const trunk: Credential = await reg.createCredential('acme', {
    server: 'sip.example.com',
    authUser: 'acme-trunk',
    authPassword: 'correct horse',
    cpsLimit: 2,
    cpsKey: 'acme-shared',
  })
  await reg.linkNumber('acme', '+14155550100', trunk.id)
  const agent = await reg.createAgent('acme', 'Ada')
  await reg.assignNumber('acme', agent.id, '+14155550100')
  try {
    await reg.deleteCredential('acme', trunk.id)
  } catch (e) {
    if (e instanceof InUseError) console.log('in use by', e.usage.phoneNumbers)
  }

  const now: Decision = reg.tryAcquire('acme', trunk.id)
  console.log(now.admitted ? 'dial now' : `retry in ${now.retryAfterMs} ms`)
  const paced = await reg.acquire('acme', trunk.id, 2000)
  if (paced.admitted) console.log('paced call admitted after', paced.waitMs, 'ms')

  const password: string | null = trunk.revealPassword() // the one way to read it
  console.log('password present:', password !== null)
  console.log('503:', diagnose(503, 'CPS limit exceeded').causes[0]?.fix)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
